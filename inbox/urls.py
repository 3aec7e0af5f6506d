from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import MessageViewSet, inbox_stream

router = SimpleRouter()
router.register("inbox", MessageViewSet, basename="message")

urlpatterns = [path("stream/inbox/", inbox_stream, name="stream-inbox"), *router.urls]
