import pytest


@pytest.mark.worker
@pytest.mark.django_db
def test_healthz_reports_versions_and_live_workers(client, celery_worker):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["postgis"].startswith("3.")
    assert database["geos"] and database["proj"] and database["gdal"].startswith("GDAL")
    assert body["checks"]["workers"]["live"] >= 1
    assert body["checks"]["cache"]["ok"] and body["checks"]["broker"]["ok"]


@pytest.mark.django_db
def test_healthz_names_the_broker_when_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert "broker" in body["failed"]
    assert body["checks"]["broker"]["ok"] is False
    assert "error" in body["checks"]["broker"]


@pytest.mark.django_db
def test_healthz_names_the_database_when_postgis_is_unreachable(client, monkeypatch):
    from geoportal import health

    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.PROBES, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.json()["failed"]
