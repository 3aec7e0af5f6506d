import pytest


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The platform's one error shape, naming ``field`` when given."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error.get("fields", {}), error
    return error


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
