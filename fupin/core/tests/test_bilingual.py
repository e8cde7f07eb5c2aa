"""A "中文 English" choice label shown in one language (fupin.core.bilingual)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from fupin.core.bilingual import choices_in_language, in_language, message_in_language, split, split_message


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
    "中文 English"; none is English first, or Chinese and English run together. Read in Chinese: a
    lazily translated label would read in English after a test that left English active."""
    with translation.override("zh-hans"):
        _every_choice_label_splits()


def _every_choice_label_splits():
    for model in apps.get_models():
        if model._meta.app_label in {"admin", "auth", "contenttypes", "sessions"}:
            continue
        for field in model._meta.get_fields():
            for _value, label in getattr(field, "choices", None) or ():
                text = str(label)
                if re.search(r"[A-Za-z]{2,}", text):  # an English word ("C级危房" has none)
                    assert split(text) is not None, (model.__name__, field.name, text)


@pytest.mark.parametrize(("text", "parts"), [
    ("校验位错误(应为3) / wrong check character (expected 3)", ("校验位错误(应为3)", "wrong check character (expected 3)")),
    ("已保存 / saved", ("已保存", "saved")),
    ("共5户 / 5 households", ("共5户", "5 households")),
    # a value with " / " inside the Chinese part: the separator is the one before the English words
    ("不是数字: 3 / 4 / not a number", ("不是数字: 3 / 4", "not a number")),
    ("不是有效的民族代码: 汉x / not a valid ethnicity code", ("不是有效的民族代码: 汉x", "not a valid ethnicity code")),
    # an English prefix the page wrote before the stored message stays on the English side
    ("Run #3 failed: 不是数字 / not a number", ("Run #3 failed: 不是数字", "Run #3 failed: not a number")),
    ("运行 #3 失败:不是数字 / not a number", ("运行 #3 失败:不是数字", "not a number")),
    # a refusal quoting another refusal, put together part by part
    ("入库失败,登记库未改变 / the merge failed: 批次状态为已入库,不能入库 / only a batch awaiting review can be merged",
     ("入库失败,登记库未改变:批次状态为已入库,不能入库", "the merge failed: only a batch awaiting review can be merged")),
    # the separator right after a closing bracket or quote, as many messages write it
    ("当前环节不是「贫困户认可」/ the case is not at the consent step", ("当前环节不是「贫困户认可」", "the case is not at the consent step")),
    ("两不愁三保障未达标 / falls short on: 不是两不愁三保障的一项: x(可用: food 不愁吃、两不愁三保障 any)/ not one of the guarantees",
     ("两不愁三保障未达标:不是两不愁三保障的一项: x(可用: food 不愁吃、两不愁三保障 any)", "falls short on: not one of the guarantees")),
    # not (clearly) such a message: shown as it is
    ("超过30天未处理 / not decided within 30 days: refused by the system (批次 #5 上传时 / when batch #5 was uploaded)", None),
    ("脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户", None), ("未保存 / not saved: 不是数字 / not a number; 不能为负 / negative", None),
    ("a / b", None), ("已保存", None), ("saved", None), ("", None),
])
def test_a_message_splits_at_its_one_separator(text, parts):
    assert split_message(text) == parts


def test_a_message_is_shown_in_the_active_language():
    with translation.override("zh-hans"):
        assert message_in_language("已保存 / saved") == "已保存"
        assert message_in_language("a / b") == "a / b"
    with translation.override("en"):
        assert message_in_language("已保存 / saved") == "saved"


def test_a_forms_errors_are_shown_in_the_active_language():
    """The form renderer's error list (fupin.web.form_renderer): a service's refusal added to a field
    or to the form reads in the page's language."""
    class Form(forms.Form):
        number = forms.CharField()

    form = Form(data={"number": "x"})
    assert form.is_valid()
    form.add_error("number", "不是数字 / not a number")
    form.add_error(None, "批次已入库 / the batch is merged")
    with translation.override("zh-hans"):
        assert "<li>不是数字</li>" in str(form["number"].errors)
        assert "<li>批次已入库</li>" in str(form.non_field_errors())
    with translation.override("en"):
        assert "<li>not a number</li>" in str(form["number"].errors)
        assert "<li>the batch is merged</li>" in str(form.non_field_errors())
