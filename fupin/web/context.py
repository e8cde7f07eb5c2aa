"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import fupin


def fupin_context(request: HttpRequest) -> dict[str, Any]:
    return {"fupin_version": fupin.__version__}
