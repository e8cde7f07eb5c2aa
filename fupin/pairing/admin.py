"""Admin of the pairing app: read-only lists, scoped by the one scoping function (every change goes through
fupin.pairing.services, which checks limits and writes the audit trail; settings through the API)."""

from __future__ import annotations

from django.contrib import admin

from fupin.core.scoping import visible_to
from fupin.policy import roles

from .models import (
    AttendanceRecord,
    CountyPairing,
    CountyPairingFund,
    EnterpriseVillagePairing,
    Helper,
    HouseholdPairing,
    LeaderTownshipPairing,
    PairingSetting,
    TeamMember,
    UnitVillagePairing,
    VillagePairing,
    WorkTeam,
)


class _ReadOnly(admin.ModelAdmin):
    capability = roles.VIEW_PAIRING

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request), self.capability)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Helper)
class HelperAdmin(_ReadOnly):
    list_display = ("pk", "name", "unit", "unit_level", "region_code", "active", "user")
    list_filter = ("unit_level", "active")
    search_fields = ("name", "unit", "phone", "region_code")


@admin.register(HouseholdPairing)
class HouseholdPairingAdmin(_ReadOnly):
    list_display = ("pk", "helper", "household", "started_on", "ended_on", "end_reason", "transfer_to")
    list_filter = ("end_reason",)
    search_fields = ("household__household_number", "helper__name")


@admin.register(WorkTeam)
class WorkTeamAdmin(_ReadOnly):
    list_display = ("pk", "village", "sending_unit", "unit_level", "started_on", "ended_on")
    search_fields = ("village__code", "village__name", "sending_unit")


@admin.register(TeamMember)
class TeamMemberAdmin(_ReadOnly):
    list_display = ("pk", "team", "name", "unit", "is_first_secretary", "is_leader", "joined_on", "left_on")
    list_filter = ("is_first_secretary",)


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(_ReadOnly):
    list_display = ("pk", "member", "month", "days_present")


@admin.register(PairingSetting)
class PairingSettingAdmin(_ReadOnly):
    list_display = ("pk", "region_code", "version", "valid_from", "overrides")


for model in (UnitVillagePairing, LeaderTownshipPairing, EnterpriseVillagePairing, VillagePairing, CountyPairing,
              CountyPairingFund):
    admin.site.register(model, _ReadOnly)
