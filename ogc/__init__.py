"""OGC API – Features (Parts 1 to 4) over the layer registry, at ``/ogc/``.

GIS clients (QGIS, GDAL, ArcGIS Pro) read and edit the same layers as the REST API under the same
rules: reads go through ``layers.api.features`` on ``readable(user, spec)``, writes through the layer's
REST viewset (validation, policy, locking, history, audit), which the OGC views extend.
"""
