"""The forms the case procedures' pages share (识别 :mod:`fupin.identification.forms`, 退出
:mod:`fupin.exits.forms`, 监测对象识别 :mod:`fupin.monitoring.forms`): the date of an action, the evidence
fields built from a step's data, and the forms of the actions every procedure has — 完成环节
(:class:`StepFormBase`; :class:`StepForm` for a step whose evidence is all it asks), 驳回 / 撤回 with the
reason (:class:`ReasonForm`), 登记异议 (:class:`ObjectionForm`), 处理异议 (:class:`ResolveForm`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.procedure_services import today
from fupin.policy.procedure import EvidenceField, Step
from fupin.web.templatetags.fupin_tags import current_lang


def label(zh: str, en: str) -> str:
    """The label in the active language."""
    return en if current_lang().startswith("en") else zh


def date_input() -> forms.DateInput:
    """An ``<input type=date>``: its value must be ISO (``2024-03-01``) whatever the language's format."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=date_input(), **kwargs)


def evidence_field(f: EvidenceField) -> forms.Field:
    """材料字段 — the form field of one evidence field (whole number, date, long or short text)."""
    text = label(f.label_zh, f.label_en)
    if f.kind == "int":
        return forms.IntegerField(label=text, min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    if f.kind == "date":
        return date_field(text)
    if f.kind == "longtext":
        return forms.CharField(label=text, widget=forms.Textarea(attrs={"rows": 2}))
    return forms.CharField(label=text, max_length=200)


class Dated(forms.Form):
    """办理日期 — the date of the action, today by default."""

    on = forms.DateField(label=_("Date of the action"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today()


class StepFormBase(Dated):
    """完成环节 — the evidence the step requires (``evidence_<name>`` fields first), the date and a comment."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def add_evidence(self, specs: Iterable[EvidenceField]) -> None:
        """The step's evidence fields, before the date and the comment."""
        self.evidence_specs = tuple(specs)
        evidence = {f"evidence_{f.name}": evidence_field(f) for f in self.evidence_specs}
        self.fields = {**evidence, **self.fields}

    def evidence(self) -> dict[str, Any]:
        return {f.name: self.cleaned_data.get(f"evidence_{f.name}") for f in self.evidence_specs}

    def evidence_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("evidence_")]


class StepForm(StepFormBase):
    """完成环节 of a procedure step (识别, 监测对象识别) — the evidence ``step`` requires, the date and a comment."""

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        self.add_evidence(step.evidence_fields())


class ReasonForm(Dated):
    """驳回 (未通过, 不认可) / 撤回 — with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(Dated):
    """登记异议."""

    raised_by = forms.CharField(label=_("Raised by"), max_length=100, required=False,
                                help_text=_("Leave empty for an anonymous objection."))
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(Dated):
    """处理异议."""

    objection = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.BooleanField(label=_("The objection is upheld"), required=False)


__all__ = [
    "Dated", "ObjectionForm", "ReasonForm", "ResolveForm", "StepFormBase", "date_field", "date_input",
    "evidence_field", "label",
]
