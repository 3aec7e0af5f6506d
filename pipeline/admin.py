from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ConfirmedRevertAdmin, PersonalDataAdmin
from policy.predicates import leads_filter

from .models import Lead


@admin.register(Lead)
class LeadAdmin(PersonalDataAdmin, ConfirmedRevertAdmin):
    personal_fields = ("phone", "email")

    list_display = ("reference", "investor_name", "company", "industry", "status", "division", "created_at")
    list_filter = ("status", "source", "created_at")
    # Not phone or e-mail: stored encrypted under national cryptography, SQL cannot match them.
    search_fields = ("reference", "investor_name", "company")
    readonly_fields = ("reference", "carriers", "division_code", "client_ip", "created_at", "updated_at")
    raw_id_fields = ("parcels", "buildings", "division", "submitted_by")
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        # The leads of the user's own area, as in the API (everything for administrators).
        return super().get_queryset(request).filter(leads_filter(request.user))
