"""Settings for the django-vectortiles peer that scripts/bench/tiles.py serves the parcels with."""

from geoportal.settings.prod import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "vectortiles"]  # noqa: F405
ROOT_URLCONF = "peer.urls"
