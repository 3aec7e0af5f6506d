import pytest


@pytest.fixture(autouse=True)
def fresh_tile_versions():
    """Each test's rows vanish with its rolled-back transaction, but Redis keeps cached tiles;
    new version tokens make every earlier tile unreachable without flushing the shared Redis."""
    from tiles.cache import bump

    bump()
