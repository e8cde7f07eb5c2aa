"""Who may record help for a household (帮扶权限), beside the one scoping function that decides who sees it.

- A household's **current helper** (a :class:`~fupin.pairing.models.Helper` linked to the user's login,
  paired to it now) draws up its plan, changes its measures, records measures given and visits.
- A user whose role **edits the registry** in the household's region (村干部, 驻村工作队, 乡镇, 县, 管理员)
  may do the same for every household there (a cadre enters what a helper reported on paper).
- A plan is **approved** (审定) by a role the catalogue names (``[plans] approver_roles``: township,
  county, administrator by default) with ``registry.edit`` in the household's region.

Everyone else gets 404 for the write, as for any write without its capability. Reads go through
:func:`fupin.core.scoping.visible_to` (the pairing rule there shows a helper their households).
"""

from __future__ import annotations

from typing import Any

from fupin.core.scoping import region_in_scope
from fupin.pairing.models import Helper, HouseholdPairing
from fupin.policy import roles
from fupin.policy.measures import MeasureCatalogue, may_approve


def helper_of(user: Any) -> Helper | None:
    """The active helper linked to the user's login (``fupin.pairing.selectors.helper_for_user``)."""
    from fupin.pairing.selectors import helper_for_user

    helper = helper_for_user(user)
    return helper if helper is not None and helper.active else None


def is_current_helper(helper: Helper | None, household_id: int) -> bool:
    return helper is not None and HouseholdPairing.objects.filter(
        helper=helper, household_id=household_id, ended_on__isnull=True).exists()


def may_assist(user: Any, household: Any) -> bool:
    """Whether ``user`` records plans, measures and visits for ``household`` (its helper, or an editor of
    its region)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if region_in_scope(user, household.village_code, roles.EDIT_REGISTRY):
        return True
    return is_current_helper(helper_of(user), household.pk)


def may_approve_plan(user: Any, household: Any, catalogue: MeasureCatalogue) -> bool:
    """Whether ``user`` approves (审定) the household's plan."""
    return (user is not None and getattr(user, "is_authenticated", False)
            and may_approve(str(getattr(user, "role", "")), catalogue)
            and region_in_scope(user, household.village_code, roles.EDIT_REGISTRY))


__all__ = ["helper_of", "is_current_helper", "may_approve_plan", "may_assist"]
