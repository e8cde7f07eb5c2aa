"""The identification procedure as data, and its pure transition function (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.policy.procedure import (
    PROCEDURES,
    Action,
    ActionKind,
    CaseState,
    CaseStatus,
    Decision,
    Procedure,
    ProcedureError,
    Share,
    allowed_actions,
    apply_overrides,
    earliest_end,
    get_procedure,
    initial_state,
    transition,
)

D0 = dt.date(2024, 3, 1)
YES = Decision(eligible=True, reasons=("income_below_line",), policy_version="national-2016.1")
NO = Decision(eligible=False, reasons=("public_payroll",), policy_version="national-2016.1")
APPLICATION = {"applicant": "张三", "applied_on": "2024-03-01"}
MEETING = {"held_on": "2024-03-02", "representatives_total": 30, "representatives_present": 21,
           "votes_for": 18, "votes_against": 2}
OPINION = {"reviewer": "李四", "opinion": "同意"}
SURVEY = {"surveyor": "王五", "surveyed_on": "2024-03-01", "findings": "收入属实"}
SIGNATURES = {"village_secretary": "赵书记", "first_secretary": "钱书记"}
COMPARISON = {"compared_on": "2024-03-10", "comparison_result": "未发现车辆、房产、工商、财政供养"}


def act(kind: str, step: str, role: str, on: dt.date, **kw) -> Action:
    return Action(kind=kind, step_id=step, role=role, on=on, **kw)


def complete(proc: Procedure, state: CaseState, step: str, role: str, on: dt.date, **kw):
    return transition(proc, state, act(ActionKind.COMPLETE, step, role, on, **kw))


def started(proc: Procedure, on: dt.date = D0) -> CaseState:
    return complete(proc, initial_state(proc, on), "application", "village", on, evidence=APPLICATION).state


# --------------------------------------------------------------------------------------- the data


def test_national_steps_in_order_with_labels_roles_and_flags():
    national = get_procedure("national")
    assert [s.id for s in national.steps] == [
        "application", "democratic_review", "first_publicity", "township_review", "second_publicity",
        "county_review", "announcement", "registration"]
    assert [s.label_zh for s in national.steps] == [
        "农户申请", "民主评议", "第一次公示", "乡镇审核", "第二次公示", "县级复审", "公告", "建档"]
    assert national.version == "national-2014.1"
    review = national.step("democratic_review")
    assert (review.label_en, review.quorum, review.runs_decision, review.evidence) == (
        "democratic review", Share(2, 3), True, ("meeting",))
    assert review.roles == {"village", "workteam", "township"}
    assert national.step("county_review").roles == {"county"}
    assert national.step("county_review").runs_decision
    assert [s.id for s in national.steps if s.runs_decision] == ["democratic_review", "county_review"]
    assert [(s.id, s.publicity_days) for s in national.steps if s.is_publicity] == [
        ("first_publicity", 7), ("second_publicity", 7)]
    assert national.step("township_review").roles == {"township"}


def test_kaizhou_adds_household_survey_and_data_comparison():
    kaizhou = get_procedure("kaizhou")
    assert [s.id for s in kaizhou.steps] == [
        "application", "household_survey", "democratic_review", "first_publicity", "data_comparison",
        "township_review", "second_publicity", "county_review", "announcement", "registration"]
    working = [s for s in kaizhou.steps if not s.is_publicity]
    assert (len(working), len([s for s in kaizhou.steps if s.is_publicity])) == (8, 2)  # 八步二公示
    assert kaizhou.step("household_survey").evidence == ("survey_form",)
    assert kaizhou.step("data_comparison").evidence == ("comparison",)
    assert kaizhou.step("data_comparison").roles == {"township"}


def test_jingyu_requires_both_secretaries_signatures():
    jingyu = get_procedure("jingyu")
    assert jingyu.step("household_survey").label_zh == "入户核实"
    assert jingyu.step("first_publicity").evidence == ("signatures",)
    fields = [f.name for f in jingyu.step("first_publicity").evidence_fields()]
    assert fields == ["village_secretary", "first_secretary"]


def test_round_trip_through_dict():
    for proc in PROCEDURES.values():
        assert Procedure.from_dict(proc.to_dict()) == proc


def test_unknown_procedure_and_invalid_definitions_are_refused():
    with pytest.raises(ProcedureError) as err:
        get_procedure("nowhere")
    assert err.value.code == "unknown_procedure"
    data = get_procedure("national").to_dict()
    data["steps"] = data["steps"][1:]  # no application step
    with pytest.raises(ProcedureError, match="首环节应为 application"):
        Procedure.from_dict(data)
    data = get_procedure("national").to_dict()
    data["steps"][2]["roles"] = ["mayor"]
    with pytest.raises(ProcedureError, match="mayor"):
        Procedure.from_dict(data)


def test_county_override_makes_a_new_version_and_leaves_the_original():
    national = get_procedure("national")
    local = apply_overrides(national, {"publicity_days": {"first_publicity": 5},
                                       "quorum": {"democratic_review": "3/4"},
                                       "evidence": {"township_review": ["opinion", "signatures"]}},
                            version="national-2014.1+350421.1")
    assert local.version == "national-2014.1+350421.1"
    assert local.step("first_publicity").publicity_days == 5
    assert local.step("democratic_review").quorum == Share(3, 4)
    assert local.step("township_review").evidence == ("opinion", "signatures")
    assert national.step("first_publicity").publicity_days == 7  # the released version is unchanged
    with pytest.raises(ProcedureError, match="不是公示环节"):
        apply_overrides(national, {"publicity_days": {"county_review": 3}}, version="x")
    with pytest.raises(ProcedureError, match="不能覆盖"):
        apply_overrides(national, {"steps": []}, version="x")


# ---------------------------------------------------------------------------------- transitions


def test_walk_the_national_procedure():
    p = get_procedure("national")
    s = initial_state(p, D0)
    assert (s.step_id, s.status) == ("application", CaseStatus.IN_PROGRESS)
    t = complete(p, s, "application", "village", D0, evidence=APPLICATION)
    assert (t.completed.id, t.entered.id, t.state.step_started_on) == ("application", "democratic_review", D0)
    assert t.evidence == {"applicant": "张三", "applied_on": "2024-03-01"}
    t = complete(p, t.state, "democratic_review", "workteam", dt.date(2024, 3, 2), evidence=MEETING, decision=YES)
    assert t.evidence["representatives_present"] == 21
    assert (t.state.step_id, t.state.step_started_on) == ("first_publicity", dt.date(2024, 3, 2))
    t = complete(p, t.state, "first_publicity", "village", dt.date(2024, 3, 9))
    t = complete(p, t.state, "township_review", "township", dt.date(2024, 3, 10), evidence=OPINION)
    t = complete(p, t.state, "second_publicity", "township", dt.date(2024, 3, 17))
    t = complete(p, t.state, "county_review", "county", dt.date(2024, 3, 18), evidence=OPINION, decision=YES)
    t = complete(p, t.state, "announcement", "county", dt.date(2024, 3, 18))
    assert not t.registered
    t = complete(p, t.state, "registration", "county", dt.date(2024, 3, 19))
    assert t.registered and t.closed and t.entered is None
    assert t.state.status == CaseStatus.REGISTERED
    with pytest.raises(ProcedureError) as err:
        complete(p, t.state, "registration", "county", dt.date(2024, 3, 20))
    assert err.value.code == "case_closed"
    assert "已建档" in err.value.message


def test_illegal_transitions_name_the_current_step():
    p = get_procedure("national")
    s = started(p)
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "county_review", "county", D0, evidence=OPINION, decision=YES)
    assert err.value.code == "illegal_transition"
    assert err.value.message == ("不能办理「县级复审」: 当前环节是「民主评议」(前面的环节尚未完成) / cannot act on "
                                 "county review: the case is at democratic review (the steps before it are not done)")
    with pytest.raises(ProcedureError, match="该环节已完成"):
        complete(p, s, "application", "village", D0, evidence=APPLICATION)
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "data_comparison", "township", D0)  # not a step of the national procedure
    assert err.value.code == "unknown_step"


def test_wrong_role_is_refused():
    p = get_procedure("national")
    s = started(p)
    s = complete(p, s, "democratic_review", "village", D0, evidence=MEETING | {"held_on": "2024-03-01"},
                 decision=YES).state
    s = complete(p, s, "first_publicity", "village", dt.date(2024, 3, 8)).state
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "township_review", "village", dt.date(2024, 3, 9), evidence=OPINION)
    assert err.value.code == "wrong_role"
    assert err.value.message.startswith("村干部不能办理「乡镇审核」,应由乡镇干部办理")
    s = complete(p, s, "township_review", "township", dt.date(2024, 3, 9), evidence=OPINION).state
    s = complete(p, s, "second_publicity", "village", dt.date(2024, 3, 16)).state
    for role in ("village", "workteam", "township", "evaluator", "admin"):
        with pytest.raises(ProcedureError, match="县扶贫办办理"):
            complete(p, s, "county_review", role, dt.date(2024, 3, 17), evidence=OPINION, decision=YES)


def test_publicity_minimum_duration_names_the_earliest_date():
    p = get_procedure("national")
    s = complete(p, started(p), "democratic_review", "village", dt.date(2024, 3, 2), evidence=MEETING,
                 decision=YES).state
    assert earliest_end(p.step("first_publicity"), s.step_started_on) == dt.date(2024, 3, 9)
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "first_publicity", "village", dt.date(2024, 3, 8))
    assert err.value.code == "publicity_too_short"
    assert err.value.zh == "公示期未满7天: 自2024-03-02起公示,最早2024-03-09可结束"
    assert "may end on 2024-03-09 at the earliest" in err.value.en
    assert err.value.field_errors == {"on": [err.value.message]}
    assert complete(p, s, "first_publicity", "village", dt.date(2024, 3, 9)).state.step_id == "township_review"
    shorter = apply_overrides(p, {"publicity_days": {"first_publicity": 5}}, version="v5")
    assert complete(shorter, s, "first_publicity", "village", dt.date(2024, 3, 7)).state.step_id == "township_review"


def test_an_open_objection_blocks_the_publicity_step_until_resolved():
    p = get_procedure("national")
    s = complete(p, started(p), "democratic_review", "village", D0, evidence=MEETING | {"held_on": "2024-03-01"},
                 decision=YES).state
    with pytest.raises(ProcedureError, match="请填写异议内容"):
        transition(p, s, act(ActionKind.OBJECT, "first_publicity", "village", dt.date(2024, 3, 3)))
    s = transition(p, s, act(ActionKind.OBJECT, "first_publicity", "village", dt.date(2024, 3, 3),
                             comment="该户有小轿车")).state
    assert s.open_objections == 1
    assert ActionKind.RESOLVE in allowed_actions(p, s, "township")
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "first_publicity", "village", dt.date(2024, 3, 20))
    assert err.value.code == "objection_open"
    assert "有1条异议未处理" in err.value.zh
    s = transition(p, s, act(ActionKind.RESOLVE, "first_publicity", "township", dt.date(2024, 3, 5),
                             comment="经核实,车辆已于2022年转让")).state
    assert (s.open_objections, s.upheld_objections) == (0, 0)
    with pytest.raises(ProcedureError, match="没有未处理的异议"):
        transition(p, s, act(ActionKind.RESOLVE, "first_publicity", "township", dt.date(2024, 3, 5), comment="x"))
    assert complete(p, s, "first_publicity", "village", dt.date(2024, 3, 8)).state.step_id == "township_review"


def test_an_upheld_objection_leads_to_rejection():
    p = get_procedure("national")
    s = complete(p, started(p), "democratic_review", "village", D0, evidence=MEETING | {"held_on": "2024-03-01"},
                 decision=YES).state
    s = transition(p, s, act(ActionKind.OBJECT, "first_publicity", "village", D0, comment="在县城有商品房")).state
    s = transition(p, s, act(ActionKind.RESOLVE, "first_publicity", "village", D0, comment="属实", upheld=True)).state
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "first_publicity", "village", dt.date(2024, 3, 30))
    assert err.value.code == "objection_upheld"
    with pytest.raises(ProcedureError, match="驳回须说明理由"):
        transition(p, s, act(ActionKind.REJECT, "first_publicity", "village", D0))
    t = transition(p, s, act(ActionKind.REJECT, "first_publicity", "village", D0, comment="异议成立"))
    assert t.state.status == CaseStatus.REJECTED and t.closed


def test_objections_only_during_publicity():
    p = get_procedure("national")
    with pytest.raises(ProcedureError) as err:
        transition(p, started(p), act(ActionKind.OBJECT, "democratic_review", "village", D0, comment="x"))
    assert err.value.code == "not_publicity"


def test_missing_evidence_names_every_field():
    p = get_procedure("national")
    with pytest.raises(ProcedureError) as err:
        complete(p, started(p), "democratic_review", "village", D0,
                 evidence={"held_on": "2024-13-01", "representatives_total": "三十"}, decision=YES)
    assert err.value.code == "missing_evidence"
    assert set(err.value.field_errors) == {
        "evidence.held_on", "evidence.representatives_total", "evidence.representatives_present",
        "evidence.votes_for", "evidence.votes_against"}
    assert err.value.field_errors["evidence.held_on"] == ["会议日期应为日期(YYYY-MM-DD) / date of the meeting must be a date"]
    with pytest.raises(ProcedureError) as err:
        complete(p, started(p), "democratic_review", "village", D0, evidence=MEETING, decision=YES)  # held 3-02
    assert err.value.field_errors == {"evidence.held_on": [
        "会议日期 2024-03-02 晚于办理日期 2024-03-01 / date of the meeting 2024-03-02 is after the date of the "
        "action 2024-03-01"]}


def test_quorum_and_majority():
    p = get_procedure("national")
    s = started(p)
    low = MEETING | {"representatives_present": 19, "votes_for": 15, "held_on": "2024-03-01"}
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "democratic_review", "village", D0, evidence=low, decision=YES)
    assert err.value.code == "quorum_not_met"
    assert err.value.zh == "到会代表不足法定人数: 应到30人,实到19人,至少需20人(2/3)"
    exactly = MEETING | {"representatives_present": 20, "votes_for": 11, "held_on": "2024-03-01"}
    assert complete(p, s, "democratic_review", "village", D0, evidence=exactly, decision=YES).state.step_id == (
        "first_publicity")
    half = exactly | {"votes_for": 10, "votes_against": 10}
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "democratic_review", "village", D0, evidence=half, decision=YES)
    assert err.value.code == "not_approved"
    strict = apply_overrides(p, {"quorum": {"democratic_review": "3/4"}}, version="q34")
    with pytest.raises(ProcedureError, match="至少需23人"):
        complete(strict, s, "democratic_review", "village", D0, evidence=exactly, decision=YES)
    with pytest.raises(ProcedureError, match="多于应到"):
        complete(p, s, "democratic_review", "village", D0, evidence=exactly | {"representatives_present": 31},
                 decision=YES)


def test_the_automatic_decision_gates_review_steps():
    p = get_procedure("national")
    s = started(p)
    evidence = MEETING | {"held_on": "2024-03-01"}
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "democratic_review", "village", D0, evidence=evidence, decision=NO)
    assert err.value.code == "decision_negative"
    assert "public_payroll" in err.value.zh and "national-2016.1" in err.value.zh
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "democratic_review", "village", D0, evidence=evidence)
    assert err.value.code == "decision_missing"


def test_withdraw_and_dates_in_order():
    p = get_procedure("national")
    s = started(p, dt.date(2024, 3, 5))
    with pytest.raises(ProcedureError) as err:
        transition(p, s, act(ActionKind.WITHDRAW, "democratic_review", "village", dt.date(2024, 3, 4), comment="x"))
    assert err.value.code == "date_order"
    with pytest.raises(ProcedureError, match="撤回须说明理由"):
        transition(p, s, act(ActionKind.WITHDRAW, "democratic_review", "village", dt.date(2024, 3, 5)))
    with pytest.raises(ProcedureError) as err:
        transition(p, s, act(ActionKind.WITHDRAW, "democratic_review", "evaluator", dt.date(2024, 3, 5),
                             comment="x"))
    assert err.value.code == "wrong_role"
    t = transition(p, s, act(ActionKind.WITHDRAW, "democratic_review", "village", dt.date(2024, 3, 6),
                             comment="外出务工,本人撤回"))
    assert t.state.status == CaseStatus.WITHDRAWN
    assert allowed_actions(p, t.state, "village") == []


def test_steps_that_cannot_reject():
    p = get_procedure("national")
    s = CaseState(step_id="announcement", step_started_on=D0, last_action_on=D0)
    with pytest.raises(ProcedureError) as err:
        transition(p, s, act(ActionKind.REJECT, "announcement", "county", D0, comment="x"))
    assert err.value.code == "cannot_reject"
    assert allowed_actions(p, s, "county") == [ActionKind.COMPLETE, ActionKind.WITHDRAW]
    assert allowed_actions(p, s, "village") == [ActionKind.WITHDRAW]


def test_kaizhou_walk_needs_survey_and_comparison():
    p = get_procedure("kaizhou")
    s = started(p)
    assert s.step_id == "household_survey"
    with pytest.raises(ProcedureError, match="缺少或填错材料: 调查人、调查日期、调查情况"):
        complete(p, s, "household_survey", "workteam", D0)
    s = complete(p, s, "household_survey", "workteam", D0, evidence=SURVEY).state
    s = complete(p, s, "democratic_review", "village", dt.date(2024, 3, 2), evidence=MEETING, decision=YES).state
    s = complete(p, s, "first_publicity", "village", dt.date(2024, 3, 9)).state
    assert s.step_id == "data_comparison"
    with pytest.raises(ProcedureError, match="应由乡镇干部办理"):
        complete(p, s, "data_comparison", "village", dt.date(2024, 3, 10), evidence=COMPARISON)
    t = complete(p, s, "data_comparison", "township", dt.date(2024, 3, 10), evidence=COMPARISON)
    assert t.evidence == COMPARISON
    assert t.state.step_id == "township_review"


def test_jingyu_first_publicity_closes_only_with_both_signatures():
    p = get_procedure("jingyu")
    s = complete(p, started(p), "household_survey", "village", D0, evidence=SURVEY).state
    s = complete(p, s, "democratic_review", "village", dt.date(2024, 3, 2), evidence=MEETING, decision=YES).state
    with pytest.raises(ProcedureError) as err:
        complete(p, s, "first_publicity", "village", dt.date(2024, 3, 9), evidence={"village_secretary": "赵书记"})
    assert err.value.field_errors == {"evidence.first_secretary": ["请填写第一书记签字 / first secretary (signed) is required"]}
    t = complete(p, s, "first_publicity", "village", dt.date(2024, 3, 9), evidence=SIGNATURES)
    assert t.evidence == SIGNATURES and t.state.step_id == "township_review"


def test_shares_are_whole_number_comparisons():
    assert Share.parse("2/3") == Share(2, 3) and Share.parse("0.75") == Share(3, 4) and Share.parse("") is None
    assert Share(2, 3).reached_by(20, 30) and not Share(2, 3).reached_by(19, 30)
    assert Share(1, 2).exceeded_by(11, 20) and not Share(1, 2).exceeded_by(10, 20)
    assert Share(2, 3).needed_of(31) == 21
    for bad in ("3/2", "0", "x", "1/0"):
        with pytest.raises(ProcedureError):
            Share.parse(bad)
