"""Forms of the screening pages (数据比对): upload a department list, run a screening, filter the queue,
decide a hit. Region choices come from the scoping function (the user's region and two levels below,
:func:`fupin.imports.forms.region_choices`); the services check scope again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.core.bilingual import choices_in_language
from fupin.imports.forms import region_choices
from fupin.policy import clock, department_lists, roles

from .choices import Decision, HitStatus

ACCEPT = ".xlsx,.xls,.ods,.csv,.txt,.tsv"
#: Text files are CSV or tab-delimited (Excel's and WPS's 文本文件(制表符分隔)), told apart by the reader.
ENDINGS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv")


class ListUploadForm(forms.Form):
    """上传部门名单: the kind, the region it was supplied for, its as-of date and the file."""

    kind = forms.ChoiceField(label=_("List kind"))
    region_code = forms.ChoiceField(label=_("Region of the list"))
    as_of = forms.DateField(label=_("Data as of"),
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    source_department = forms.CharField(label=_("Source department"), max_length=100, required=False,
                                        help_text=_("Empty: the usual department of the kind."))
    file = forms.FileField(label=_("List file (.xlsx, .xls, .ods, .csv or tab-delimited .txt)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args: Any, user: Any, lang: str = "zh", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = department_lists.choices(lang)
        self.fields["region_code"].choices = region_choices(user, roles.IMPORT_SCREENING_LIST)
        if getattr(user, "region_id", None):
            self.fields["region_code"].initial = user.region_id
        self.fields["as_of"].initial = clock.today()

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(ENDINGS):
            raise forms.ValidationError(_("Only .xlsx, .xls, .ods, .csv and tab-delimited .txt files can be "
                                          "imported."))
        return f


class RunForm(forms.Form):
    """开展比对: a region in the user's scope and the lists to compare with."""

    region_code = forms.ChoiceField(label=_("Region to screen"))
    lists = forms.TypedMultipleChoiceField(label=_("Department lists"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked: the newest list of each kind."))

    def __init__(self, *args: Any, user: Any, usable: list[Any], default_ids: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user, roles.RUN_SCREENING)
        if getattr(user, "region_id", None):
            self.fields["region_code"].initial = user.region_id
        self.fields["lists"].choices = [
            (d.pk, f"#{d.pk} {department_lists.get_kind(d.kind).label_zh} · {d.source_department} · "
                   f"{d.as_of:%Y-%m-%d} · {d.rows_accepted}") for d in usable]
        self.fields["lists"].initial = sorted(default_ids)


class QueueFilterForm(forms.Form):
    """疑点队列筛选: kind, status, a region (any level) in the user's scope."""

    kind = forms.ChoiceField(label=_("List kind"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    run = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, lang: str = "zh", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *department_lists.choices(lang)]
        self.fields["status"].choices = [("", _("All statuses")), *choices_in_language(HitStatus.choices)]
        self.fields["region"].choices = [("", _("Whole scope")), *region_choices(user, roles.VIEW_SCREENING)]


class DecideForm(forms.Form):
    """核实疑点: confirm, or dismiss with a comment (the service refuses a dismissal without one)."""

    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
