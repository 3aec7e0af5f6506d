import uuid

import pytest

from geoportal.tasks import ping


@pytest.mark.worker
def test_task_runs_in_a_real_worker_against_the_test_database(celery_worker, settings):
    token = uuid.uuid4().hex
    result = ping.delay(token).get(timeout=30)
    assert result["token"] == token
    assert result["database"] == settings.DATABASES["default"]["NAME"]
    assert result["postgis"].startswith("3.")
