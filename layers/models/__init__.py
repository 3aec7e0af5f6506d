"""Every spatial layer of SPEC section 3; one module per family of layers."""

from .amenities import Amenity, AmenityCategory
from .base import MU_M2, LayerFeature
from .carriers import (
    NON_CONSTRUCTION_USES,
    Building,
    BuildingKind,
    LandParcel,
    LandUse,
    Park,
    ParkLevel,
    ServicedLevel,
    SupplyMode,
    SupplyStatus,
)
from .divisions import LEVEL_ORDER, PREFIX_LENGTH, Division, DivisionLevel
from .enterprises import Enterprise, EnterpriseTag
from .grid import EventStatus, FieldPoint, FieldPointCategory, GridCell, PatrolTrack
from .media import Orthophoto, Panorama
from .places import Place, PlaceClass, PlaceTag, PlaceTagCategory, RiskLevel
from .projects import ProjectSite, ProjectStage
from .transport import TransportKind, TransportLine

__all__ = [
    "MU_M2",
    "NON_CONSTRUCTION_USES",
    "LEVEL_ORDER",
    "PREFIX_LENGTH",
    "Amenity",
    "AmenityCategory",
    "Building",
    "BuildingKind",
    "Division",
    "DivisionLevel",
    "Enterprise",
    "EnterpriseTag",
    "EventStatus",
    "FieldPoint",
    "FieldPointCategory",
    "GridCell",
    "TransportKind",
    "TransportLine",
    "LandParcel",
    "LandUse",
    "LayerFeature",
    "Orthophoto",
    "Panorama",
    "Park",
    "ParkLevel",
    "PatrolTrack",
    "Place",
    "PlaceClass",
    "PlaceTag",
    "PlaceTagCategory",
    "RiskLevel",
    "ProjectSite",
    "ProjectStage",
    "ServicedLevel",
    "SupplyMode",
    "SupplyStatus",
]
