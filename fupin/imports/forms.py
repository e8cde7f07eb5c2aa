"""Forms of the import/export pages (导入导出): upload a roster, refuse a batch, export a roster.

The region choices are the user's own region and the regions below it (two levels down, to the
village), read through the scoping function: a user can only pick a place they may import into
(upload, ``registry.edit``) or see (export, ``registry.view``). The services check again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fupin.core.bilingual import choices_in_language
from fupin.core.landing import too_large
from fupin.core.scoping import visible_to
from fupin.policy import codes, roles
from fupin.policy.regions import LEVEL_VILLAGE
from fupin.regions.models import Region

from .choices import BatchStatus, ImportMode
from .roster_filter import GUARANTEES, PERSON_BY_FIELD
from .selectors import BatchFilter
from .services import max_file_bytes  # the service checks again while it lands the file

ACCEPT = ".xlsx,.xls,.ods,.csv,.txt,.tsv,.zip"
#: The endings the upload takes (text: CSV or tab-delimited, read_roster.split_by_delimiter).
ENDINGS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv", ".zip")
MAX_CHOICES = 2000


def region_choices(user: Any, capability: str) -> list[tuple[str, str]]:
    """The user's region, then the regions one and two levels below it (down to villages)."""
    region = getattr(user, "region", None)
    if region is None or not user.has_capability(capability):
        return []
    levels = [lv for lv in (region.level + 1, region.level + 2) if lv <= LEVEL_VILLAGE]
    below = (visible_to(user, Region.objects.filter(level__in=levels), capability)
             .order_by("code").only("code", "name", "level")[:MAX_CHOICES])
    out = [(region.code, f"{region.name} ({region.code})")]
    out += [(r.code, f"{'· ' * (r.level - region.level)}{r.name} ({r.code})") for r in below]
    return out


class UploadForm(forms.Form):
    """上传花名册: an .xlsx, .xls, .ods, .csv or tab-delimited .txt file (or a .zip of them), the region it
    is imported into and the import mode (整户导入, or 只更新所列成员: :mod:`.pipelines.diff_members`)."""

    file = forms.FileField(label=_("Roster file (.xlsx, .xls, .ods, .csv or tab-delimited .txt, or a .zip of them)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    region_code = forms.ChoiceField(label=_("Import into region"))
    #: One radio button per mode, each naming what it reads and what it leaves (a select's options were cut off
    #: and its one help text explained two modes away from their names).
    mode = forms.ChoiceField(
        label=_("Import mode"), initial=ImportMode.HOUSEHOLDS, required=False, widget=forms.RadioSelect,
        choices=[
            (ImportMode.HOUSEHOLDS.value, _("Whole households: each household in the file is replaced by its rows "
                                            "(new households, changes, members joining and leaving)")),
            (ImportMode.MEMBERS.value, _("Listed persons only: a list of some members sent back corrected; only "
                                         "their own columns are updated, household columns are not read, and no one "
                                         "is added, moved or leaves")),
            (ImportMode.HOUSEHOLD_COLUMNS.value, _("Household columns only: one row per household (the household "
                                                   "roster: incomes, housing, water); members, head and size stay as "
                                                   "registered and incomes are computed again")),
        ])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user, roles.EDIT_REGISTRY)
        if getattr(user, "region_id", None):
            self.fields["region_code"].initial = user.region_id

    def clean_mode(self) -> str:
        """Not given (an older form, a script posting the file): whole households, as before."""
        return self.cleaned_data.get("mode") or ImportMode.HOUSEHOLDS.value

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(ENDINGS):
            raise forms.ValidationError(_("Only .xlsx, .xls, .ods, .csv and tab-delimited .txt files, or a .zip of "
                                          "them, can be imported."))
        if f.size is not None and f.size > max_file_bytes():
            raise forms.ValidationError(too_large(max_file_bytes()))
        return f


class BatchFilterForm(forms.Form):
    """导入批次筛选: status, region (the user's own and below) and a file name or SHA-256. Invalid values
    are dropped, not refused: the list then shows without that filter."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    q = forms.CharField(label=_("File name or SHA-256"), required=False, max_length=255,
                        widget=forms.SearchInput(attrs={"placeholder": _("Part of the file name, or its SHA-256")}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *choices_in_language(BatchStatus.choices)]
        self.fields["region"].choices = [("", _("All")), *region_choices(user, roles.VIEW_REGISTRY)]

    def where(self) -> BatchFilter:
        """The filters that are valid (each field on its own)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return BatchFilter(status=data.get("status") or "", region=data.get("region") or "", q=data.get("q") or "")


class RefuseForm(forms.Form):
    """拒绝: the whole batch is refused, with a reason."""

    comment = forms.CharField(label=_("Reason for refusing"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


def _person_field(label: Any, field: str, *, listed: bool = False, groups: bool = True,
                  help_text: Any = "") -> forms.MultipleChoiceField:
    """A 人员筛选 field: the member column's codes (and, with ``groups``, its group words first) as boxes,
    or as a list to pick several from (``listed``: long code lists)."""
    widget = forms.SelectMultiple(attrs={"size": 6}) if listed else forms.CheckboxSelectMultiple
    return forms.MultipleChoiceField(label=label, required=False, widget=widget, help_text=help_text,
                                     choices=lambda: _person_choices(field, groups=groups))


class ExportForm(forms.Form):
    """导出花名册: a region in the user's scope, the roster (persons or households), a format, which
    households (导出筛选: 脱贫状态, 识别年度, 脱贫年度, 致贫原因, 贫困户属性, 两不愁三保障未达标, 危房户), which
    members (人员筛选: 性别, 民族, 文化程度, 在校生状况, 健康状况, 劳动技能, 务工状况, 年龄 — :data:`PERSON_FILTERS`, shown
    folded under their own heading), all read by :func:`fupin.imports.roster_filter.parse_filter` in the
    view, and whether to split it into one file per township or village (a ZIP)."""

    region = forms.ChoiceField(label=_("Region"))
    kind = forms.ChoiceField(label=_("Roster"), initial="persons", choices=[
        ("persons", _("Person roster (one row per person)")),
        ("households", _("Household roster (one row per household)"))])
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")],
                               initial="xlsx")
    poverty_status = forms.MultipleChoiceField(
        label=_("Poverty status"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(item.code, f"{item.code} {_code_text(item)}") for item in codes.POVERTY_STATUS.items],
        help_text=_("None ticked: every household."))
    identification_year = forms.CharField(label=_("Identified in"), required=False, max_length=20,
                                          widget=forms.TextInput(attrs={"placeholder": "2014 / 2014-2016", "size": 12}))
    exit_year = forms.CharField(label=_("Exit year"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"placeholder": "2019 / 2016-2020", "size": 12}))
    planned_exit_year = forms.CharField(label=_("Planned exit year"), required=False, max_length=20,
                                        widget=forms.TextInput(attrs={"placeholder": "2019", "size": 12}))
    cause = forms.ChoiceField(label=_("Cause of poverty"), required=False, choices=lambda: [
        ("", _("All")), *((item.code, f"{item.code} {_code_text(item)}") for item in codes.POVERTY_CAUSE.items)])
    category = forms.ChoiceField(label=_("Household category"), required=False, choices=lambda: [
        ("", _("All")), *((f"{version}:{item.code}", f"{_code_text(item)} ({version})")
                          for version, cl in sorted(codes.HOUSEHOLD_CATEGORY_BY_VERSION.items(), reverse=True)
                          for item in cl.items)])
    shortfall = forms.MultipleChoiceField(
        label=_("Falls short on (两不愁三保障)"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(g.key, _code_text(g)) for g in GUARANTEES],
        help_text=_("Households falling short on any of those ticked; none ticked: every household."))
    dilapidated = forms.MultipleChoiceField(
        label=_("Dilapidated housing (危房户)"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(item.code, _code_text(item)) for item in codes.DILAPIDATED_GRADE.items if item.code],
        help_text=_("Households whose house has a grade ticked; none ticked: every household."))
    split = forms.ChoiceField(label=_("Split"), required=False, initial="", choices=[
        ("", _("One file")), ("township", _("One file per township (ZIP)")),
        ("village", _("One file per village (ZIP)")), ("sheets", _("One sheet per village (one xlsx)"))])
    sex = _person_field(_("Sex"), "sex", groups=False)  # 女性/男性 are only other words for 女/男
    ethnicity = _person_field(_("Ethnicity"), "ethnicity", listed=True,
                              help_text=_("少数民族: every one but 汉族. Hold Ctrl to choose several."))
    education = _person_field(_("Education"), "education")
    schooling = _person_field(_("Schooling"), "schooling", listed=True,
                              help_text=_("在校生: every grade. Hold Ctrl to choose several."))
    health = _person_field(_("Health"), "health")
    labour_skill = _person_field(_("Labour skill"), "labour_skill")
    migrant_work = _person_field(_("Migrant work"), "migrant_work")
    age = forms.CharField(label=_("Age (full years)"), required=False, max_length=20,
                          widget=forms.TextInput(attrs={"placeholder": "16-60 / 60以上 / 18以下", "size": 14}),
                          help_text=_("On the day of the export; both ends included."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(user, roles.VIEW_REGISTRY)
        if getattr(user, "region_id", None):
            self.fields["region"].initial = user.region_id

    def household_fields(self) -> list[forms.BoundField]:
        """The region, roster, format, 导出筛选 and split fields, in order."""
        return [self[name] for name in self.fields if name not in PERSON_FILTERS]

    def person_fields(self) -> list[forms.BoundField]:
        """The 人员筛选 fields, in order."""
        return [self[name] for name in PERSON_FILTERS]


#: The export form's 人员筛选 fields (the rest are the region, roster, format, household filters and split).
PERSON_FILTERS = ("sex", "ethnicity", "education", "schooling", "health", "labour_skill", "migrant_work", "age")


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _code_text(item: Any) -> str:
    """A code's (or a guarantee's) label in the language the form is shown in (its ``zh`` or ``en``)."""
    return str(item.en if _english() else item.zh)


def _group_text(words: tuple[str, ...]) -> str:
    """A group's word as shown: its first English word on an English page (``Students``), else its first
    word (``在校生``, also the value sent)."""
    if _english():
        word = next((w for w in words if w.isascii()), words[0])
        return word[:1].upper() + word[1:]
    return words[0]


def _person_choices(field: str, *, groups: bool = True) -> list[tuple[str, str]]:
    """A member column's codes with their labels, its group words first (在校生, 劳动力, 未务工, 务工;
    none without ``groups``), in the language the form is shown in; the values are the codes and the
    groups' first words whatever the language."""
    person = PERSON_BY_FIELD[field]
    code_list = person.code_list()

    def label(code: str) -> str:
        return _group_text(next(w for w, chosen in person.groups if chosen == ("",))) if code == "" \
            else code_list.label(code, "en" if _english() else "zh")

    sep, everything = (", ", "all") if _english() else ("、", "全部")
    words = [(w[0], _group_text(w) + ("" if chosen == ("",) else f" ({sep.join(label(c) for c in chosen)})"
                                      if len(chosen) <= 3 else f" ({everything})"))
             for w, chosen in person.groups]
    return [*(words if groups else []), *((item.code, f"{item.code} {_code_text(item)}") for item in code_list.items
                                          if item.code)]
