"""Forms of the pairing pages (结对帮扶、驻村工作队). Region choices come from the scoping function; the
services check scope and limits again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fupin.core.bilingual import choices_in_language
from fupin.core.scoping import visible_to
from fupin.imports.forms import region_choices
from fupin.policy import clock, roles
from fupin.policy.regions import LEVEL_VILLAGE
from fupin.regions.models import Region

from .choices import EndReason, UnitLevel

MAX_VILLAGES = 3000


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


def village_choices(user: Any, capability: str) -> list[tuple[str, str]]:
    """The villages in the user's scope (for a team or a village pairing)."""
    region = getattr(user, "region", None)
    if region is None or not user.has_capability(capability):
        return []
    if region.level == LEVEL_VILLAGE:
        return [(region.code, f"{region.name} ({region.code})")]
    rows = (visible_to(user, Region.objects.filter(level=LEVEL_VILLAGE), capability)
            .select_related("parent").order_by("code")[:MAX_VILLAGES])
    return [(r.code, f"{r.parent.name if r.parent else ''} {r.name}{' ★' if r.is_poor_village else ''} ({r.code})")
            for r in rows]


class CoverageForm(forms.Form):
    """覆盖情况: which region and on which day."""

    region = forms.ChoiceField(label=_("Region"), required=False)
    on = _date(_("As of"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(user, roles.VIEW_PAIRING)


class HelperFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, unit or phone"), required=False)
    unit_level = forms.ChoiceField(label=_("Unit level"), required=False,
                                   choices=[("", _("All levels")), *choices_in_language(UnitLevel.choices)])
    active = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("1", _("Active")), ("0", _("Left")), ("all", _("All"))])


class HelperForm(forms.Form):
    """帮扶责任人: details, the region they belong to, and an optional login (username)."""

    name = forms.CharField(label=_("Name"), max_length=60)
    unit = forms.CharField(label=_("Unit"), max_length=100)
    unit_level = forms.ChoiceField(label=_("Unit level"), choices=choices_in_language(UnitLevel.choices))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    region_code = forms.ChoiceField(label=_("Region of the helper"))
    username = forms.CharField(label=_("Login (username)"), max_length=150, required=False,
                               help_text=_("Optional: the helper then signs in and sees their households."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user, roles.MANAGE_PAIRING)
        if getattr(user, "region_id", None):
            self.fields["region_code"].initial = user.region_id


class PairByNumberForm(forms.Form):
    """结对: a household by its 户编号, from a day."""

    household_number = forms.CharField(label=_("Household number"), max_length=32)
    started_on = _date(_("Paired from"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["started_on"].initial = clock.today()


class PairForm(forms.Form):
    """结对 / 调整: a helper (chosen from the search) from a day, with a comment."""

    helper = forms.IntegerField(widget=forms.HiddenInput)
    on = _date(_("From"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = clock.today()


class EndForm(forms.Form):
    """结束结对: the reason, the day, a comment (required for 其他)."""

    reason = forms.ChoiceField(label=_("Reason"),
                               choices=choices_in_language(c for c in EndReason.choices if c[0] != EndReason.TRANSFER))
    ended_on = _date(_("Ended on"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = clock.today()


class TeamForm(forms.Form):
    """驻村工作队: village, sending unit, start."""

    village = forms.ChoiceField(label=_("Village"))
    sending_unit = forms.CharField(label=_("Sending unit"), max_length=100)
    unit_level = forms.ChoiceField(label=_("Unit level"), choices=choices_in_language(UnitLevel.choices))
    name = forms.CharField(label=_("Team name"), max_length=100, required=False)
    started_on = _date(_("Stationed from"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = village_choices(user, roles.MANAGE_PAIRING)
        self.fields["started_on"].initial = clock.today()


class MemberForm(forms.Form):
    """工作队员: a registered helper (by number) or a name and unit; 第一书记, 队长."""

    helper = forms.IntegerField(label=_("Helper number (optional)"), required=False, min_value=1)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    is_first_secretary = forms.BooleanField(label=_("First secretary"), required=False)
    is_leader = forms.BooleanField(label=_("Team leader"), required=False)
    joined_on = _date(_("Joined on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["joined_on"].initial = clock.today()


class LeaveForm(forms.Form):
    left_on = _date(pgettext_lazy("pairing", "Left on"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = clock.today()


class AttendanceForm(forms.Form):
    """驻村考勤: a member's days present in a month."""

    member = forms.TypedChoiceField(label=pgettext_lazy("pairing", "Member"), coerce=int)
    month = forms.CharField(label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}))
    days_present = forms.IntegerField(label=_("Days present"), min_value=0, max_value=31)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=200)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, m.name) for m in members if m.left_on is None]
        self.fields["month"].initial = clock.today().strftime("%Y-%m")

    def clean_month(self) -> dt.date:
        raw = self.cleaned_data["month"].strip()
        try:
            return dt.date.fromisoformat(raw[:7] + "-01")
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from exc


#: The fields of each kind of place pairing (the service validates them).
PLACE_FIELDS: dict[str, tuple[str, ...]] = {
    "unit_village": ("unit", "unit_level", "village"),
    "leader_township": ("leader_name", "leader_title", "township"),
    "enterprise_village": ("enterprise", "credit_code", "village", "projects", "donated"),
    "village": ("strong_village", "weak_village", "project"),
    "county": ("helping_county", "helped_county", "helped_township"),
}


class PlaceForm(forms.Form):
    """Start a unit, leader, enterprise, village or county pairing (fields by kind)."""

    unit = forms.CharField(label=_("Unit"), max_length=100, required=False)
    unit_level = forms.ChoiceField(label=_("Unit level"), choices=choices_in_language(UnitLevel.choices), required=False)
    leader_name = forms.CharField(label=_("Leader"), max_length=60, required=False)
    leader_title = forms.CharField(label=_("Title"), max_length=60, required=False)
    enterprise = forms.CharField(label=_("Enterprise"), max_length=120, required=False)
    credit_code = forms.CharField(label=_("Credit code"), max_length=18, required=False)
    projects = forms.IntegerField(label=_("Projects started"), min_value=0, required=False)
    donated = forms.DecimalField(label=_("Donated (yuan)"), min_value=0, decimal_places=2, required=False)
    village = forms.CharField(label=_("Village code"), max_length=12, required=False)
    township = forms.CharField(label=_("Township code"), max_length=12, required=False)
    strong_village = forms.CharField(label=_("Strong village code"), max_length=12, required=False)
    weak_village = forms.CharField(label=_("Weak village code"), max_length=12, required=False)
    project = forms.CharField(label=_("Joint project"), max_length=200, required=False)
    helping_county = forms.CharField(label=_("Helping county code"), max_length=12, required=False)
    helped_county = forms.CharField(label=_("Helped county code"), max_length=12, required=False)
    helped_township = forms.CharField(label=_("Paired township code"), max_length=12, required=False)
    started_on = _date(_("Started on"))

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = {*PLACE_FIELDS[kind], "started_on"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields["started_on"].initial = clock.today()


class FundForm(forms.Form):
    """县际结对资金: one year's committed and delivered funds."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    committed = forms.DecimalField(label=_("Committed (yuan)"), min_value=0, decimal_places=2)
    delivered = forms.DecimalField(label=_("Delivered (yuan)"), min_value=0, decimal_places=2, required=False)
