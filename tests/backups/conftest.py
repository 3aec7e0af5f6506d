import pytest


@pytest.fixture(autouse=True)
def _own_folders(settings, tmp_path):
    """Each backup test has its own media folder and backup store: what other tests left in the
    run's media folder would otherwise be backed up (and counted) too."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BACKUP_ROOT = str(tmp_path / "backups")
