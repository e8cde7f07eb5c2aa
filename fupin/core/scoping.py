"""The one scoping function (数据权限): what a user may see and do, and where.

Every read of registry data — pages, API, exports, admin — starts from :func:`visible_to`; every
write checks :func:`require_in_scope` inside its transaction. A user's *role* gives capabilities
(:mod:`fupin.policy.roles`), the user's *region* gives the place: the user sees the objects whose
region lies inside their own, and nothing else. An object outside the scope does not exist for the
user: lookups answer 404, never 403, so a county officer cannot learn that another county's
household exists, nor its figures.

Models are scoped by region through :data:`SCOPE_RULES`: a function from (model's region level
field path, region) to a ``Q``. A new model that holds registry data adds one line there
(docs/scoping.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from fupin.policy import roles
from fupin.policy.regions import LEVEL_FIELD, prefix_of

if TYPE_CHECKING:
    from fupin.accounts.models import User
    from fupin.regions.models import Region

M = TypeVar("M", bound=Model)


def _by_ancestor_column(path: str) -> Callable[[Region], Q]:
    """Models that carry the ancestor code columns (HOPE pattern): one equality on an indexed column."""
    return lambda region: Q(**{f"{path}{LEVEL_FIELD[region.level]}": region.code})


def _by_code_prefix(field: str) -> Callable[[Region], Q]:
    return lambda region: Q(**{f"{field}__startswith": prefix_of(region.code, region.level)})


#: model label → how to restrict it to one region. The single place where scope is defined.
SCOPE_RULES: dict[str, Callable[[Region], Q]] = {
    "regions.region": _by_code_prefix("code"),
    "registry.household": _by_ancestor_column(""),
    "registry.member": _by_ancestor_column("household__"),
    "core.changerecord": _by_code_prefix("region_code"),
    "accounts.user": _by_code_prefix("region__code"),
    "imports.importbatch": _by_code_prefix("region_code"),
    "imports.importrejection": _by_code_prefix("batch__region_code"),
    # 规则与判定: policy versions by their region (the national default, "", belongs to no user's region);
    # decisions by the household's ancestor codes they carry; runs by their region; results by household.
    "rules.policyversion": _by_code_prefix("region_code"),
    "rules.ruledefinition": _by_code_prefix("policy_version__region_code"),
    "rules.householddecision": _by_ancestor_column(""),
    "rules.rulerun": _by_code_prefix("region_code"),
    "rules.rulematch": _by_ancestor_column("household__"),
    "rules.pathwayrun": _by_code_prefix("region_code"),
    "rules.pathwayassignment": _by_ancestor_column("household__"),
    # 数据比对: a list is seen inside its region and from the regions below it (a township officer runs
    # the county's lists over the township; its records and rejected rows stay with the list's region).
    "screening.departmentlist": lambda region: (
        Q(region_code__startswith=prefix_of(region.code, region.level))
        | Q(region_code__in=[prefix_of(region.code, lv).ljust(12, "0") for lv in range(1, region.level)])),
    "screening.departmentrecord": _by_code_prefix("department_list__region_code"),
    "screening.departmentrejection": _by_code_prefix("department_list__region_code"),
    "screening.screeningrun": _by_code_prefix("region_code"),
    "screening.screeninghit": _by_ancestor_column(""),
    "identification.identificationcase": _by_ancestor_column(""),
    "identification.procedureevent": _by_ancestor_column("case__"),
    "identification.objection": _by_ancestor_column("case__"),
    "identification.proceduresetting": _by_code_prefix("region_code"),
}


class ScopeError(Http404):
    """Raised when a user acts outside their scope; it is a 404 for the web and the API."""


def visible_to(user: User | Any, queryset: QuerySet[M], capability: str = roles.VIEW_REGISTRY) -> QuerySet[M]:
    """The part of ``queryset`` that ``user`` may see for ``capability``; empty when none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    if not user.has_capability(capability):
        return queryset.none()
    label = queryset.model._meta.label_lower
    rule = SCOPE_RULES.get(label)
    if rule is None:
        raise LookupError(f"no scope rule for {label}: add one to fupin.core.scoping.SCOPE_RULES")
    return queryset.filter(rule(user.region))


def get_visible_or_404(
    user: User | Any, queryset: QuerySet[M], capability: str = roles.VIEW_REGISTRY, **lookup: Any
) -> M:
    """One object the user may see, or 404 (also when it exists out of scope)."""
    try:
        return visible_to(user, queryset, capability).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise ScopeError("不存在或无权查看 / not found") from exc


def region_in_scope(user: User | Any, region_code: str, capability: str) -> bool:
    """Whether a region (by code) lies in the user's scope for a capability."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_capability(capability):
        return False
    region = user.region
    return region_code.startswith(prefix_of(region.code, region.level))


def require_in_scope(user: User | Any, region_code: str, capability: str) -> None:
    """For writes: refuse (404) unless the target region is in the user's scope for ``capability``."""
    if not region_in_scope(user, region_code, capability):
        raise ScopeError("不存在或无权操作 / not found")
