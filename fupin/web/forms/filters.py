"""Search and filters of the household list (户查询): one form for the page and its htmx partial."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy import codes
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry.selectors import HouseholdFilters
from fupin.web.labels import CATEGORY_FORM_VERSIONS
from fupin.web.templatetags.fupin_tags import current_lang

from .common import code_choices


def category_filter_choices() -> list[tuple[str, str]]:
    """贫困户属性 as "version:code" (the same code means different things on the 2014 and 2016 forms)."""
    lang = current_lang()
    out: list[tuple[str, str]] = [("", _("All"))]
    for version, cl in sorted(codes.HOUSEHOLD_CATEGORY_BY_VERSION.items(), reverse=True):
        out.extend((f"{version}:{code}", f"{cl.label(code, lang)} ({CATEGORY_FORM_VERSIONS[version]})")
                   for code in cl.codes())
    return out


def _all(list_id: str):
    def build() -> list[tuple[str, str]]:
        return [("", str(_("All"))), *code_choices(list_id, blank=False)()]
    return build


class HouseholdFilterForm(forms.Form):
    """q: name, ID number or household number; region: any level's code; status: active/left/all."""

    q = forms.CharField(label=_("Keyword"), required=False, max_length=60,
                        widget=forms.SearchInput(attrs={"placeholder": _("Name, ID number or household number")}))
    region = forms.CharField(label=_("Region code"), required=False, max_length=12,
                             widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    status = forms.ChoiceField(label=_("Record status"), required=False, initial="active", choices=[
        ("active", _("On the registry")), ("left", _("Left the registry")), ("all", _("All"))])
    poverty_status = forms.ChoiceField(label=_("Poverty status"), required=False, choices=_all("poverty_status"))
    cause = forms.ChoiceField(label=_("Cause of poverty"), required=False, choices=_all("poverty_cause"))
    category = forms.ChoiceField(label=_("Household category"), required=False, choices=category_filter_choices)

    def clean_region(self) -> str:
        raw = self.cleaned_data["region"].strip()
        if not raw:
            return ""
        try:
            return normalize_code(raw)
        except RegionCodeError as exc:
            raise forms.ValidationError(_("A region code has 2, 4, 6, 9 or 12 digits.")) from exc

    def filters(self) -> HouseholdFilters:
        data: dict[str, Any] = self.cleaned_data
        version, _sep, category = (data.get("category") or "").rpartition(":")
        return HouseholdFilters(
            q=data.get("q", ""), region=data.get("region", ""), status=data.get("status") or "active",
            poverty_status=data.get("poverty_status", ""), cause=data.get("cause", ""),
            category=category, category_form_version=version,
        )
