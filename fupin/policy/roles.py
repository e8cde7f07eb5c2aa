"""Roles (角色) and what each may do: the data behind the one scoping function.

A user has one role and is bound to one region; the role says *what* they may do, the region says
*where*. Capabilities are named after the work (``registry.view``, ``registry.edit``), not after
tables. ``may_see_full_id`` decides whether ID numbers are shown in full or masked.

Decisions written down here (docs/scoping.md explains them):

- village cadres, work teams, township and county officers keep the registry and see full IDs;
- city and province viewers see figures and records of their region, masked, and cannot edit;
- evaluators (third-party, 第三方评估) read records in their region, masked;
- auditors (审计) read everything in their region with full IDs, and edit nothing;
- administrators configure users and regions in their region and see full IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

VIEW_REGISTRY = "registry.view"
EDIT_REGISTRY = "registry.edit"
VIEW_FULL_ID = "registry.view_full_id"
VIEW_AUDIT = "audit.view"
MANAGE_USERS = "accounts.manage"
#: Take part in the identification procedure (识别程序); which steps a role may perform is the
#: procedure's data (fupin.policy.procedure), this capability only opens the door.
PERFORM_IDENTIFICATION = "identification.perform"

#: 数据比对 (cross-department screening): see the department lists, runs and the exception queue …
VIEW_SCREENING = "screening.view"
#: … import another department's list (部门名单导入) …
IMPORT_SCREENING_LIST = "screening.import"
#: … run a screening over a region (开展比对) …
RUN_SCREENING = "screening.run"
#: … and confirm or dismiss a hit (核实疑点: township officers, and county officers above them).
DECIDE_SCREENING = "screening.decide"
#: 政策管理: create, edit and release the policy versions (政策版本) of one's own region (county overrides).
MANAGE_POLICY = "policy.manage"

@dataclass(frozen=True)
class Role:
    id: str
    zh: str
    en: str
    capabilities: frozenset[str]


def _role(id: str, zh: str, en: str, *caps: str) -> Role:
    return Role(id, zh, en, frozenset(caps))


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        _role("village", "村干部", "Village cadre", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              PERFORM_IDENTIFICATION),
        _role("workteam", "驻村工作队员", "Work-team member", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              PERFORM_IDENTIFICATION),
        _role("township", "乡镇干部", "Township officer", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              PERFORM_IDENTIFICATION),
        _role("county", "县扶贫办", "County officer", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              PERFORM_IDENTIFICATION),
        _role("city", "市级查看", "City viewer", VIEW_REGISTRY),
        _role("province", "省级查看", "Province viewer", VIEW_REGISTRY),
        _role("evaluator", "第三方评估", "Evaluator", VIEW_REGISTRY),
        _role("auditor", "审计", "Auditor", VIEW_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("admin", "系统管理员", "Administrator", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              MANAGE_USERS),
    )
}

#: Who takes part in the cross-department screening (数据比对). Decision: village cadres and work
#: teams do not see the queue — it holds other departments' records of their neighbours, and one of
#: the lists is the village cadres themselves; city/province viewers, evaluators and auditors read it
#: (ID numbers masked as everywhere by role); county officers import lists, township and county
#: officers run screenings and decide hits; administrators import and run but do not decide.
SCREENING_GRANTS: dict[str, frozenset[str]] = {
    "township": frozenset({VIEW_SCREENING, RUN_SCREENING, DECIDE_SCREENING}),
    "county": frozenset({VIEW_SCREENING, IMPORT_SCREENING_LIST, RUN_SCREENING, DECIDE_SCREENING}),
    "city": frozenset({VIEW_SCREENING}),
    "province": frozenset({VIEW_SCREENING}),
    "evaluator": frozenset({VIEW_SCREENING}),
    "auditor": frozenset({VIEW_SCREENING}),
    "admin": frozenset({VIEW_SCREENING, IMPORT_SCREENING_LIST, RUN_SCREENING}),
}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | SCREENING_GRANTS.get(rid, frozenset()))
         for rid, r in ROLES.items()}

#: Who manages policy versions (政策版本): county poverty offices and administrators of their region.
POLICY_GRANTS: dict[str, frozenset[str]] = {"county": frozenset({MANAGE_POLICY}), "admin": frozenset({MANAGE_POLICY})}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | POLICY_GRANTS.get(rid, frozenset())) for rid, r in ROLES.items()}

#: 结对帮扶 (pairing, issue 5): see helpers, pairings, work teams and the coverage report of one's region …
VIEW_PAIRING = "pairing.view"
#: … pair, transfer and end pairings; set up work teams and their members (乡镇 and 县 officers) …
MANAGE_PAIRING = "pairing.manage"
#: … and record a work team's monthly attendance (驻村考勤: the team itself, township and county officers).
RECORD_ATTENDANCE = "pairing.attendance"

#: 帮扶责任人 (helper): a cadre with a login who helps households. The role reads the registry, but its
#: region gives no view of its own (:data:`PAIRED_ONLY_ROLES`): fupin.core.scoping's pairing rule shows
#: exactly the households currently paired to the user's Helper. ID numbers masked (no VIEW_FULL_ID).
ROLES["helper"] = _role("helper", "帮扶责任人", "Helper", VIEW_REGISTRY)
#: Roles whose region rule gives nothing: they see only what the pairing rule gives (their households).
PAIRED_ONLY_ROLES: frozenset[str] = frozenset({"helper"})
PAIRING_GRANTS: dict[str, frozenset[str]] = {
    "village": frozenset({VIEW_PAIRING}),
    "workteam": frozenset({VIEW_PAIRING, RECORD_ATTENDANCE}),
    "township": frozenset({VIEW_PAIRING, MANAGE_PAIRING, RECORD_ATTENDANCE}),
    "county": frozenset({VIEW_PAIRING, MANAGE_PAIRING, RECORD_ATTENDANCE}),
    "city": frozenset({VIEW_PAIRING}),
    "province": frozenset({VIEW_PAIRING}),
    "evaluator": frozenset({VIEW_PAIRING}),
    "auditor": frozenset({VIEW_PAIRING}),
    "admin": frozenset({VIEW_PAIRING, MANAGE_PAIRING}),
}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | PAIRING_GRANTS.get(rid, frozenset())) for rid, r in ROLES.items()}

#: 防返贫监测 (return-to-poverty monitoring, issue 6): see monitoring objects, flags, runs and data …
VIEW_MONITORING = "monitoring.view"
#: … flag a household by hand, take part in the monitoring procedure, record income checks …
PERFORM_MONITORING = "monitoring.perform"
#: … import department data and start flag and elimination runs; with PERFORM_MONITORING also confirm a
#: risk elimination (风险消除: township and county officers).
RUN_MONITORING = "monitoring.run"
#: Decision: cadres and work teams find and follow households; township and county officers also run the
#: whole-registry checks and confirm eliminations; viewers, evaluators and auditors read; administrators
#: read, import and run but take no part in the procedure. Helpers see monitoring on the household page only.
MONITORING_GRANTS: dict[str, frozenset[str]] = {
    "village": frozenset({VIEW_MONITORING, PERFORM_MONITORING}),
    "workteam": frozenset({VIEW_MONITORING, PERFORM_MONITORING}),
    "township": frozenset({VIEW_MONITORING, PERFORM_MONITORING, RUN_MONITORING}),
    "county": frozenset({VIEW_MONITORING, PERFORM_MONITORING, RUN_MONITORING}),
    "city": frozenset({VIEW_MONITORING}),
    "province": frozenset({VIEW_MONITORING}),
    "evaluator": frozenset({VIEW_MONITORING}),
    "auditor": frozenset({VIEW_MONITORING}),
    "admin": frozenset({VIEW_MONITORING, RUN_MONITORING}),
}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | MONITORING_GRANTS.get(rid, frozenset()))
         for rid, r in ROLES.items()}

#: 精准退出 (household exit, issue 6): propose households for exit and take part in the exit procedure
#: (退出程序); which steps a role may perform is the procedure's data (fupin.policy.exit_procedure), this
#: capability only opens the door. Reading cases and candidate lists needs registry.view.
PERFORM_EXIT = "exits.perform"
EXIT_GRANTS: dict[str, frozenset[str]] = {role: frozenset({PERFORM_EXIT})
                                          for role in ("village", "workteam", "township", "county")}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | EXIT_GRANTS.get(rid, frozenset())) for rid, r in ROLES.items()}

#: 动态调整 (yearly review and frozen snapshots, issue 6): see review cycles, snapshots and flow reports …
VIEW_REVIEW = "review.view"
#: … open and close a county's yearly review and take snapshots (county officers, administrators).
MANAGE_REVIEW = "review.manage"
#: 贫困村出列与贫困县摘帽 (issue 6): see incidence, village conditions, village exit cases, county readiness …
VIEW_REGION_EXIT = "region_exit.view"
#: … record a village's conditions for a year (road, water, power, clinic, broadband, collective income) …
RECORD_VILLAGE_CONDITIONS = "region_exit.conditions"
#: … take part in the village exit procedure (which steps a role may do is the procedure's data) …
PERFORM_VILLAGE_EXIT = "region_exit.perform"
#: … and record a county's approved exit (摘帽, approved by the province: administrators).
RECORD_COUNTY_EXIT = "region_exit.county"
#: Decision: every role that reads the registry by region reads the review and exit pages (helpers do
#: not); county officers and administrators manage cycles and snapshots; cadres, work teams, township and
#: county officers record village conditions and take part in a village's exit (township and county steps).
REVIEW_GRANTS: dict[str, frozenset[str]] = {
    "village": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT, RECORD_VILLAGE_CONDITIONS, PERFORM_VILLAGE_EXIT}),
    "workteam": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT, RECORD_VILLAGE_CONDITIONS, PERFORM_VILLAGE_EXIT}),
    "township": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT, RECORD_VILLAGE_CONDITIONS, PERFORM_VILLAGE_EXIT}),
    "county": frozenset({VIEW_REVIEW, MANAGE_REVIEW, VIEW_REGION_EXIT, RECORD_VILLAGE_CONDITIONS,
                         PERFORM_VILLAGE_EXIT}),
    "city": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT}),
    "province": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT}),
    "evaluator": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT}),
    "auditor": frozenset({VIEW_REVIEW, VIEW_REGION_EXIT}),
    "admin": frozenset({VIEW_REVIEW, MANAGE_REVIEW, VIEW_REGION_EXIT, RECORD_VILLAGE_CONDITIONS, RECORD_COUNTY_EXIT}),
}
ROLES = {rid: Role(r.id, r.zh, r.en, r.capabilities | REVIEW_GRANTS.get(rid, frozenset())) for rid, r in ROLES.items()}


def sees_region(role_id: str) -> bool:
    """Whether a role's region gives a view (False for :data:`PAIRED_ONLY_ROLES`)."""
    return role_id not in PAIRED_ONLY_ROLES


ROLE_CHOICES = [(r.id, r.zh) for r in ROLES.values()]


def has_capability(role_id: str, capability: str) -> bool:
    role = ROLES.get(role_id)
    return role is not None and capability in role.capabilities


def may_see_full_id(role_id: str) -> bool:
    return has_capability(role_id, VIEW_FULL_ID)
