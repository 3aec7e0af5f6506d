from django.urls import path

from . import views

urlpatterns = [
    path("token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("device/", views.DeviceTokenView.as_view(), name="device-token"),
    path("tokens/", views.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", views.TokenDetailView.as_view(), name="api-token-revoke"),
    path("logout/", views.LogoutView.as_view(), name="api-logout"),
]
