# Geoportal web/worker image. Built by docker-compose.yml; the same image runs
#   web:    deploy/docker-entrypoint.sh + gunicorn (the default command below)
#   worker: celery -A geoportal worker
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

# WEB_CONCURRENCY (workers) and GUNICORN_CMD_ARGS are read by gunicorn itself: override them at
# run time to tune it. GEOPORTAL_DATA_DIR holds the app's other files (see settings/base.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=geoportal.settings.prod \
    STATIC_ROOT=/app/static \
    MEDIA_ROOT=/app/media \
    GEOPORTAL_DATA_DIR=/app/data \
    WEB_CONCURRENCY=4 \
    GUNICORN_CMD_ARGS="--threads 16 --timeout 120 --backlog 2048 --access-logfile -"

# GeoDjango loads GDAL, GEOS and PROJ through ctypes: libgdal32 brings libgeos and libproj along.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 curl \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 geoportal \
 && useradd --system --uid 10001 --gid geoportal --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin geoportal

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
COPY --from=frontend /build/static-build ./static-build
# The code stays owned by root (read-only for the app); only the data directories are writable.
# They are created here so that named volumes mounted on them start out owned by the app user.
RUN pip install --no-cache-dir . \
 && rm -rf build ./*.egg-info \
 && chmod 0755 deploy/docker-entrypoint.sh \
 && mkdir -p /app/static /app/media /app/data \
 && chown geoportal:geoportal /app/static /app/media /app/data

USER geoportal:geoportal
EXPOSE 8000

# /healthz answers 200 only when the database, Redis and at least one Celery worker answer.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8000/healthz || exit 1

CMD ["gunicorn", "geoportal.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread"]
