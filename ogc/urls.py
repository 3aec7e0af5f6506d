"""``/ogc/``: the landing page, conformance, the OpenAPI document and the collections."""

from django.urls import path

from . import views

app_name = "ogc"

urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("conformance", views.ConformanceView.as_view(), name="conformance"),
    path("api", views.OpenApiView.as_view(), name="openapi"),
    path("collections", views.CollectionsView.as_view(), name="collections"),
    path("collections/<str:name>", views.CollectionView.as_view(), name="collection"),
    path("collections/<str:name>/queryables", views.QueryablesView.as_view(), name="queryables"),
    path("collections/<str:name>/schema", views.SchemaView.as_view(), name="schema"),
    path("collections/<str:name>/items", views.items, name="items"),
    path("collections/<str:name>/items/<int:pk>", views.item, name="item"),
]
