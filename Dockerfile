# Geoportal web/worker image. Built by docker-compose.yml; the same image runs
#   web:    deploy/docker-entrypoint.sh + gunicorn -c deploy/gunicorn.conf.py (the default command below)
#   worker: celery -A geoportal worker
#   beat:   celery -A geoportal beat (exactly one)
# Browser libraries come from npm at build time (package-lock.json pins them); nothing loads from a CDN.
# The same steps as scripts/build_frontend.sh: vendor copies, then the pages bundled by esbuild.
FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && mkdir -p static-build/vendor/ol \
 && cp node_modules/ol/dist/ol.js node_modules/ol/dist/ol.js.map node_modules/ol/ol.css static-build/vendor/ol/
COPY frontend ./frontend
RUN node frontend/build.mjs

FROM python:3.11-slim-bookworm

# gunicorn reads WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT, ... (deploy/gunicorn.conf.py): set them at
# run time to tune it. GEOPORTAL_DATA_DIR holds the app's other files (see settings/base.py),
# the beat scheduler's state among them.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=geoportal.settings.prod \
    STATIC_ROOT=/app/static \
    MEDIA_ROOT=/app/media \
    GEOPORTAL_DATA_DIR=/app/data

# GeoDjango loads GDAL, GEOS and PROJ through ctypes: libgdal32 brings libgeos and libproj along.
# The backups (backups/) run pg_dump and pg_restore, as new as the PostgreSQL 15 server.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 curl postgresql-client-15 fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 geoportal \
 && useradd --system --uid 10001 --gid geoportal --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin geoportal

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them: exactly the
# runtime lock (requirements/base.txt, every package pinned with its hashes; `make lock` updates it).
COPY requirements/base.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
COPY --from=frontend /build/static-build ./static-build
# The map's label glyphs are made here, from the font installed above (tiles/glyphs.py).
# The code stays owned by root (read-only for the app); only the data directories are writable.
# They are created here so that named volumes mounted on them start out owned by the app user.
RUN pip install --no-cache-dir --no-deps . \
 && python -m tiles.glyphs static-build/glyphs \
 && rm -rf build ./*.egg-info \
 && chmod 0755 deploy/docker-entrypoint.sh \
 && mkdir -p /app/static /app/media /app/data /app/backups \
 && chown geoportal:geoportal /app/static /app/media /app/data /app/backups

USER geoportal:geoportal
EXPOSE 8000

# Readiness: /healthz/ready answers 200 when the database (PostGIS), the cache and the broker answer.
# Not /healthz, which also needs a worker and the beat scheduler: the web container stays healthy
# while no worker is up. (The worker and beat services override this check.)
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8000/healthz/ready || exit 1

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "geoportal.wsgi:application", "--bind", "0.0.0.0:8000"]
