import pytest


@pytest.fixture(autouse=True)
def fresh_tile_versions():
    """Cached tiles outlive a test's rolled-back rows in the shared Redis; new version tokens make
    every earlier tile unreachable (as in tests/tiles)."""
    from tiles.cache import bump

    bump()
