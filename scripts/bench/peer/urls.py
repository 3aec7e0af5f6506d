"""django-vectortiles serving the same public parcels with the same properties as our tiles."""

from django.urls import path
from vectortiles import VectorLayer
from vectortiles.views import MVTView

from layers.models import LandParcel
from tiles.config import TILE_LAYERS


class ParcelLayer(VectorLayer):
    model = LandParcel
    id = "parcels"
    tile_fields = ("id", *TILE_LAYERS["parcels"].properties)
    min_zoom = 0
    max_zoom = 22

    def get_queryset(self):
        return LandParcel.objects.filter(is_public=True)


class ParcelTiles(MVTView):
    layer_classes = [ParcelLayer]


urlpatterns = [path("vt/parcels/<int:z>/<int:x>/<int:y>.mvt", ParcelTiles.as_view())]
