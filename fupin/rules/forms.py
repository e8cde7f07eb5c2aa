"""Forms of the rules pages (规则): try a rule on one household, run rules or a scheme over a region.

Region choices are the user's region and the regions one and two levels below it, read through the
scoping function (as the import forms do); the services check the region again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.imports.forms import region_choices
from fupin.policy import roles
from fupin.policy.policy_sets import PolicySet

UNIT_CHOICES = [("household", _("Household view")), ("person", _("Person view"))]


class TryRuleForm(forms.Form):
    """试算: a rule text and a household number."""

    household_number = forms.CharField(label=_("Household number"), max_length=32)
    text = forms.CharField(label=_("Rule"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
                           help_text=_("For example: income_per_capita < poverty_line AND n_labour = 0"))
    unit = forms.ChoiceField(label=_("Columns of"), choices=UNIT_CHOICES, initial="household")


class RuleRunForm(forms.Form):
    """Run the eligibility set, a typed rule or named rules of the policy over a region."""

    MODES = [("eligibility", _("Eligibility and exclusions (the whole set)")), ("rule", _("A rule or chosen rules"))]

    region_code = forms.ChoiceField(label=_("Region"))
    mode = forms.ChoiceField(label=_("What to run"), choices=MODES, initial="eligibility",
                             widget=forms.RadioSelect)
    rule_text = forms.CharField(label=_("Rule"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}))
    rule_ids = forms.MultipleChoiceField(label=_("Rules of the policy"), required=False,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: Any, policy: PolicySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user, roles.VIEW_REGISTRY)
        self.fields["region_code"].initial = getattr(user, "region_id", None)
        self.fields["rule_ids"].choices = [(r.id, f"{r.label_zh} ({r.id})")
                                           for r in (*policy.eligibility, *policy.exclusions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "rule" and not (data.get("rule_text") or "").strip() and not data.get("rule_ids"):
            self.add_error("rule_text", _("Type a rule or choose rules of the policy."))
        return data


class SchemeRunForm(forms.Form):
    """Classify a region by a pathway scheme (N个一批)."""

    region_code = forms.ChoiceField(label=_("Region"))
    scheme_id = forms.ChoiceField(label=_("Pathway scheme"))

    def __init__(self, *args: Any, user: Any, policy: PolicySet, **kwargs: Any) -> None:
        # shown on one page with RuleRunForm: its own element ids (the field names stay the same)
        kwargs.setdefault("auto_id", "scheme_%s")
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user, roles.VIEW_REGISTRY)
        self.fields["region_code"].initial = getattr(user, "region_id", None)
        self.fields["scheme_id"].choices = [(s.id, s.label_zh) for s in policy.scheme_list]
