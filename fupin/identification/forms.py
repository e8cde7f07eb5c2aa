"""Forms of the identification pages (识别程序): the step form is built from the step's evidence (data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fupin.policy.procedure import PROCEDURES, EvidenceField, Step
from fupin.web.templatetags.fupin_tags import current_lang

from .choices import IdentificationStatus


def _today() -> dt.date:
    from .services import today

    return today()


def _label(zh: str, en: str) -> str:
    return en if current_lang().startswith("en") else zh


def date_input() -> forms.DateInput:
    """An ``<input type=date>``: its value must be ISO (``2024-03-01``) whatever the language's format."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=date_input(), **kwargs)


def evidence_field(f: EvidenceField) -> forms.Field:
    label = _label(f.label_zh, f.label_en)
    if f.kind == "int":
        return forms.IntegerField(label=label, min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    if f.kind == "date":
        return date_field(label)
    if f.kind == "longtext":
        return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 2}))
    return forms.CharField(label=label, max_length=200)


class _Dated(forms.Form):
    on = forms.DateField(label=_("Date of the action"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = _today()


class StepForm(_Dated):
    """完成环节 — the evidence the step requires, the date and a comment."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        evidence = {f"evidence_{f.name}": evidence_field(f) for f in step.evidence_fields()}
        self.fields = {**evidence, **self.fields}

    def evidence(self) -> dict[str, Any]:
        return {f.name: self.cleaned_data.get(f"evidence_{f.name}") for f in self.step.evidence_fields()}

    def evidence_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("evidence_")]


class ReasonForm(_Dated):
    """驳回 / 撤回 — with the reason."""

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


class ApplicationExtraForm(_Dated):
    """农户申请 — what the application adds to the registration form: applicant, procedure, comment."""

    applicant = forms.CharField(label=pgettext_lazy("identification", "Applicant"), max_length=60, required=False,
                                help_text=_("Empty: the head of household."))
    procedure = forms.ChoiceField(label=pgettext_lazy("identification", "Procedure"), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("As set for the region")), *(
            (pid, _label(p.label_zh, p.label_en)) for pid, p in PROCEDURES.items())]


class CaseFilterForm(forms.Form):
    """The case list's filters."""

    q = forms.CharField(label=_("Keyword"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Household number or head's name")}))
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    step = forms.ChoiceField(label=_("Current step"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps: dict[str, str] = {}
        for p in PROCEDURES.values():
            for s in p.steps[1:]:
                steps.setdefault(s.id, _label(s.label_zh, s.label_en))
        self.fields["step"].choices = [("", _("All")), *steps.items()]
        self.fields["status"].choices = [*IdentificationStatus.choices, ("all", _("All"))]
        self.fields["status"].initial = IdentificationStatus.IN_PROGRESS
