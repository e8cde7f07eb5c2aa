"""Forms of the monitoring pages (防返贫监测). The procedure's step, reason and objection forms are the case
procedures' (:mod:`fupin.web.forms.procedure`; the step form is built from the step's evidence data)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.bilingual import in_language
from fupin.policy.monitoring import MonitoringPolicy
from fupin.web.forms.procedure import date_field
from fupin.web.forms.procedure import label as _label

from .choices import Channel, DataKind, MonitoringStatus, MonitoringType


def _today():
    from .services import today

    return today()


class ObjectFilterForm(forms.Form):
    """The monitoring list's filters."""

    q = forms.CharField(label=_("Keyword"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Household number or head's name")}))
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    status = forms.ChoiceField(label=_("Status"), required=False)
    type = forms.ChoiceField(label=_("Monitoring type"), required=False)
    cause = forms.ChoiceField(label=_("Risk cause"), required=False)

    def __init__(self, *args: Any, policy: MonitoringPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("open", _("Open (flagged, under identification, monitored)")),
                                         *((v, in_language(lab)) for v, lab in MonitoringStatus.choices),
                                         ("all", _("All"))]
        self.fields["type"].choices = [("", _("All")), *((v, in_language(lab)) for v, lab in MonitoringType.choices)]
        self.fields["cause"].choices = [("", _("All")), *((r.id, _label(r.label_zh, r.label_en))
                                                          for r in policy.flag_rules)]


class FlagForm(forms.Form):
    """发现 — the risk causes, what happened, how it was found, the date."""

    causes = forms.MultipleChoiceField(label=_("Risk causes"), required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(label=_("Found by"))
    on = date_field(_("Date found"))

    def __init__(self, *args: Any, policy: MonitoringPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["causes"].choices = [(r.id, _label(r.label_zh, r.label_en)) for r in policy.active_flag_rules]
        self.fields["channel"].choices = [(v, in_language(lab)) for v, lab in Channel.choices
                                          if v != Channel.DEPARTMENT]
        self.fields["on"].initial = _today()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("causes") and not (data.get("note") or "").strip():
            raise forms.ValidationError(_("Choose a risk cause or describe what happened."))
        return data


class IncomeCheckForm(forms.Form):
    """收入核查."""

    income_per_capita = forms.DecimalField(label=_("Net income per person (yuan a year)"), min_value=0,
                                           max_digits=12, decimal_places=2)
    checked_on = date_field(_("Checked on"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = _today()


class DatedForm(forms.Form):
    """风险消除评估 / 风险消除 — the date, a comment, the version read."""

    on = date_field(_("Date"))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = _today()


class RunForm(forms.Form):
    """A flag run or an elimination run over a region."""

    region_code = forms.CharField(label=_("Region code"), max_length=12)
    on = date_field(_("As of"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = _today()


class DataUploadForm(forms.Form):
    """部门数据导入 — the kind, the region it was supplied for, its as-of date, the file."""

    kind = forms.ChoiceField(label=_("Kind of data"))
    region_code = forms.CharField(label=_("Region code"), max_length=12)
    as_of = date_field(_("Data as of"))
    source_department = forms.CharField(label=_("Supplied by"), required=False, max_length=100)
    file = forms.FileField(label=_("File (xlsx, xls or csv)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(v, in_language(lab)) for v, lab in DataKind.choices]
