"""Moved to :mod:`fupin.core.bulk` (the roster import uses it too)."""

from fupin.core.bulk import *  # noqa: F403
from fupin.core.bulk import MAX_PARAMS, insert_rows, reserve_ids  # noqa: F401
