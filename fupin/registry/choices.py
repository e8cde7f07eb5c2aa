"""Status choices of the registry (状态), and Django choices built from the policy code lists."""

from __future__ import annotations

from django.db import models

from fupin.policy import codes


class RecordStatus(models.TextChoices):
    """在册状态 — whether a household or member is on the registry. Nothing is hard-deleted."""

    ACTIVE = "active", "在册 active"
    LEFT = "left", "已注销 left"
    #: A household that applied and is going through the identification procedure (识别程序); not on
    #: the registry yet, so no list or figure counts it (they count ``active`` only).
    APPLICANT = "applicant", "申请中 applicant"
    #: An applicant the procedure did not admit (驳回 or 撤回); kept with its case, counted nowhere.
    DECLINED = "declined", "未纳入 not admitted"
    #: 监测户 — a household recorded for return-to-poverty monitoring only (边缘易致贫户, 突发严重困难户: not
    #: registered as poor). Its members are active persons, so one-person-one-household applies; no
    #: registry list or figure counts it (they count ``active`` only). Created by fupin.monitoring.
    MONITORED = "monitored", "监测户 monitored, not registered poor"


class CategoryFormVersion(models.TextChoices):
    """贫困户属性 form version."""

    V2014 = "2014", "2014版"
    V2016 = "2016", "2016版"


def choices(code_list: codes.CodeList) -> list[tuple[str, str]]:
    """Django choices (code, Chinese label) of a code list."""
    return code_list.choices("zh")


CATEGORY_CHOICES = sorted(
    {c for cl in codes.HOUSEHOLD_CATEGORY_BY_VERSION.values() for c in cl.codes()}
)
