"""Choices of the pairing app (结对帮扶): unit levels and why a pairing ended."""

from __future__ import annotations

from django.db import models


class UnitLevel(models.TextChoices):
    """单位层级 — the level of a helper's (or a sending unit's) employer."""

    PROVINCE = "province", "省直 province"
    CITY = "city", "市直 city"
    COUNTY = "county", "县直 county"
    TOWNSHIP = "township", "乡镇 township"
    VILLAGE = "village", "村级 village"
    ENTERPRISE = "enterprise", "企业 enterprise"


class EndReason(models.TextChoices):
    """结束原因 — why a pairing (or a team membership) ended. Nothing is deleted: it ends."""

    TRANSFER = "transfer", "调整帮扶人 transferred"
    HOUSEHOLD_EXITED = "exited", "脱贫销号 household exited"
    HOUSEHOLD_LEFT = "left", "户注销 household left the registry"
    HELPER_LEFT = "helper_left", "帮扶人调离 helper left"
    PERIOD_OVER = "period_over", "期满 period over"
    OTHER = "other", "其他 other"
