"""Platform-level tasks."""

from celery import shared_task
from django.db import connection


@shared_task(name="geoportal.ping")
def ping(token: str) -> dict[str, str]:
    """Echo a token with the PostGIS version the worker sees: proves broker, worker and database work."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version(), current_database()")
        postgis, database = cursor.fetchone()
    return {"token": token, "postgis": postgis, "database": database}
