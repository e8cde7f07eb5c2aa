"""A "中文 English" choice label shown in one language (fupin.core.bilingual)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from fupin.core.bilingual import choices_in_language, in_language, split


@pytest.mark.parametrize(("label", "parts"), [
    ("待确认 awaiting review", ("待确认", "awaiting review")),
    ("只更新所列成员 listed persons only", ("只更新所列成员", "listed persons only")),
    ("接口 API", ("接口", "API")),
    ("全国识别程序(两公示一公告) national procedure (two publicities, one announcement)",
     ("全国识别程序(两公示一公告)", "national procedure (two publicities, one announcement)")),
    ("C级危房 grade C", ("C级危房", "grade C")),
    ("2014年已脱贫 exited in 2014", ("2014年已脱贫", "exited in 2014")),
    ("待确认", None), ("awaiting review", None), ("因病", None), ("", None),
])
def test_a_label_splits_at_the_first_space_before_its_english(label, parts):
    assert split(label) == parts


def test_the_active_language_picks_its_part_and_other_labels_stay():
    with translation.override("zh-hans"):
        assert (in_language("待确认 awaiting review"), in_language("因病")) == ("待确认", "因病")
    with translation.override("en"):
        assert (in_language("待确认 awaiting review"), in_language("因病")) == ("awaiting review", "因病")


def test_a_forms_choices_follow_the_language_it_is_shown_in():
    class Form(forms.Form):
        status = forms.ChoiceField(choices=choices_in_language([("review", "待确认 awaiting review")]))

    with translation.override("en"):
        assert 'value="review">awaiting review<' in str(Form()["status"])
    with translation.override("zh-hans"):
        assert 'value="review">待确认<' in str(Form()["status"])


def test_every_bilingual_choice_label_of_the_models_splits_into_both_languages():
    """The models' choice labels are Chinese only (code lists, shown by their code label) or
    "中文 English"; none is English first, or Chinese and English run together."""
    for model in apps.get_models():
        if model._meta.app_label in {"admin", "auth", "contenttypes", "sessions"}:
            continue
        for field in model._meta.get_fields():
            for _value, label in getattr(field, "choices", None) or ():
                text = str(label)
                if re.search(r"[A-Za-z]{2,}", text):  # an English word ("C级危房" has none)
                    assert split(text) is not None, (model.__name__, field.name, text)
