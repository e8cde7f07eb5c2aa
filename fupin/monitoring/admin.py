"""Admin of the monitoring app: settings (a province's or county's override of the monitoring policy) are
added here, checked against the policy when saved; objects, flags, events, runs and data are read-only
(they change only through the services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from fupin.core.scoping import visible_to
from fupin.policy import roles
from fupin.policy.monitoring import MonitoringPolicyError, apply_override
from fupin.policy.rules import RuleError

from .models import EliminationDecision, MonitoringDataList, MonitoringObject, MonitoringRun, MonitoringSetting
from .policies import effective_monitoring


class _ReadOnly(admin.ModelAdmin):
    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request), roles.VIEW_MONITORING)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonitoringObject)
class MonitoringObjectAdmin(_ReadOnly):
    list_display = ("pk", "household", "type", "status", "channel", "line_amount", "flagged_on", "village_code")
    list_filter = ("type", "status", "channel")
    search_fields = ("household__household_number", "household__head_name", "village_code")


@admin.register(MonitoringRun)
class MonitoringRunAdmin(_ReadOnly):
    list_display = ("pk", "kind", "region_code", "on", "status", "actor_name", "started_at")
    list_filter = ("kind", "status")


@admin.register(EliminationDecision)
class EliminationDecisionAdmin(_ReadOnly):
    list_display = ("pk", "object", "made_on", "eliminable", "stays_monitored", "policy_version")


@admin.register(MonitoringDataList)
class MonitoringDataListAdmin(_ReadOnly):
    list_display = ("pk", "kind", "region_code", "as_of", "status", "rows_read", "rows_accepted", "rows_rejected")


class MonitoringSettingForm(forms.ModelForm):
    class Meta:
        model = MonitoringSetting
        fields = ("region_code", "overrides", "version", "valid_from", "comment")

    def clean(self):
        data = super().clean()
        if data.get("region_code") and data.get("version") and data.get("valid_from"):
            try:
                base = effective_monitoring(data["region_code"], data["valid_from"])
                apply_override(base, data.get("overrides") or {}, version=data["version"])
            except (MonitoringPolicyError, RuleError, TypeError, ValueError, KeyError) as exc:
                raise ValidationError(getattr(exc, "message", str(exc))) from exc
        return data


@admin.register(MonitoringSetting)
class MonitoringSettingAdmin(admin.ModelAdmin):
    """A region's monitoring policy: a new row (new version) for a change; an existing one is not edited."""

    form = MonitoringSettingForm
    list_display = ("region_code", "version", "valid_from")
    search_fields = ("region_code", "version")

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
