"""Admin of the household exit: exit settings are configured here (a county's criteria and procedure
changes, by version); cases, events and objections are read-only (they move only through the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from fupin.core.scoping import visible_to

from .evaluation import SettingError, check_setting
from .models import ExitCase, ExitEvent, ExitObjection, ExitSetting


class _ReadOnly(admin.ModelAdmin):
    def get_queryset(self, request: Any) -> Any:
        return visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ExitCase)
class ExitCaseAdmin(_ReadOnly):
    list_display = ("pk", "household", "village_code", "year", "step", "status", "started_on", "exited_on")
    list_filter = ("status", "step", "year")
    search_fields = ("household__household_number", "household__head_name", "village_code")


@admin.register(ExitEvent)
class ExitEventAdmin(_ReadOnly):
    list_display = ("pk", "case", "step", "action", "on", "actor_name", "at")
    list_filter = ("action", "step")


@admin.register(ExitObjection)
class ExitObjectionAdmin(_ReadOnly):
    list_display = ("pk", "case", "step", "raised_by", "raised_on", "resolved_on", "upheld")


class ExitSettingForm(forms.ModelForm):
    class Meta:
        model = ExitSetting
        fields = ("region_code", "version", "valid_from", "rules_override", "procedure_overrides", "comment")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("region_code") and data.get("version") and data.get("valid_from"):
            candidate = ExitSetting(**{k: data.get(k) for k in ("region_code", "version", "valid_from")},
                                    rules_override=data.get("rules_override") or {},
                                    procedure_overrides=data.get("procedure_overrides") or {})
            try:
                check_setting(candidate)
            except SettingError as exc:
                raise ValidationError(exc.message) from exc
        return data


@admin.register(ExitSetting)
class ExitSettingAdmin(admin.ModelAdmin):
    """A region's exit setting: a new row (new version) for a change; an existing one is not edited."""

    form = ExitSettingForm
    list_display = ("region_code", "version", "valid_from")
    search_fields = ("region_code", "version")

    def get_queryset(self, request: Any) -> Any:
        return visible_to(request.user, super().get_queryset(request))

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
