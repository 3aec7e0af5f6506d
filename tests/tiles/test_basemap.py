"""A configured base map (tiles/basemap.py): none by default, Tianditu with a key, or a
self-hosted raster; the page's Content-Security-Policy lets its tiles in."""

from django.utils import translation

from tiles.style import maplibre_style

BOUNDS = [111.0, 22.0, 112.0, 23.0]


def _rasters(style):
    return {name: s for name, s in style["sources"].items() if s["type"] == "raster"}


def test_no_base_map_by_default_so_nothing_is_downloaded(rf, settings):
    settings.BASEMAP_TILES, settings.TIANDITU_KEY = [], ""
    style = maplibre_style(rf.get("/tiles/style.json"), BOUNDS)
    assert _rasters(style) == {}


def test_tianditu_with_a_key_has_labels_in_the_readers_language(rf, settings):
    settings.BASEMAP_TILES, settings.TIANDITU_KEY = [], "k123"
    style = maplibre_style(rf.get("/tiles/style.json"), BOUNDS)
    rasters = _rasters(style)
    assert list(rasters) == ["basemap", "basemap-labels"]
    assert (
        all("tk=k123" in url for url in rasters["basemap"]["tiles"]) and len(rasters["basemap"]["tiles"]) == 8
    )
    assert "LAYER=cva" in rasters["basemap-labels"]["tiles"][0]
    # Beneath every layer of the platform's own.
    assert [layer["id"] for layer in style["layers"][:3]] == ["background", "basemap", "basemap-labels"]
    with translation.override("en"):
        english = _rasters(maplibre_style(rf.get("/tiles/style.json"), BOUNDS))
    assert "LAYER=eva" in english["basemap-labels"]["tiles"][0]


def test_a_self_hosted_raster_wins_and_the_page_lets_its_tiles_in(client, rf, settings):
    settings.BASEMAP_TILES = ["https://maps.example.gov.cn/{z}/{x}/{y}.png"]
    settings.BASEMAP_ATTRIBUTION = "© 云浮市自然资源局"
    settings.TIANDITU_KEY = "k123"
    rasters = _rasters(maplibre_style(rf.get("/tiles/style.json"), BOUNDS))
    assert list(rasters) == ["basemap"] and rasters["basemap"]["attribution"] == "© 云浮市自然资源局"
    policy = client.get("/")["Content-Security-Policy"]
    img = next(part for part in policy.split("; ") if part.startswith("img-src"))
    connect = next(part for part in policy.split("; ") if part.startswith("connect-src"))
    assert "https://maps.example.gov.cn" in img and "https://maps.example.gov.cn" in connect
    settings.BASEMAP_TILES, settings.TIANDITU_KEY = [], ""
    assert "example.gov.cn" not in client.get("/")["Content-Security-Policy"]
