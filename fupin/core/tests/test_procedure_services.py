"""The shared case machinery (案件办理): each app's refusals, messages and hooks, as the apps declare them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from fupin.core import procedure_services
from fupin.core.procedure_services import CaseProcedure, ProcedureRefusal, decision_reasons, describe
from fupin.exits import services as exit_services
from fupin.identification import services as identification_services
from fupin.policy.procedure import ProcedureError
from fupin.registry.services import RegistryError, VersionConflict

APPS = [(identification_services.CASES, identification_services.IdentificationError, "申请", ""),
        (exit_services.CASES, exit_services.ExitError, "退出案件", "nothing_to_do")]


@pytest.mark.parametrize(("cases", "error", "noun", "code"), APPS)
def test_each_app_declares_its_cases(cases: CaseProcedure, error: type, noun: str, code: str):
    assert cases.error is error and issubclass(error, ProcedureRefusal) and issubclass(error, RegistryError)
    assert cases.noun_zh == noun and cases.nothing_to_do_code == code


@pytest.mark.parametrize(("cases", "error", "noun", "code"), APPS)
def test_a_future_date_is_refused_with_the_apps_error(cases: CaseProcedure, error: type, noun: str, code: str):
    tomorrow = procedure_services.today() + dt.timedelta(days=1)
    with pytest.raises(error) as refused:
        cases.check_date(tomorrow)
    assert refused.value.field_errors == {"on": ["不能晚于今天 / cannot be in the future"]}
    assert cases.check_date(None) == procedure_services.today()


@pytest.mark.parametrize(("cases", "error", "noun", "code"), APPS)
def test_a_stale_version_names_the_apps_case(cases: CaseProcedure, error: type, noun: str, code: str):
    cases.check_version(SimpleNamespace(version=3), None)
    cases.check_version(SimpleNamespace(version=3), 3)
    with pytest.raises(VersionConflict) as stale:
        cases.check_version(SimpleNamespace(version=3), 2)
    assert stale.value.message.startswith(f"该{noun}已被他人办理")


def test_a_batch_error_names_the_blocking_households():
    err = exit_services.CASES.batch_error("民主评议", 5, ["户编号 1(张三): x", "户编号 2(—): y"])
    assert isinstance(err, exit_services.ExitError) and err.code == "batch_blocked"
    assert err.message.startswith("本村5户中有2户不能办理「民主评议」,整批未办理")
    assert err.field_errors == {"households": ["户编号 1(张三): x", "户编号 2(—): y"]}


def test_a_refusal_keeps_the_procedures_code_and_message():
    err = identification_services.IdentificationError.of(ProcedureError("quorum", "不足法定人数", "no quorum"),
                                                          prefix="设置有误: ")
    assert err.code == "quorum" and err.message.startswith("设置有误: 不足法定人数")
    coded = exit_services.ExitError.coded("not_batchable", "逐户", {"step": ["consent"]})
    assert coded.code == "not_batchable" and coded.field_errors == {"step": ["consent"]}


def test_describe_and_decision_reasons():
    assert describe(SimpleNamespace(household_number="350421001", head_name="")) == "户编号 350421001(—)"
    stored = SimpleNamespace(reasons=[{"rule_id": "income", "label_zh": "收入超标"}, {"rule_id": "car"}, "junk"])
    assert decision_reasons(stored) == ("收入超标", "car")
    assert decision_reasons(SimpleNamespace(reasons=None)) == ()
