import pytest


@pytest.fixture
def as_role(city):
    """``as_role(Role.X)``: a new API client logged in as the tiny city's user of that role (the
    ``api`` fixture stays anonymous)."""
    from rest_framework.test import APIClient

    def login(role):
        client = APIClient()
        client.force_authenticate(city.users[role])
        return client

    return login
