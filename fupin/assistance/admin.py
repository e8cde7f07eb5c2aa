"""Admin of the assistance app: a region's assistance settings (catalogue overrides, the visit interval)
are configured here; plans, measures, help given and visits are read-only (they change only through
their services: state machine, scope, audit)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from fupin.core.scoping import visible_to
from fupin.policy.measures import MeasureError, apply_override, load_default_catalogue

from .models import AssistanceSetting, HouseholdPlan, MeasureGiven, PlannedMeasure, Visit, VisitPhoto


class _ReadOnly(admin.ModelAdmin):
    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HouseholdPlan)
class HouseholdPlanAdmin(_ReadOnly):
    list_display = ("pk", "household", "year", "status", "catalogue_version", "created_by_name", "approved_by_name")
    list_filter = ("status", "year")
    search_fields = ("household__household_number", "household__head_name")


@admin.register(PlannedMeasure)
class PlannedMeasureAdmin(_ReadOnly):
    list_display = ("pk", "household", "measure_type", "target_date", "helper", "status")
    list_filter = ("status", "measure_type")


@admin.register(MeasureGiven)
class MeasureGivenAdmin(_ReadOnly):
    list_display = ("pk", "household", "measure_type", "given_on", "amount", "unit", "fund_ref", "cancelled_at")
    list_filter = ("measure_type",)


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = ("pk", "household", "helper", "visited_on", "recorded_by_name")


@admin.register(VisitPhoto)
class VisitPhotoAdmin(_ReadOnly):
    list_display = ("pk", "visit", "content_type", "size", "uploaded_at")


class AssistanceSettingForm(forms.ModelForm):
    class Meta:
        model = AssistanceSetting
        fields = ("region_code", "overrides", "version", "valid_from", "comment")

    def clean(self):
        data = super().clean()
        if data.get("version"):
            try:
                apply_override(load_default_catalogue(), {**(data.get("overrides") or {}), "version": data["version"]})
            except (MeasureError, TypeError, ValueError) as exc:
                raise ValidationError(getattr(exc, "message", str(exc))) from exc
        return data


@admin.register(AssistanceSetting)
class AssistanceSettingAdmin(admin.ModelAdmin):
    """Settings are added, never changed (a plan names the catalogue version it was made under)."""

    form = AssistanceSettingForm
    list_display = ("region_code", "version", "valid_from", "created_at")

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
