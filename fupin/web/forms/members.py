"""Member forms (家庭成员): one person, the members of a new household, and a member leaving (成员减少)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy import codes
from fupin.registry.models import Member
from fupin.registry.services import MEMBER_FIELDS
from fupin.web.labels import MEMBER_LABELS as L

from .common import RegistryFormMixin, code_choices, code_field, flag_field, version_field

#: Rows for further members on the new-household form, after the head's (more can be added later).
EXTRA_MEMBER_ROWS = 5
MAX_MEMBERS = 20


class MemberForm(RegistryFormMixin, forms.Form):
    """One person of the household. Sex and birth date are read from the ID number by the service."""

    GROUPS = [
        (_("Person"), ["name", "id_number", "relation", "ethnicity"]),
        (_("Education, health and work"), ["education", "schooling", "health", "labour_skill", "migrant_work",
                                           "migrant_months", "is_active_soldier"]),
        (_("Insurance and social assistance"), ["has_medical_insurance", "has_serious_illness_insurance",
                                                "has_pension_insurance", "is_dibao", "is_tekun"]),
    ]

    name = forms.CharField(label=L["name"], max_length=60)
    id_number = forms.CharField(label=L["id_number"], max_length=20,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    # Starts at "---" (no default), so an untouched extra row of the formset stays unchanged.
    relation = forms.ChoiceField(label=L["relation"], choices=code_choices("relation", blank=True))
    ethnicity = code_field("ethnicity", L["ethnicity"], initial="01")
    education = code_field("education", L["education"], required=False)
    schooling = code_field("schooling", L["schooling"], initial="1")
    health = code_field("health", L["health"], initial="1")
    labour_skill = code_field("labour_skill", L["labour_skill"], initial="1")
    migrant_work = code_field("migrant_work", L["migrant_work"], required=False)
    migrant_months = forms.IntegerField(label=L["migrant_months"], required=False, initial=0, min_value=0,
                                        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    is_active_soldier = flag_field(L["is_active_soldier"])
    has_medical_insurance = flag_field(L["has_medical_insurance"], initial=True)
    has_serious_illness_insurance = flag_field(L["has_serious_illness_insurance"])
    has_pension_insurance = flag_field(L["has_pension_insurance"])
    is_dibao = flag_field(L["is_dibao"])
    is_tekun = flag_field(L["is_tekun"])

    @classmethod
    def initial_for(cls, member: Member) -> dict[str, Any]:
        return {name: getattr(member, name) for name in MEMBER_FIELDS}

    def registry_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in MEMBER_FIELDS if name in self.cleaned_data}
        data["migrant_months"] = data.get("migrant_months") or 0
        return data


class MemberEditForm(MemberForm):
    version = version_field()


class BaseMemberFormSet(forms.BaseFormSet):
    """The members of a new household: the first row is the head (户主); empty extra rows are skipped."""

    def registry_data(self) -> list[dict[str, Any]]:
        return [f.registry_data() for f in self.forms if f.has_changed() and f.is_valid()]

    def filled_forms(self) -> list[forms.Form]:
        """The rows that will be registered, in order (their index is the service's ``members.<i>``)."""
        return [f for f in self.forms if f.has_changed()]


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=EXTRA_MEMBER_ROWS, min_num=1, validate_min=True,
    max_num=MAX_MEMBERS, validate_max=True,
)


def new_member_formset(data: Any = None) -> BaseMemberFormSet:
    return MemberFormSet(data, prefix="members", initial=[{"relation": codes.HEAD_RELATION}])


class MemberLeaveForm(forms.Form):
    """成员减少 — a member leaves the household with a reason (never deleted)."""

    reason = code_field("member_leave_reason", _("Reason"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
