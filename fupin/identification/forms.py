"""Forms of the identification pages (识别程序): the step form is built from the step's evidence (data); the
forms the exit shares are in :mod:`fupin.web.forms.procedure`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fupin.core.bilingual import choices_in_language
from fupin.policy.procedure import PROCEDURES
from fupin.web.forms.procedure import (
    Dated,
    ObjectionForm,
    ReasonForm,
    ResolveForm,
    StepForm,
    date_field,
    date_input,
    evidence_field,
)
from fupin.web.forms.procedure import label as _label

from .choices import IdentificationStatus


class ApplicationExtraForm(Dated):
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
        self.fields["status"].choices = [*choices_in_language(IdentificationStatus.choices), ("all", _("All"))]
        self.fields["status"].initial = IdentificationStatus.IN_PROGRESS


__all__ = [  # the procedure forms re-exported for identification's views
    "ApplicationExtraForm", "CaseFilterForm", "ObjectionForm", "ReasonForm", "ResolveForm", "StepForm", "date_field",
    "date_input", "evidence_field",
]
