"""Helpers and pairings (结对帮扶), and village work teams (驻村工作队).

- :class:`Helper` (帮扶责任人) — a person who helps households: name, unit, unit level, phone, an
  optional login, the helper's own region.
- :class:`HouseholdPairing` (结对) — helper ↔ household, from ``started_on`` until ``ended_on`` (null:
  current). A transfer (调整) ends one pairing and starts another, linked by ``transfer_to``.

Every pairing has a period; nothing here is deleted — a pairing ends, and the history stays.
Writes go through :mod:`fupin.pairing.services` only; reads through :mod:`fupin.pairing.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned

from .choices import EndReason, UnitLevel


class Helper(TimeStamped, Versioned):
    """帮扶责任人 — a cadre (or an enterprise's person) paired to households."""

    name = models.CharField("姓名 name", max_length=60)
    unit = models.CharField("工作单位 unit", max_length=100)
    unit_level = models.CharField("单位层级 unit level", max_length=12, choices=UnitLevel.choices)
    phone = models.CharField("联系电话 phone", max_length=20, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="登录账号 login", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="helper")
    region_code = models.CharField("所属区划 region", max_length=12, db_index=True,
                                   help_text="the helper's own region (12 digits), usually the county or township")
    active = models.BooleanField("在岗 active", default=True)

    class Meta:
        ordering = ["region_code", "name", "id"]
        verbose_name = "帮扶责任人 helper"

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class HouseholdPairing(TimeStamped):
    """结对帮扶 — one helper paired to one household for a period (一对一, 一对多)."""

    helper = models.ForeignKey(Helper, verbose_name="帮扶责任人 helper", on_delete=models.PROTECT,
                               related_name="household_pairings")
    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="pairings")
    started_on = models.DateField("结对日期 started on")
    ended_on = models.DateField("结束日期 ended on", null=True, blank=True)
    end_reason = models.CharField("结束原因 end reason", max_length=12, blank=True, choices=EndReason.choices)
    end_comment = models.TextField("说明 comment", blank=True)
    transfer_to = models.ForeignKey("self", verbose_name="调整为 transferred to", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="transferred_from")

    class Meta:
        ordering = ["household_id", "-started_on", "-id"]
        verbose_name = "结对帮扶 household pairing"
        indexes = [models.Index(fields=["helper", "ended_on"]), models.Index(fields=["household", "ended_on"])]
        constraints = [
            models.UniqueConstraint(fields=["helper", "household"], condition=Q(ended_on__isnull=True),
                                    name="pairing_one_current_per_helper_household"),
        ]

    def __str__(self) -> str:
        return f"{self.helper_id} ↔ {self.household_id} {self.started_on}…{self.ended_on or ''}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


# --- pairings of units and places (包村, 包乡镇, 百企联百村, 强村带弱村, 北三县↔南三县) -----------------------

class _Period(TimeStamped):
    """A pairing's period: from ``started_on`` until ``ended_on`` (null: current); ended, never deleted."""

    started_on = models.DateField("开始日期 started on")
    ended_on = models.DateField("结束日期 ended on", null=True, blank=True)
    end_reason = models.CharField("结束原因 end reason", max_length=12, blank=True, choices=EndReason.choices)
    end_comment = models.TextField("说明 comment", blank=True)

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


def _region_fk(verbose: str, related_name: str) -> models.ForeignKey:
    return models.ForeignKey("regions.Region", verbose_name=verbose, on_delete=models.PROTECT,
                             related_name=related_name)


def _transfer_fk() -> models.ForeignKey:
    return models.ForeignKey("self", verbose_name="调整为 transferred to", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="transferred_from")


class UnitVillagePairing(_Period):
    """包村 — a department or unit (部门/单位) responsible for a village."""

    unit = models.CharField("帮扶单位 unit", max_length=100)
    unit_level = models.CharField("单位层级 unit level", max_length=12, choices=UnitLevel.choices)
    village = _region_fk("行政村 village", "unit_pairings")
    transfer_to = _transfer_fk()

    class Meta:
        ordering = ["village_id", "-started_on", "-id"]
        verbose_name = "单位包村 unit–village pairing"

    def __str__(self) -> str:
        return f"{self.unit} → {self.village_id}"


class LeaderTownshipPairing(_Period):
    """包乡镇 — a county leader (县级领导) responsible for a township."""

    leader_name = models.CharField("领导姓名 leader", max_length=60)
    leader_title = models.CharField("职务 title", max_length=60, blank=True)
    township = _region_fk("乡镇 township", "leader_pairings")
    transfer_to = _transfer_fk()

    class Meta:
        ordering = ["township_id", "-started_on", "-id"]
        verbose_name = "县级领导包乡镇 leader–township pairing"

    def __str__(self) -> str:
        return f"{self.leader_name} → {self.township_id}"


class EnterpriseVillagePairing(_Period):
    """百企联百村 — an enterprise paired with a (poor) village, 村企共建 (seed 000)."""

    enterprise = models.CharField("企业名称 enterprise", max_length=120)
    credit_code = models.CharField("统一社会信用代码 credit code", max_length=18, blank=True)
    village = _region_fk("行政村 village", "enterprise_pairings")
    projects = models.PositiveIntegerField("新上项目数 projects started", default=0)
    donated = models.DecimalField("捐资金额(元) donated, yuan", max_digits=14, decimal_places=2, default=0)
    transfer_to = _transfer_fk()

    class Meta:
        ordering = ["village_id", "-started_on", "-id"]
        verbose_name = "百企联百村 enterprise–village pairing"

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.village_id}"


class VillagePairing(_Period):
    """强村带弱村 — a strong village leading a weak one (seed 002: 9 strong villages led 15 weak)."""

    strong_village = _region_fk("强村 strong village", "led_villages")
    weak_village = _region_fk("弱村 weak village", "leading_villages")
    project = models.CharField("合作项目 joint project", max_length=200, blank=True)
    transfer_to = _transfer_fk()

    class Meta:
        ordering = ["weak_village_id", "-started_on", "-id"]
        verbose_name = "强村带弱村 village pairing"

    def __str__(self) -> str:
        return f"{self.strong_village_id} → {self.weak_village_id}"


class CountyPairing(_Period):
    """北三县↔南三县 — a county supporting townships of another county (seed 000: each of 嘉鱼, 赤壁, 咸安
    supports 2 townships of 通山, 崇阳, 通城 with at least 50万 a year per township)."""

    helping_county = _region_fk("帮扶县 helping county", "county_pairings_given")
    helped_county = _region_fk("受帮扶县 helped county", "county_pairings_received")
    helped_township = models.ForeignKey("regions.Region", verbose_name="对口乡镇 paired township", null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="county_pairings")
    transfer_to = _transfer_fk()

    class Meta:
        ordering = ["helped_county_id", "-started_on", "-id"]
        verbose_name = "县际结对 county pairing"

    def __str__(self) -> str:
        return f"{self.helping_county_id} → {self.helped_township_id or self.helped_county_id}"


class CountyPairingFund(TimeStamped):
    """县际结对资金 — the funds a county pairing commits (and delivers) in one year."""

    pairing = models.ForeignKey(CountyPairing, on_delete=models.PROTECT, related_name="funds")
    year = models.PositiveSmallIntegerField("年度 year")
    committed = models.DecimalField("承诺资金(元) committed, yuan", max_digits=14, decimal_places=2)
    delivered = models.DecimalField("到位资金(元) delivered, yuan", max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["pairing_id", "year"]
        verbose_name = "县际结对资金 county pairing funds"
        constraints = [models.UniqueConstraint(fields=["pairing", "year"], name="county_pairing_fund_year")]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.year}: {self.committed}"


# --- village work teams (驻村工作队) -----------------------------------------------------------------

class WorkTeam(_Period):
    """驻村工作队 — a team sent by a unit to a village for a period."""

    village = _region_fk("驻村 village", "work_teams")
    sending_unit = models.CharField("派出单位 sending unit", max_length=100)
    unit_level = models.CharField("单位层级 unit level", max_length=12, choices=UnitLevel.choices)
    name = models.CharField("队名 name", max_length=100, blank=True)

    class Meta:
        ordering = ["village_id", "-started_on", "-id"]
        verbose_name = "驻村工作队 work team"
        indexes = [models.Index(fields=["village", "ended_on"])]

    def __str__(self) -> str:
        return self.name or f"{self.sending_unit} → {self.village_id}"


class TeamMember(TimeStamped):
    """工作队员 — a member of a work team: a helper, or a name and unit; one may be 第一书记."""

    team = models.ForeignKey(WorkTeam, verbose_name="工作队 team", on_delete=models.PROTECT, related_name="members")
    helper = models.ForeignKey(Helper, verbose_name="帮扶责任人 helper", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="team_memberships")
    name = models.CharField("姓名 name", max_length=60)
    unit = models.CharField("工作单位 unit", max_length=100, blank=True)
    phone = models.CharField("联系电话 phone", max_length=20, blank=True)
    is_first_secretary = models.BooleanField("第一书记 first secretary", default=False)
    is_leader = models.BooleanField("队长 team leader", default=False)
    joined_on = models.DateField("到岗日期 joined on")
    left_on = models.DateField("离岗日期 left on", null=True, blank=True)
    left_comment = models.TextField("说明 comment", blank=True)

    class Meta:
        ordering = ["team_id", "-is_first_secretary", "-is_leader", "joined_on", "id"]
        verbose_name = "工作队员 team member"
        constraints = [
            models.UniqueConstraint(fields=["team"], condition=Q(is_first_secretary=True, left_on__isnull=True),
                                    name="team_one_current_first_secretary"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id})"


class AttendanceRecord(TimeStamped):
    """驻村考勤 — the days one member was present in the village in one month."""

    member = models.ForeignKey(TeamMember, verbose_name="队员 member", on_delete=models.PROTECT,
                               related_name="attendance")
    month = models.DateField("月份 month", help_text="the first day of the month")
    days_present = models.PositiveSmallIntegerField("在岗天数 days present")
    comment = models.CharField("说明 comment", max_length=200, blank=True)

    class Meta:
        ordering = ["member_id", "-month"]
        verbose_name = "驻村考勤 attendance"
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="attendance_member_month")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}: {self.days_present}"


# --- the county's pairing limits (结对限额), versioned ---------------------------------------------------

class PairingSetting(models.Model):
    """结对帮扶设置 — a region's (usually a county's) overrides of the pairing limits
    (:mod:`fupin.policy.pairing_rules`), valid from a date; the latest valid one of the deepest region
    above a village applies. Rows are added, never changed."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    overrides = models.JSONField("本地调整 overrides", default=dict, blank=True,
                                 help_text='e.g. {"max_households_per_helper": 8, '
                                           '"max_households_by_unit_level": {"village": 10}}')
    version = models.CharField("版本 version", max_length=60, unique=True)
    valid_from = models.DateField("启用日期 valid from")
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from", "-id"]
        verbose_name = "结对帮扶设置 pairing setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"
