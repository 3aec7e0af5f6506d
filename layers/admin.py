"""Django admin for every layer, with a map widget that works offline."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.gis import admin as gis_admin
from django.contrib.gis.forms.widgets import OpenLayersWidget
from django.utils.translation import gettext as _

from core.admin import ConfirmedRevertAdmin, PersonalDataAdmin
from policy.predicates import edits_need_review

from .models import FieldPointCategory, PlaceClass, PlaceTag, PlaceTagCategory
from .registry import LAYERS


class OfflineMapWidget(OpenLayersWidget):
    template_name = "layers/admin/offline_map.html"
    default_lon = 112.04
    default_lat = 22.93
    default_zoom = 10

    class Media:
        extend = False  # the parent's Media loads OpenLayers from a CDN
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")


class LayerAdmin(gis_admin.GISModelAdmin, PersonalDataAdmin, ConfirmedRevertAdmin):
    gis_widget = OfflineMapWidget
    list_per_page = 50
    show_full_result_count = False  # counting 200,000 parcels on every page view is wasted work
    readonly_fields = ("division_code", "version", "created_at", "created_by", "updated_at", "updated_by")

    layer_name = ""  # the layer's registry name, set by _admin_for

    def _reviewed(self, request, obj=None) -> bool:
        """Whether this user's edits of the layer wait for review (``policy.edits_need_review``):
        then the admin, which writes live, is read-only for them; the editor stages the edit."""
        park = getattr(obj, "park", None) if obj is not None else getattr(request.user, "park", None)
        return edits_need_review(request.user, self.layer_name, park)

    def has_add_permission(self, request):
        return not self._reviewed(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return not self._reviewed(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._reviewed(request, obj) and super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self._reviewed(request):
            messages.warning(
                request,
                _(
                    "本园区的地块和楼宇修改须经审核后发布，管理后台不能直接修改：请在编辑器（/editor/）中修改，"
                    "修改会进入变更集，由辖区招商专员审核。"
                ),
            )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        # The admin sees soft-deleted records too, so it can restore them.
        return self.model.all_objects.all()

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        else:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


def _admin_for(spec) -> type[LayerAdmin]:
    fields = [f.name for f in spec.model._meta.concrete_fields]
    shown = [
        name
        for name in (
            "id",
            "code",
            "name",
            "title",
            "project_name",
            "level",
            "kind",
            "category",
            "land_use",
            "supply_status",
            "stage",
            "status",
        )
        if name in fields
    ][:5]
    filters = [
        name
        for name in ("level", "kind", "land_use", "supply_status", "stage", "status", "category", "is_public")
        if name in fields
    ]
    searchable = [name for name in ("code", "name", "title", "project_name") if name in fields]
    return type(
        f"{spec.model.__name__}Admin",
        (LayerAdmin,),
        {
            "list_display": [*shown, "division_code", "is_public", "deleted_at"],
            "list_filter": filters,
            "search_fields": searchable,
            "personal_fields": spec.personal_fields,
            "layer_name": spec.name,
        },
    )


for spec in LAYERS.values():
    admin.site.register(spec.model, _admin_for(spec))


@admin.register(FieldPointCategory)
class FieldPointCategoryAdmin(admin.ModelAdmin):
    list_display = ("key", "name_zh", "name_en", "active")


@admin.register(PlaceClass)
class PlaceClassAdmin(admin.ModelAdmin):
    """场所类别: 中类 and 小类, each with the JSON Schema of its business attributes."""

    list_display = ("key", "name_zh", "parent", "patrol_every_days", "active")
    list_filter = ("active", "parent")
    search_fields = ("key", "name_zh", "name_en")


class PlaceTagInline(admin.TabularInline):
    model = PlaceTag
    extra = 1


@admin.register(PlaceTagCategory)
class PlaceTagCategoryAdmin(admin.ModelAdmin):
    """标签类别 with their 场所标签."""

    list_display = ("key", "name_zh", "name_en")
    inlines = [PlaceTagInline]
