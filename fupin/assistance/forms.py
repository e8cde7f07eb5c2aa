"""Forms of the assistance pages (精准帮扶): plan, measure, status change, measure given, visit with photos.

Choices (measure types, units, the household's helpers) come from the catalogue in force and the
pairings, never from constants here; the services check everything again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fupin.policy.measures import MeasureCatalogue
from fupin.web.templatetags.fupin_tags import current_lang

from .choices import PlannedMeasureStatus


def _today() -> dt.date:
    from .services import today

    return today()


def _lang() -> str:
    return current_lang()


def date_input() -> forms.DateInput:
    """An ``<input type=date>`` (ISO value whatever the language; phones show their date picker)."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def money_field(label: Any, *, required: bool = False, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, min_value=0, max_digits=12, decimal_places=2,
                              widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}), **kwargs)


def measure_choices(catalogue: MeasureCatalogue) -> list[tuple[str, Any]]:
    """The enabled measure types grouped for a ``<select>`` (optgroups by 类别)."""
    en = _lang().startswith("en")
    return [("", "—")] + [((g.label_en if en else g.label_zh), [(m.id, m.label(_lang())) for m in items])
                          for g, items in catalogue.grouped()]


def helper_choices(helpers: list[Any], *, blank: bool) -> list[tuple[str, str]]:
    rows = [(str(h.pk), f"{h.name}({h.unit})") for h in helpers]
    return ([("", "—")] if blank else []) + rows


class PlanForm(forms.Form):
    """一户一策 — start a year's plan."""

    year = forms.IntegerField(label=_("Year"), min_value=2014, max_value=2100,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    goal = forms.CharField(label=_("Goal of the plan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MeasureForm(forms.Form):
    """A measure in the plan (倒排工期): type, target date, responsible helper, expected income."""

    measure_type = forms.ChoiceField(label=_("Measure"))
    description = forms.CharField(label=_("What will be done"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    quantity = money_field(_("Quantity"))
    planned_amount = money_field(_("Planned amount (yuan)"),
                                 help_text=_("Left empty: the catalogue's amount for the quantity, if it has one."))
    target_date = forms.DateField(label=_("Target date"), widget=date_input())
    helper = forms.ChoiceField(label=_("Responsible helper"), required=False)
    expected_income = money_field(_("Expected extra income (yuan a year)"))

    def __init__(self, *args: Any, catalogue: MeasureCatalogue, helpers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure_type"].choices = measure_choices(catalogue)
        self.fields["helper"].choices = helper_choices(helpers, blank=True)


class StatusForm(forms.Form):
    """Change a measure's status (实施中 / 已完成 / 已放弃 with a reason)."""

    status = forms.ChoiceField(choices=PlannedMeasureStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("Date"), widget=date_input())
    reason = forms.CharField(label=pgettext_lazy("assistance", "Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = _today()


class GivenForm(forms.Form):
    """帮扶措施落实 — help given: what, when, how much, from which project, fund or loan."""

    measure_type = forms.ChoiceField(label=_("Measure"))
    given_on = forms.DateField(label=_("Date given"), widget=date_input())
    quantity = money_field(_("Quantity"))
    unit = forms.ChoiceField(label=pgettext_lazy("assistance", "Unit"), required=False)
    deep_poverty = forms.BooleanField(label=_("Deep-poverty rate (relocation)"), required=False)
    amount = money_field(_("Amount (yuan)"),
                         help_text=_("Left empty: the catalogue's amount for the quantity, if it has one."))
    term_months = forms.IntegerField(label=_("Term (months, loans)"), required=False, min_value=0, max_value=600,
                                     widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    planned_measure = forms.ChoiceField(label=_("Planned measure"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    project_ref = forms.CharField(label=_("Project"), required=False, max_length=80)
    fund_ref = forms.CharField(label=_("Fund"), required=False, max_length=80)
    loan_ref = forms.CharField(label=_("Loan"), required=False, max_length=80)

    def __init__(self, *args: Any, catalogue: MeasureCatalogue, planned: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure_type"].choices = measure_choices(catalogue)
        self.fields["unit"].choices = [("", _("The measure's unit"))] + [
            (u.id, u.label_en if _lang().startswith("en") else u.label_zh) for u in catalogue.units]
        self.fields["planned_measure"].choices = [("", "—")] + [
            (str(m.pk), f"{catalogue.get(m.measure_type).label(_lang()) if m.measure_type in catalogue else m.measure_type}"
                        f" · {m.target_date:%Y-%m-%d}") for m in planned]
        self.fields["given_on"].initial = _today()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one ``<input type=file multiple>`` (checked by content in the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class VisitForm(forms.Form):
    """走访 — the field form: date, what was found, what was agreed, photos (optional)."""

    visited_on = forms.DateField(label=_("Date of the visit"), widget=date_input())
    helper = forms.ChoiceField(label=_("Helper who visited"), required=False)
    found = forms.CharField(label=_("What was found"), widget=forms.Textarea(attrs={"rows": 4}))
    agreed = forms.CharField(label=_("What was agreed"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("Photos"), required=False)

    def __init__(self, *args: Any, helpers: list[Any], choose_helper: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = _today()
        if choose_helper:
            self.fields["helper"].choices = helper_choices(helpers, blank=False)
            self.fields["helper"].required = True
        else:
            del self.fields["helper"]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2}))


class RegionForm(forms.Form):
    region = forms.CharField(label=_("Region code"), required=False, max_length=12,
                             widget=forms.TextInput(attrs={"inputmode": "numeric"}))
