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

A second, user-based rule — the pairing rule (结对, issue 5) — adds, for a user linked to a helper
(帮扶责任人, ``pairing.Helper.user``), the households currently paired to them and what hangs off them
(members, pairings, and the assistance app's plans, measures and visits through their household):
:data:`PAIRING_RULES`. It is a union: a village cadre who is also a helper still sees the whole
village. Roles in :data:`fupin.policy.roles.PAIRED_ONLY_ROLES` (``helper``) get no registry data from
their region (only the division list, :data:`PAIRED_ONLY_SEE_REGION`), only their households. The helper lookup is one small indexed query, made only for users
whose role is paired-only or whose region is a township or village (docs/pairing.md: a county-level
user already sees the county where pairings are made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from fupin.policy import roles
from fupin.policy.regions import LEVEL_FIELD, LEVEL_TOWNSHIP, prefix_of

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
    "imports.exportrecord": _by_code_prefix("region_code"),
    "imports.absenthousehold": _by_code_prefix("batch__region_code"),
    "imports.leavingreason": _by_code_prefix("batch__region_code"),
    "imports.receivedleavesheet": _by_code_prefix("batch__region_code"),
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
    # 精准退出: cases carry their household's ancestor codes; events and objections follow the case;
    # exit settings by their region (like the procedure's).
    "exits.exitcase": _by_ancestor_column(""),
    "exits.exitevent": _by_ancestor_column("case__"),
    "exits.exitobjection": _by_ancestor_column("case__"),
    "exits.exitsetting": _by_code_prefix("region_code"),
    # 结对帮扶与驻村工作队: helpers by their own region; household pairings by the household; unit, place
    # and county pairings by their region(s); teams by their village; settings like the procedure's.
    # a helper is seen in its region and from the regions below it (a township officer pairs county cadres)
    "pairing.helper": lambda region: (
        Q(region_code__startswith=prefix_of(region.code, region.level))
        | Q(region_code__in=[prefix_of(region.code, lv).ljust(12, "0") for lv in range(1, region.level)])),
    "pairing.householdpairing": _by_ancestor_column("household__"),
    "pairing.unitvillagepairing": _by_code_prefix("village__code"),
    "pairing.leadertownshippairing": _by_code_prefix("township__code"),
    "pairing.enterprisevillagepairing": _by_code_prefix("village__code"),
    "pairing.villagepairing": lambda region: (Q(strong_village__code__startswith=prefix_of(region.code, region.level))
                                              | Q(weak_village__code__startswith=prefix_of(region.code, region.level))),
    "pairing.countypairing": lambda region: _county_pairing_q(region, ""),
    "pairing.countypairingfund": lambda region: _county_pairing_q(region, "pairing__"),
    "pairing.workteam": _by_code_prefix("village__code"),
    "pairing.teammember": _by_code_prefix("team__village__code"),
    "pairing.attendancerecord": _by_code_prefix("member__team__village__code"),
    "pairing.pairingsetting": _by_code_prefix("region_code"),
    # 精准帮扶: plans, measures (planned and given) and visits by their household; photos by the visit's
    # household; settings like the procedure's.
    "assistance.householdplan": _by_ancestor_column("household__"),
    "assistance.plannedmeasure": _by_ancestor_column("household__"),
    "assistance.measuregiven": _by_ancestor_column("household__"),
    "assistance.visit": _by_ancestor_column("household__"),
    "assistance.visitphoto": _by_ancestor_column("visit__household__"),
    "assistance.assistancesetting": _by_code_prefix("region_code"),
    # 防返贫监测: objects carry their household's ancestor codes; their flags, events, objections, income
    # checks and decisions follow the object; runs and settings by their region; department data like
    # the screening lists (seen inside its region and from the regions below it).
    "monitoring.monitoringobject": _by_ancestor_column(""),
    "monitoring.monitoringflag": _by_ancestor_column("object__"),
    "monitoring.monitoringevent": _by_ancestor_column("object__"),
    "monitoring.monitoringobjection": _by_ancestor_column("object__"),
    "monitoring.incomecheck": _by_ancestor_column("object__"),
    "monitoring.eliminationdecision": _by_ancestor_column("object__"),
    "monitoring.monitoringrun": _by_code_prefix("region_code"),
    "monitoring.monitoringsetting": _by_code_prefix("region_code"),
    "monitoring.monitoringdatalist": lambda region: (
        Q(region_code__startswith=prefix_of(region.code, region.level))
        | Q(region_code__in=[prefix_of(region.code, lv).ljust(12, "0") for lv in range(1, region.level)])),
    "monitoring.monitoringdatarecord": _by_code_prefix("data_list__region_code"),
    "monitoring.monitoringdatarejection": _by_code_prefix("data_list__region_code"),
    # 动态调整: a county's cycles and snapshot headers are seen inside the county and from the regions below
    # it (a township officer reads the county's review for the township); snapshot rows by their village.
    "review.reviewcycle": lambda region: (
        Q(region_code__startswith=prefix_of(region.code, region.level))
        | Q(region_code__in=[prefix_of(region.code, lv).ljust(12, "0") for lv in range(1, region.level)])),
    "review.snapshot": lambda region: (
        Q(region_code__startswith=prefix_of(region.code, region.level))
        | Q(region_code__in=[prefix_of(region.code, lv).ljust(12, "0") for lv in range(1, region.level)])),
    "review.householdsnapshot": _by_code_prefix("village_code"),
    "review.personsnapshot": _by_code_prefix("village_code"),
    # 贫困村出列与贫困县摘帽: by the village (conditions, cases and their events and objections), the county
    # (county exits), the region (settings, like the procedure settings).
    "region_exit.areaexitsetting": _by_code_prefix("region_code"),
    "region_exit.villagecondition": _by_code_prefix("village_code"),
    "region_exit.villageexitcase": _by_code_prefix("village_code"),
    "region_exit.villageexitevent": _by_code_prefix("case__village_code"),
    "region_exit.villageexitobjection": _by_code_prefix("case__village_code"),
    "region_exit.countyexit": _by_code_prefix("county_code"),
}


def _county_pairing_q(region: Region, path: str) -> Q:
    """北三县↔南三县: seen from either county, and from the paired township."""
    prefix = prefix_of(region.code, region.level)
    return (Q(**{f"{path}helping_county__code__startswith": prefix})
            | Q(**{f"{path}helped_county__code__startswith": prefix})
            | Q(**{f"{path}helped_township__code__startswith": prefix}))


def _paired(path: str) -> Callable[[int], Q]:
    """Objects whose household (reached by ``path``) is currently paired to the helper."""
    def rule(helper_id: int) -> Q:
        from fupin.pairing.models import HouseholdPairing

        households = HouseholdPairing.objects.filter(helper_id=helper_id, ended_on__isnull=True)
        return Q(**{f"{path}__in": households.values("household_id")})
    return rule


#: The pairing rule (结对): model label → what a user linked to helper ``helper_id`` sees besides their
#: region. Models of :data:`PAIRED_APPS` that reach a household through a ``household`` foreign key (or
#: one step further, e.g. a measure's plan) get the rule without a line here.
PAIRING_RULES: dict[str, Callable[[int], Q]] = {
    "registry.household": _paired("pk"),
    "registry.member": _paired("household_id"),
    "pairing.householdpairing": _paired("household_id"),
    "pairing.helper": lambda helper_id: Q(pk=helper_id),
}
#: Apps whose household-bound models follow the pairing rule by their household foreign key.
PAIRED_APPS: tuple[str, ...] = ("assistance",)
#: What a paired-only role (helper) still sees by its region: the divisions themselves (names and codes, so
#: the region pages open; their figures count only the households the user can open).
PAIRED_ONLY_SEE_REGION: frozenset[str] = frozenset({"regions.region"})


def _household_path(model: type[Model]) -> str | None:
    """``household_id`` (or ``<fk>__household_id``) when the model reaches a registry household."""
    def direct(m: type[Model]) -> bool:
        field = next((f for f in m._meta.concrete_fields if f.name == "household"), None)
        return field is not None and field.related_model is not None \
            and field.related_model._meta.label_lower == "registry.household"

    if direct(model):
        return "household_id"
    for f in model._meta.concrete_fields:
        if f.is_relation and f.many_to_one and f.related_model is not None and direct(f.related_model):
            return f"{f.name}__household_id"
    return None


def pairing_rule(model: type[Model]) -> Callable[[int], Q] | None:
    """The pairing rule of a model, or None (the model is seen by region only)."""
    label = model._meta.label_lower
    if label in PAIRING_RULES:
        return PAIRING_RULES[label]
    if model._meta.app_label in PAIRED_APPS:
        path = _household_path(model)
        if path is not None:
            return _paired(path)
    return None


def _looks_up_helper(user: User | Any) -> bool:
    """Whether the user's helper is looked up: paired-only roles, and users of a township or village."""
    if not roles.sees_region(user.role):
        return True
    region = user.region
    return region is not None and region.level >= LEVEL_TOWNSHIP


def helper_id_of(user: User | Any) -> int | None:
    """The id of the active helper linked to ``user`` (one indexed query), or None."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return None
    from fupin.pairing.models import Helper

    return Helper.objects.filter(user_id=user.pk, active=True).values_list("pk", flat=True).first()


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
    where = rule(user.region) if roles.sees_region(user.role) or label in PAIRED_ONLY_SEE_REGION else None
    paired = pairing_rule(queryset.model)
    if paired is not None and _looks_up_helper(user):
        helper_id = helper_id_of(user)
        if helper_id is not None:
            where = paired(helper_id) if where is None else where | paired(helper_id)
    return queryset.none() if where is None else queryset.filter(where)


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
    if not roles.sees_region(user.role):  # helpers: their region gives nothing (see household_in_scope)
        return False
    region = user.region
    return region_code.startswith(prefix_of(region.code, region.level))


def require_in_scope(user: User | Any, region_code: str, capability: str) -> None:
    """For writes: refuse (404) unless the target region is in the user's scope for ``capability``."""
    if not region_in_scope(user, region_code, capability):
        raise ScopeError("不存在或无权操作 / not found")


def household_in_scope(user: User | Any, household: Any, capability: str) -> bool:
    """For writes on a household's own records (a visit, a measure): its village is in the user's
    region, or it is currently paired to the user's helper (the pairing rule), for ``capability``."""
    if region_in_scope(user, household.village_code, capability):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_capability(capability):
        return False
    helper_id = helper_id_of(user)
    if helper_id is None:
        return False
    from fupin.pairing.models import HouseholdPairing

    return HouseholdPairing.objects.filter(helper_id=helper_id, household_id=household.pk,
                                           ended_on__isnull=True).exists()


def require_household_in_scope(user: User | Any, household: Any, capability: str) -> None:
    """For writes on a household's records: refuse (404) unless :func:`household_in_scope`."""
    if not household_in_scope(user, household, capability):
        raise ScopeError("不存在或无权操作 / not found")
