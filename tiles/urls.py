from django.urls import path, re_path, register_converter

from .raster import raster_tile
from .raster import tilejson as raster_tilejson
from .views import style_view, tilejson_view, vector_tile


class FormatConverter:
    regex = "png|webp"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "rasterformat")

urlpatterns = [
    path("style.json", style_view, name="tile-style"),
    path("raster/<int:pk>.json", raster_tilejson, name="raster-tilejson"),
    path("raster/<int:pk>/<int:z>/<int:x>/<int:y>.<rasterformat:ext>", raster_tile, name="raster-tile"),
    re_path(r"^(?P<layer>[a-z_,]+)\.json$", tilejson_view, name="tilejson"),
    path("<str:layers>/<int:z>/<int:x>/<int:y>.mvt", vector_tile, name="vector-tile"),
]
