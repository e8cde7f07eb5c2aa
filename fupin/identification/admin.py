"""Admin of the identification procedure: settings are configured here; cases, events and objections are
read-only (the procedure moves only through its services, never by editing a row)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from fupin.core.scoping import visible_to
from fupin.policy.procedure import ProcedureError, apply_overrides, get_procedure

from .models import IdentificationCase, Objection, ProcedureEvent, ProcedureSetting


class _ReadOnly(admin.ModelAdmin):
    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdentificationCase)
class IdentificationCaseAdmin(_ReadOnly):
    list_display = ("pk", "household", "village_code", "procedure_version", "step", "status", "started_on")
    list_filter = ("status", "procedure_id", "step")
    search_fields = ("household__household_number", "household__head_name", "village_code")


@admin.register(ProcedureEvent)
class ProcedureEventAdmin(_ReadOnly):
    list_display = ("pk", "case", "step", "action", "on", "actor_name", "at")
    list_filter = ("action", "step")


@admin.register(Objection)
class ObjectionAdmin(_ReadOnly):
    list_display = ("pk", "case", "step", "raised_by", "raised_on", "resolved_on", "upheld")


class ProcedureSettingForm(forms.ModelForm):
    class Meta:
        model = ProcedureSetting
        fields = ("region_code", "procedure_id", "overrides", "version", "valid_from", "comment")

    def clean(self):
        data = super().clean()
        if data.get("procedure_id") and data.get("version"):
            try:
                apply_overrides(get_procedure(data["procedure_id"]), data.get("overrides") or {},
                                version=data["version"])
            except (ProcedureError, TypeError, ValueError) as exc:
                raise ValidationError(getattr(exc, "message", str(exc))) from exc
        return data


@admin.register(ProcedureSetting)
class ProcedureSettingAdmin(admin.ModelAdmin):
    """A county's procedure: a new row (new version) for a change; an existing one is not edited."""

    form = ProcedureSettingForm
    list_display = ("region_code", "procedure_id", "version", "valid_from")
    search_fields = ("region_code", "version")

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
