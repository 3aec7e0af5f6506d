from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import APIException
from simple_history.admin import SimpleHistoryAdmin

from .models import Lead
from .views import leads_for


@admin.register(Lead)
class LeadAdmin(SimpleHistoryAdmin):
    list_display = ("reference", "investor_name", "company", "industry", "status", "division", "created_at")
    list_filter = ("status", "source", "created_at")
    search_fields = ("reference", "investor_name", "company", "phone", "email")
    readonly_fields = ("reference", "carriers", "division_code", "client_ip", "created_at", "updated_at")
    raw_id_fields = ("parcels", "buildings", "division", "submitted_by")
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        if request.user.is_superuser:
            return super().get_queryset(request)
        # Staff other than superusers see the leads of their own area, as in the API.
        try:
            return leads_for(request.user)
        except APIException:
            return Lead.objects.none()
