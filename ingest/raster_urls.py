from django.urls import path, register_converter

from .raster import raster_tile, tilejson


class FormatConverter:
    regex = "png|webp"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "rasterformat")

urlpatterns = [
    path("<int:pk>.json", tilejson, name="raster-tilejson"),
    path("<int:pk>/<int:z>/<int:x>/<int:y>.<rasterformat:ext>", raster_tile, name="raster-tile"),
]
