"""Forms of the exit pages (精准退出): the step form is built from the step's evidence (data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy.exit_procedure import ExitProcedure
from fupin.policy.exit_rules import Criterion
from fupin.policy.procedure import EvidenceField
from fupin.web.templatetags.fupin_tags import current_lang

from .choices import ExitStatus


def _today() -> dt.date:
    from .services import today

    return today()


def _label(zh: str, en: str) -> str:
    return en if current_lang().startswith("en") else zh


def date_input() -> forms.DateInput:
    """An ``<input type=date>``: its value must be ISO (``2024-03-01``) whatever the language's format."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def evidence_field(f: EvidenceField) -> forms.Field:
    label = _label(f.label_zh, f.label_en)
    if f.kind == "int":
        return forms.IntegerField(label=label, min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    if f.kind == "date":
        return forms.DateField(label=label, widget=date_input())
    if f.kind == "longtext":
        return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 2}))
    return forms.CharField(label=label, max_length=200)


class _Dated(forms.Form):
    on = forms.DateField(label=_("Date of the action"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = _today()


class StepForm(_Dated):
    """完成环节 — the evidence the step requires (shared and exit kinds, one field per criterion at the
    verification), the date and a comment."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, procedure: ExitProcedure, step_id: str, criteria: Sequence[Criterion] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = procedure.step(step_id)
        self.evidence_specs = procedure.evidence_fields(step_id, criteria)
        evidence = {f"evidence_{f.name}": evidence_field(f) for f in self.evidence_specs}
        self.fields = {**evidence, **self.fields}

    def evidence(self) -> dict[str, Any]:
        return {f.name: self.cleaned_data.get(f"evidence_{f.name}") for f in self.evidence_specs}

    def evidence_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("evidence_")]


class ReasonForm(_Dated):
    """未通过 / 撤回 / 不认可 — with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(_Dated):
    """登记异议."""

    raised_by = forms.CharField(label=_("Raised by"), max_length=100, required=False,
                                help_text=_("Leave empty for an anonymous objection."))
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(_Dated):
    """处理异议."""

    objection = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.BooleanField(label=_("The objection is upheld"), required=False)


class ProposalForm(_Dated):
    """拟退出 — the households chosen, the exit year, the date and a comment."""

    households = forms.TypedMultipleChoiceField(label=_("Households"), coerce=int, required=True,
                                                widget=forms.CheckboxSelectMultiple)
    year = forms.IntegerField(label=_("Exit year"), min_value=2013, max_value=2100)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, household_ids: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = [(i, str(i)) for i in household_ids]


class YearRegionForm(forms.Form):
    """The candidate lists' filter: region and exit year."""

    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    year = forms.IntegerField(label=_("Exit year"), required=False, min_value=2013, max_value=2100)


class CaseFilterForm(forms.Form):
    """The case list's filters."""

    q = forms.CharField(label=_("Keyword"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Household number or head's name")}))
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    year = forms.IntegerField(label=_("Exit year"), required=False, min_value=2013, max_value=2100)
    step = forms.ChoiceField(label=_("Current step"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, procedure: ExitProcedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", _("All")), *((s.id, _label(s.label_zh, s.label_en))
                                                         for s in procedure.steps[1:])]
        self.fields["status"].choices = [*((v, _label(*_status_pair(v))) for v in ExitStatus.values),
                                         ("all", _("All"))]
        self.fields["status"].initial = ExitStatus.IN_PROGRESS


def _status_pair(value: str) -> tuple[str, str]:
    label = str(ExitStatus(value).label)
    zh, _sep, en = label.partition(" ")
    return zh, en
