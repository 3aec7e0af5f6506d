"""Every spatial function is in the OpenAPI schema, with its parameters and bodies documented."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/spatial/locate": {"get"},
    "/api/spatial/judge": {"post"},
    "/api/spatial/query": {"post"},
    "/api/spatial/nearby": {"get"},
    "/api/spatial/rollup": {"get"},
    "/api/spatial/match": {"post"},
    "/api/spatial/checks/": {"get", "post"},
    "/api/spatial/checks/{id}/": {"get"},
    "/api/spatial/checks/{id}/findings/": {"get"},
    "/api/spatial/checks/{id}/findings/{fid}/": {"get", "patch"},
}


def test_schema_documents_every_spatial_path(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    locate = schema["paths"]["/api/spatial/locate"]["get"]
    assert {"lon", "lat", "crs"} <= {p["name"] for p in locate["parameters"]}
    nearby = schema["paths"]["/api/spatial/nearby"]["get"]
    assert {"layer", "radius", "limit", "feature"} <= {p["name"] for p in nearby["parameters"]}
    components = schema["components"]["schemas"]
    assert {"radius", "center", "bbox", "geometry", "division", "distance"} <= set(
        components["QueryRequestRequest"]["properties"]
    )
    assert "weights" in components["MatchRequestRequest"]["properties"]
    match = schema["paths"]["/api/spatial/match"]["post"]
    assert "DEFAULT_WEIGHTS" in match["description"]
