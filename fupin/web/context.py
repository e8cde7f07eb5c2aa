"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import fupin
from fupin.policy import roles


def fupin_context(request: HttpRequest) -> dict[str, Any]:
    """The version, and whether the user may edit the registry (shows "新增贫困户" in the nav)."""
    user = getattr(request, "user", None)
    can_edit = bool(user is not None and user.is_authenticated and user.has_capability(roles.EDIT_REGISTRY))
    return {"fupin_version": fupin.__version__, "can_edit_registry": can_edit}
