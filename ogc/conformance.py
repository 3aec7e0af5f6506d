"""The conformance classes this service implements (``/ogc/conformance``), one list for the
conformance document and the landing page's claims."""

FEATURES_1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
FEATURES_2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/"
FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
FEATURES_4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"

CONFORMANCE = (
    FEATURES_1 + "core",
    FEATURES_1 + "oas30",
    FEATURES_1 + "html",
    FEATURES_1 + "geojson",
    FEATURES_2 + "crs",
    FEATURES_3 + "queryables",
    FEATURES_3 + "queryables-query-parameters",
    FEATURES_3 + "filter",
    FEATURES_3 + "features-filter",
    CQL2 + "cql2-text",
    CQL2 + "cql2-json",
    CQL2 + "basic-cql2",
    CQL2 + "advanced-comparison-operators",
    CQL2 + "basic-spatial-functions",
    CQL2 + "spatial-functions",
    CQL2 + "temporal-functions",
    FEATURES_4 + "create-replace-delete",
    FEATURES_4 + "update",
    FEATURES_4 + "features",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
)
