from django.urls import path
from rest_framework.routers import SimpleRouter

from layers.registry import LAYERS

from .views import CatalogueView, build_viewset

# One viewset per layer; OGC API Features (ogc/) extends these same classes for its writes.
VIEWSETS = {spec.name: build_viewset(spec) for spec in LAYERS.values()}

router = SimpleRouter()
for name, viewset in VIEWSETS.items():
    router.register(name, viewset, basename=name)

urlpatterns = [path("layers/", CatalogueView.as_view(), name="layer-catalogue"), *router.urls]
