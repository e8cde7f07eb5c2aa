"""Template filters: code labels in the active language, masking."""

from types import SimpleNamespace

from django.template import Context, Template
from django.utils import translation

from fupin.core.audit import actor_name
from fupin.web.templatetags.fupin_tags import (
    account_for,
    actor_label,
    category_label,
    code_label,
    id_for,
    mask_account,
    role_label,
)


def test_code_label_follows_the_active_language():
    with translation.override("zh-hans"):
        assert code_label("10", "poverty_cause") == "交通条件落后"
    with translation.override("en"):
        assert code_label("10", "poverty_cause") == "Poor transport"
    assert code_label("77", "poverty_cause") == "77"
    assert code_label("", "poverty_cause") == ""
    assert code_label(None, "poverty_cause") == ""


def test_code_label_in_a_template():
    with translation.override("zh-hans"):
        out = Template('{% load fupin_tags %}{{ v|code_label:"labour_skill" }}').render(Context({"v": "3"}))
    assert out == "丧失劳动力"


def test_category_label_reads_the_form_version():
    with translation.override("zh-hans"):
        assert category_label(SimpleNamespace(category="3", category_form_version="2014")) == "低保户"
        assert category_label(SimpleNamespace(category="3", category_form_version="2016")) == "特困供养贫困户"


def test_masking():
    assert mask_account("6228480012345678") == "************5678"
    assert mask_account("1234") == "****"
    assert mask_account("") == ""
    viewer = SimpleNamespace(is_authenticated=True, may_see_full_id=False)
    officer = SimpleNamespace(is_authenticated=True, may_see_full_id=True)
    assert id_for("350421197005010011", viewer) == "3504**********0011"
    assert id_for("350421197005010011", officer) == "350421197005010011"
    assert account_for("6228480012345678", officer) == "6228480012345678"
    assert id_for("350421197005010011", SimpleNamespace(is_authenticated=False)) == "3504**********0011"


def test_role_label():
    with translation.override("en"):
        assert role_label(SimpleNamespace(role="evaluator")) == "Evaluator"
    with translation.override("zh-hans"):
        assert role_label(SimpleNamespace(role="evaluator")) == "第三方评估"
    assert role_label(SimpleNamespace(role="nobody")) == ""


def test_the_system_is_named_in_the_page_language_and_a_user_as_stored():
    """A write made by no user keeps ``system`` (the audit trail, the API); the pages say 系统 / the system."""
    assert actor_name(None) == "system"
    with translation.override("zh-hans"):
        assert (actor_label(actor_name(None)), actor_label("mingxi_county"), actor_label("")) == ("系统", "mingxi_county", "")
        out = Template("{% load fupin_tags %}{{ b.actor_name|actor_label }}").render(Context({"b": {"actor_name": "system"}}))
        assert out == "系统"
    with translation.override("en"):
        assert actor_label("system") == "the system"
