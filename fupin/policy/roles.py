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
        _role("village", "村干部", "Village cadre", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("workteam", "驻村工作队员", "Work-team member", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("township", "乡镇干部", "Township officer", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("county", "县扶贫办", "County officer", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("city", "市级查看", "City viewer", VIEW_REGISTRY),
        _role("province", "省级查看", "Province viewer", VIEW_REGISTRY),
        _role("evaluator", "第三方评估", "Evaluator", VIEW_REGISTRY),
        _role("auditor", "审计", "Auditor", VIEW_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT),
        _role("admin", "系统管理员", "Administrator", VIEW_REGISTRY, EDIT_REGISTRY, VIEW_FULL_ID, VIEW_AUDIT,
              MANAGE_USERS),
    )
}

ROLE_CHOICES = [(r.id, r.zh) for r in ROLES.values()]


def has_capability(role_id: str, capability: str) -> bool:
    role = ROLES.get(role_id)
    return role is not None and capability in role.capabilities


def may_see_full_id(role_id: str) -> bool:
    return has_capability(role_id, VIEW_FULL_ID)
