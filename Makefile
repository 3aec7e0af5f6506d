# The two commands a new user needs: `make run` and `make test`. Both set up everything first.
.PHONY: run stop reload backup restore pitr-enable pitr-backup pitr-restore bench-reload bench-scaleout bench-backup test setup lint lock bench bench-deps bench-layers bench-spatial bench-tiles bench-ingest bench-audit bench-projects bench-grid bench-mobile bench-editor bench-ogc bench-frontend bench-brochure clean

run:  ## set up, load the demo city, start web + worker + beat in the background
	@bash scripts/run.sh

stop:  ## stop what `make run` started
	@bash scripts/stop.sh

reload:  ## new code and settings into service with no failed request: migrate, HUP gunicorn, swap the worker
	@bash scripts/reload.sh

backup:  ## a verified logical backup now: pg_dump + media to BACKUP_ROOT or BACKUP_S3_BUCKET, restored into a scratch database and checked
	@bash scripts/backup.sh backup

restore:  ## BACKUP=latest|<name>: the database and media from a logical backup (swapped in by rename); AT="<time>": point-in-time recovery
	@bash scripts/backup.sh restore "$(BACKUP)" "$(AT)"

pitr-enable:  ## point-in-time recovery of the local cluster: pgBackRest stanza, WAL archiving, first full backup
	@bash scripts/pitr.sh enable

pitr-backup:  ## a pgBackRest base backup (TYPE=full|diff|incr, default incr)
	@bash scripts/pitr.sh backup $(or $(TYPE),incr)

pitr-restore:  ## bring the local cluster back to AT="2026-12-02 21:30:00+08" (stops PostgreSQL meanwhile)
	@bash scripts/pitr.sh restore "$(AT)"

test:  ## set up, then lint, check migrations and run the test suite
	@bash scripts/test.sh $(ARGS)

setup:  ## install packages and start PostgreSQL/Redis only
	@bash scripts/provision.sh && bash scripts/services.sh start

lint:  ## ruff, mypy and eslint only (no database, no pytest)
	@bash scripts/test.sh --lint-only

# The locks: requirements/base.txt (runtime: Dockerfile), dev.txt (runtime + tests and checks:
# make run, make test) and bench.txt (dev + the benchmarks' peers), every package pinned with hashes.
# `make lock` re-resolves after a change to pyproject.toml and keeps every pin it can;
# `make lock UPGRADE=1` moves everything to the newest allowed versions, `make lock P=django` one package.
UV_VERSION := 0.13.9
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
lock:  ## re-pin requirements/*.txt from pyproject.toml (UPGRADE=1: everything, P=name: one package)
	@test -x .venv/bin/python || bash scripts/provision.sh
	@.venv/bin/uv --version 2>/dev/null | grep -qx "uv $(UV_VERSION)" || .venv/bin/python -m pip install -q "uv==$(UV_VERSION)"
	.venv/bin/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) $(if $(P),--upgrade-package $(P)) -o requirements/dev.txt
	.venv/bin/uv pip compile pyproject.toml -c requirements/dev.txt $(LOCK_FLAGS) -o requirements/base.txt
	.venv/bin/uv pip compile pyproject.toml --extra dev --extra bench -c requirements/dev.txt $(LOCK_FLAGS) -o requirements/bench.txt

bench-deps:
	@bash scripts/provision.sh
	@.venv/bin/pip install -q -r requirements/bench.txt && .venv/bin/pip install -q --no-deps -e .
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench-layers: bench-deps  ## p50 of a ~1,000-parcel bbox query vs PostGIS and geopandas (needs `make run`)
	@.venv/bin/python scripts/bench/layers_bbox.py

bench-tiles: bench-deps  ## tiles: uncached vs SQL, vs django-vectortiles, low zoom, cached vs nginx, 400 connections
	@.venv/bin/python scripts/bench/tiles.py

bench-spatial: bench-deps  ## locate, nearby, query, rollup, match vs SQL floor and geopandas; 400 connections on locate
	@.venv/bin/python scripts/bench/spatial.py
	@.venv/bin/python scripts/bench/spatial_load.py

bench-ingest: bench-deps  ## orthophoto COG vs gdal_translate, GPX points/s vs COPY, 8K panoramas/s, raster tiles vs rio-tiler
	@.venv/bin/python scripts/bench/ingest.py

bench-audit: bench-deps  ## audit overhead on a feature write and a personal-data read; audit verify entries/s
	@.venv/bin/python scripts/bench/audit.py

bench-projects: bench-deps  ## the project warning sweep, filtered list, board and all-county KPIs over 20,000 projects
	@.venv/bin/python scripts/bench/projects.py

bench-grid: bench-deps  ## grid events and patrols at 100,000 events and 10,000 patrols: list, statistics, sweep, coverage, inbox latency
	@.venv/bin/python scripts/bench/grid.py

bench-mobile: bench-deps  ## the phone app: first load on slow 3G, cached start offline, bundle, sync ops/s, 500-operation catch-up
	@.venv/bin/python scripts/bench/mobile.py

bench-editor: bench-deps  ## the park editor: plot to form in Chromium, save with topology checks, 5,000-plot import preview, 1,000-item approval
	@.venv/bin/python scripts/bench/editor.py

bench-ogc: bench-deps  ## OGC API items vs SQL floor and pygeoapi (1,000 and 10,000 parcels), deepest page, GeoPackage export vs ogr2ogr, 1M-row CSV export memory
	@.venv/bin/python scripts/bench/ogc.py

bench-reload: bench-deps  ## requests under load while `make reload` runs: failed requests (target 0) and latency (needs `make run`)
	@.venv/bin/python scripts/bench/reload.py

# Fault drills (issue 19): Redis killed and PostgreSQL restarted under load; prints JSON.
.PHONY: drill
drill:  ## kill Redis and restart PostgreSQL under load: status codes, latency, recovery (needs `make run`)
	@.venv/bin/python scripts/drill.py

bench-backup: bench-deps  ## backup time, logical-restore and PITR RTO vs bare pg_dump/pg_restore, a worker killed mid-backup (needs `make run`; replaces the database with its backup)
	@.venv/bin/python scripts/bench/backup.py $(if $(PITR),--pitr)

bench-scaleout: bench-deps  ## two web processes and two workers: throughput 1 vs 2, a web and a worker killed mid-load (needs `make run`)
	@.venv/bin/python scripts/bench/scaleout.py

bench-brochure: bench-deps  ## the one-page brochure PDF of a parcel and a park vs the record's GeoJSON and Chromium's print to PDF (needs `make run`)
	@.venv/bin/python scripts/bench/brochure.py

bench-frontend: bench-deps  ## first map render of / and /wall/ in Chromium, bundle sizes, live feed, wall memory over MINUTES (30)
	@.venv/bin/python scripts/bench/frontend.py --minutes $(or $(MINUTES),30)

bench: bench-layers bench-spatial bench-tiles bench-ingest bench-audit bench-projects bench-grid bench-mobile bench-editor bench-ogc  ## every benchmark but the 30-minute bench-frontend; run `DEMO_SCALE=1 make run` first for the reference numbers

clean: stop  ## stop everything and delete local data (database, media, logs)
	rm -rf .data
