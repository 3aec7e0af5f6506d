from django.urls import path, re_path

from .views import style_view, tilejson_view, vector_tile

urlpatterns = [
    path("style.json", style_view, name="tile-style"),
    re_path(r"^(?P<layer>[a-z_,]+)\.json$", tilejson_view, name="tilejson"),
    path("<str:layers>/<int:z>/<int:x>/<int:y>.mvt", vector_tile, name="vector-tile"),
]
