"""Forms of the exit pages (精准退出): the step form is built from the step's evidence (data); the forms the
identification shares are in :mod:`fupin.web.forms.procedure`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy.exit_procedure import ExitProcedure
from fupin.policy.exit_rules import Criterion
from fupin.web.forms.procedure import Dated, ObjectionForm, ReasonForm, ResolveForm, StepFormBase
from fupin.web.forms.procedure import label as _label

from .choices import ExitStatus


class StepForm(StepFormBase):
    """完成环节 — the evidence the step requires (shared and exit kinds, one field per criterion at the
    verification), the date and a comment."""

    def __init__(self, *args: Any, procedure: ExitProcedure, step_id: str, criteria: Sequence[Criterion] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = procedure.step(step_id)
        self.add_evidence(procedure.evidence_fields(step_id, criteria))


class ProposalForm(Dated):
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


__all__ = [
    "CaseFilterForm", "ObjectionForm", "ProposalForm", "ReasonForm", "ResolveForm", "StepForm", "YearRegionForm",
]
