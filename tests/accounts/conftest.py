"""Helpers for the authentication tests (the login counters are cleared for every test of the
suite, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.builders import PASSWORD  # noqa: F401 - the tests here import it from their conftest


def age_password(user, days: int) -> None:
    """Make ``user``'s password ``days`` old: its history entry, or the account's creation when it
    has none (``create_user`` hashes the password without ``set_password``, so no entry)."""
    from accounts.models import PasswordHistory

    then = timezone.now() - timedelta(days=days)
    PasswordHistory.objects.filter(user=user).update(created_at=then)
    type(user).objects.filter(pk=user.pk).update(date_joined=then)


@pytest.fixture
def moved_clock() -> Callable[..., AbstractContextManager[None]]:
    """``with moved_clock(minutes=16):`` runs with ``timezone.now()`` that much later."""
    real_now = timezone.now

    @contextmanager
    def move(**delta: float) -> Iterator[None]:
        with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + timedelta(**delta)):
            yield

    return move
