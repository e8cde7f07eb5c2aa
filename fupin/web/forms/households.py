"""The household registration form (贫困户登记表) and the village chooser (选择行政村)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.scoping import region_in_scope, visible_to
from fupin.policy import codes, roles
from fupin.policy.regions import LEVEL_TOWNSHIP, LEVEL_VILLAGE, RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.models import Household
from fupin.registry.services import HOUSEHOLD_FIELDS
from fupin.web.labels import CATEGORY_FORM_VERSIONS
from fupin.web.labels import HOUSEHOLD_LABELS as L
from fupin.web.templatetags.fupin_tags import current_lang

from .common import RegistryFormMixin, code_field, decimal_field, flag_field, version_field

#: Up to this many villages in the user's scope are offered as a select; beyond, a code is typed.
VILLAGE_SELECT_LIMIT = 400

MONEY = ("income_wage", "income_business", "income_property", "transfer_dibao", "transfer_wubao",
         "transfer_pension", "transfer_eco", "transfer_other", "business_expense")
AREAS = ("arable_mu", "irrigated_mu", "forest_mu", "grain_to_green_mu", "fruit_forest_mu", "pasture_mu",
         "water_surface_mu", "housing_area_m2")
FLAGS_ON = ("has_electricity", "drinking_water_safe", "food_secure", "clothing_secure", "education_secure",
            "medical_secure", "housing_secure")
FLAGS_OFF = ("is_military_family", "is_only_child", "is_two_daughters", "is_coop_member", "has_production_power",
             "drinking_water_difficult", "has_sanitary_toilet")


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """贫困户属性 grouped by form version; a value is ``"<version>:<code>"`` (2016 form first)."""
    lang = current_lang()
    return [
        (str(CATEGORY_FORM_VERSIONS[version]), [(f"{version}:{c}", lbl) for c, lbl in cl.choices(lang)])
        for version, cl in sorted(codes.HOUSEHOLD_CATEGORY_BY_VERSION.items(), reverse=True)
    ]


def villages_in_scope(user: Any):
    """Villages where ``user`` may register households (registry.edit)."""
    return visible_to(user, Region.objects.filter(level=LEVEL_VILLAGE), roles.EDIT_REGISTRY).order_by("code")


def village_choices(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Villages in scope grouped by township (乡镇), for a select."""
    villages = list(villages_in_scope(user).values_list("code", "name"))
    townships = dict(Region.objects.filter(level=LEVEL_TOWNSHIP, code__in={c[:9] + "000" for c, _n in villages})
                     .values_list("code", "name"))
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, name in villages:
        grouped.setdefault(townships.get(code[:9] + "000", code[:9]), []).append((code, name))
    return list(grouped.items())


class VillageCodeField(forms.CharField):
    """A typed village code (12 digits or the 9-digit township + 3), checked against the user's scope."""

    def __init__(self, *, user: Any, **kwargs: Any) -> None:
        self.user = user
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{12}"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            code = normalize_code(value)
        except RegionCodeError as exc:
            raise forms.ValidationError(_("Enter the 12-digit code of a village.")) from exc
        if (not Region.objects.filter(code=code, level=LEVEL_VILLAGE).exists()
                or not region_in_scope(self.user, code, roles.EDIT_REGISTRY)):
            raise forms.ValidationError(_("%(code)s is not a village in your area.") % {"code": code})
        return code


def village_field(user: Any) -> forms.Field:
    label = L["village"]
    if villages_in_scope(user).count() <= VILLAGE_SELECT_LIMIT:
        return forms.ChoiceField(label=label, choices=[("", "---------"), *village_choices(user)])
    return VillageCodeField(user=user, label=label, help_text=_("12-digit statistical code of the village"))


class HouseholdForm(RegistryFormMixin, forms.Form):
    """贫困户登记表 — the household's own fields (members are separate forms)."""

    GROUPS = [
        (_("Location"), ["village", "group_name", "address"]),
        (_("Contact and bank"), ["phone", "bank_name", "bank_account"]),
        (_("Identification"), ["identification_standard", "category", "main_cause", "other_cause_1",
                               "other_cause_2", "poverty_status", "identification_year", "planned_exit_year",
                               "exit_year", "is_military_family", "is_only_child", "is_two_daughters"]),
        (_("Land"), ["arable_mu", "irrigated_mu", "forest_mu", "grain_to_green_mu", "fruit_forest_mu",
                     "pasture_mu", "water_surface_mu", "is_coop_member"]),
        (_("Housing and living conditions"), [
            "has_electricity", "has_production_power", "road_distance_km", "road_type", "housing_area_m2",
            "dilapidated_grade", "drinking_water_safe", "drinking_water_difficult", "fuel_type",
            "has_sanitary_toilet"]),
        (_("Income (yuan per year)"), list(MONEY)),
        (_("Two assurances and three guarantees"), ["food_secure", "clothing_secure", "education_secure",
                                                    "medical_secure", "housing_secure"]),
    ]

    group_name = forms.CharField(label=L["group_name"], max_length=60, required=False)
    address = forms.CharField(label=L["address"], max_length=200, required=False)
    phone = forms.CharField(label=L["phone"], max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    bank_name = forms.CharField(label=L["bank_name"], max_length=60, required=False)
    bank_account = forms.CharField(label=L["bank_account"], max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    identification_standard = code_field("identification_standard", L["identification_standard"], initial="1")
    category = forms.ChoiceField(label=L["category"], choices=category_choices, initial="2016:1")
    main_cause = code_field("poverty_cause", L["main_cause"])
    other_cause_1 = code_field("poverty_cause", L["other_cause_1"], required=False)
    other_cause_2 = code_field("poverty_cause", L["other_cause_2"], required=False)
    poverty_status = code_field("poverty_status", L["poverty_status"], initial="0")
    identification_year = forms.IntegerField(label=L["identification_year"])
    planned_exit_year = forms.IntegerField(label=L["planned_exit_year"], required=False)
    exit_year = forms.IntegerField(label=L["exit_year"], required=False)
    road_distance_km = decimal_field(L["road_distance_km"], places=1)
    road_type = code_field("road_type", L["road_type"], required=False)
    dilapidated_grade = code_field("dilapidated_grade", L["dilapidated_grade"], required=False)
    fuel_type = code_field("fuel_type", L["fuel_type"], required=False)

    def __init__(self, *args: Any, user: Any, village_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in (*MONEY, *AREAS):
            self.fields[name] = decimal_field(L[name])
        for name in FLAGS_ON:
            self.fields[name] = flag_field(L[name], initial=True)
        for name in FLAGS_OFF:
            self.fields[name] = flag_field(L[name])
        village = village_field(user)
        village.required = village_required
        self.fields = {"village": village, **self.fields}

    @classmethod
    def initial_for(cls, household: Household) -> dict[str, Any]:
        """Form values of a stored household."""
        initial = {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}
        initial["category"] = f"{household.category_form_version}:{household.category}"
        initial["village"] = household.village_code
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in (*MONEY, *AREAS, "road_distance_km"):
            if name in data and data[name] is None:
                data[name] = Decimal(0)
        return data

    def registry_data(self) -> dict[str, Any]:
        """The cleaned values as :func:`fupin.registry.services.create_household` takes them."""
        data = {name: self.cleaned_data[name] for name in HOUSEHOLD_FIELDS if name in self.cleaned_data}
        version, _sep, category = self.cleaned_data["category"].partition(":")
        data["category_form_version"], data["category"] = version, category
        return data


class HouseholdEditForm(HouseholdForm):
    """The same form with the version the user opened (并发控制)."""

    version = version_field()
