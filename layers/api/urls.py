from django.urls import path
from rest_framework.routers import SimpleRouter

from layers.registry import LAYERS

from .views import CatalogueView, build_viewset

router = SimpleRouter()
for spec in LAYERS.values():
    router.register(spec.name, build_viewset(spec), basename=spec.name)

urlpatterns = [path("layers/", CatalogueView.as_view(), name="layer-catalogue"), *router.urls]
