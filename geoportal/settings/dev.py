"""Local development: debug pages on, everything else as in base."""

from .base import *  # noqa: F403

DEBUG = True
