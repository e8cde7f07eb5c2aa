"""The registry (建档立卡): households (贫困户) and their members (家庭成员).

Fields follow the national registration form (贫困户登记表 / 扶贫手册, domain.md §3). Codes are stored
as the national codes (strings) and shown as labels through :mod:`fupin.policy.codes`.

Writes go through :mod:`fupin.registry.services` only: they check scope, the version, the
one-person-one-household rule, compute derived fields and write the audit trail.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned
from fupin.policy import codes

from .choices import RecordStatus, choices


def _money(verbose: str) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, default=Decimal(0))


def _area(verbose: str) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=9, decimal_places=2, default=Decimal(0))


class Household(TimeStamped, Versioned):
    """贫困户 — a registered household (整户识别: the household is the unit)."""

    household_number = models.CharField("户编号 household number", max_length=32, unique=True)
    # 扶贫手册编号: given at 建档 by the identification procedure (county code + year + sequence); blank
    # until then. The database default lets bulk loads that do not name the column insert "".
    handbook_number = models.CharField("扶贫手册编号 handbook number", max_length=20, blank=True, default="",
                                       db_default="", editable=False)
    # Region ancestors (HOPE pattern): any level filters with one equality on an indexed column.
    village = models.ForeignKey("regions.Region", verbose_name="行政村 village", on_delete=models.PROTECT,
                                related_name="households", db_index=False)  # village_code is indexed
    # Indexed in Meta.indexes (plain b-trees: no PostgreSQL ``_like`` twin, no index on the one-value
    # province column); see docs/decisions.md "registry indexes".
    province_code = models.CharField(max_length=12, editable=False)
    city_code = models.CharField(max_length=12, editable=False)
    county_code = models.CharField(max_length=12, editable=False)
    township_code = models.CharField(max_length=12, editable=False)
    village_code = models.CharField(max_length=12, editable=False)
    group_name = models.CharField("自然村(组) group", max_length=60, blank=True)
    address = models.CharField("详细地址 address", max_length=200, blank=True)

    head_name = models.CharField("户主姓名 head", max_length=60, blank=True, editable=False,
                                 help_text="kept equal to the member whose relation is 户主")
    phone = models.CharField("联系电话 phone", max_length=20, blank=True)
    bank_name = models.CharField("开户银行 bank", max_length=60, blank=True)
    bank_account = models.CharField("银行账号 bank account", max_length=40, blank=True)

    identification_standard = models.CharField("识别标准 standard", max_length=2, default="1",
                                               choices=choices(codes.IDENTIFICATION_STANDARD))
    category = models.CharField("贫困户属性 category", max_length=2, default="1")
    category_form_version = models.CharField("属性版本 category form", max_length=4, default="2016",
                                             choices=[("2014", "2014版"), ("2016", "2016版")])
    main_cause = models.CharField("主要致贫原因 main cause", max_length=2, choices=choices(codes.POVERTY_CAUSE))
    other_cause_1 = models.CharField("其他致贫原因一 other cause", max_length=2, blank=True,
                                     choices=choices(codes.POVERTY_CAUSE))
    other_cause_2 = models.CharField("其他致贫原因二 other cause", max_length=2, blank=True,
                                     choices=choices(codes.POVERTY_CAUSE))
    is_military_family = models.BooleanField("军烈属 military or martyr family", default=False)
    is_only_child = models.BooleanField("独生子女户 one-child household", default=False)
    is_two_daughters = models.BooleanField("双女户 two-daughter household", default=False)

    # Land (耕地 …), mu
    arable_mu = _area("耕地面积(亩) arable land")
    irrigated_mu = _area("有效灌溉面积(亩) irrigated")
    forest_mu = _area("林地面积(亩) forest")
    grain_to_green_mu = _area("退耕还林面积(亩) grain-to-green")
    fruit_forest_mu = _area("林果面积(亩) orchards")
    pasture_mu = _area("牧草地面积(亩) pasture")
    water_surface_mu = _area("水面面积(亩) water surface")
    is_coop_member = models.BooleanField("加入农民专业合作社 co-op member", default=False)

    # Living conditions
    has_electricity = models.BooleanField("通生活用电 household power", default=True)
    has_production_power = models.BooleanField("通生产用电 production power", default=False)
    road_distance_km = models.DecimalField("距村主干路(公里) km to main road", max_digits=6, decimal_places=1,
                                           default=Decimal(0))
    road_type = models.CharField("入户路类型 road type", max_length=2, blank=True, choices=choices(codes.ROAD_TYPE))
    housing_area_m2 = _area("住房面积(平方米) housing area")
    dilapidated_grade = models.CharField("危房等级 dilapidated grade", max_length=1, blank=True,
                                         choices=choices(codes.DILAPIDATED_GRADE))
    drinking_water_safe = models.BooleanField("饮水安全 safe drinking water", default=True)
    drinking_water_difficult = models.BooleanField("饮水困难 difficult access to water", default=False)
    fuel_type = models.CharField("主要燃料类型 fuel", max_length=2, blank=True, choices=choices(codes.FUEL_TYPE))
    has_sanitary_toilet = models.BooleanField("有无卫生厕所 sanitary toilet", default=False)

    # Income lines (收入情况), yuan per year
    income_wage = _money("工资性收入 wages")
    income_business = _money("生产经营性收入 business")
    income_property = _money("财产性收入 property")
    transfer_dibao = _money("低保金 dibao")
    transfer_wubao = _money("五保金 wubao")
    transfer_pension = _money("养老保险金 pensions")
    transfer_eco = _money("生态补偿金 ecological compensation")
    transfer_other = _money("其他转移性收入 other transfers")
    business_expense = _money("生产经营性支出 business expenses")
    income_net = _money("家庭纯收入 net income")
    income_per_capita = models.DecimalField("年人均纯收入 net income per person", max_digits=12,
                                            decimal_places=2, null=True, blank=True, editable=False)
    income_rule_version = models.CharField(max_length=40, blank=True, editable=False)

    # 两不愁三保障
    food_secure = models.BooleanField("不愁吃 enough food", default=True)
    clothing_secure = models.BooleanField("不愁穿 enough clothing", default=True)
    education_secure = models.BooleanField("义务教育有保障 compulsory education", default=True)
    medical_secure = models.BooleanField("基本医疗有保障 basic medical care", default=True)
    housing_secure = models.BooleanField("住房安全有保障 safe housing", default=True)

    poverty_status = models.CharField("脱贫状态 poverty status", max_length=1, default="0",
                                      choices=choices(codes.POVERTY_STATUS))
    identification_year = models.PositiveSmallIntegerField("识别年度 identified in")
    planned_exit_year = models.PositiveSmallIntegerField("计划脱贫年度 planned exit", null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField("脱贫年度 exited in", null=True, blank=True)

    # Size is kept by the services (members with status active).
    size = models.PositiveSmallIntegerField("家庭人口 household size", default=0, editable=False)

    status = models.CharField("在册状态 record status", max_length=10, choices=RecordStatus.choices,
                              default=RecordStatus.ACTIVE)
    left_reason = models.CharField("注销原因 why it left", max_length=20, blank=True,
                                   choices=choices(codes.HOUSEHOLD_LEAVE_REASON))
    left_comment = models.TextField(blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["village_code", "household_number"]
        verbose_name = "贫困户 household"
        indexes = [
            models.Index(fields=["county_code", "status", "poverty_status"]),
            models.Index(fields=["city_code"], name="household_city"),
            models.Index(fields=["township_code"], name="household_township"),
            models.Index(fields=["village_code"], name="household_village"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["handbook_number"], condition=~Q(handbook_number=""),
                                    name="household_unique_handbook_number"),
        ]

    def __str__(self) -> str:
        return f"{self.head_name or '—'} ({self.household_number})"

    @property
    def other_causes(self) -> list[str]:
        return [c for c in (self.other_cause_1, self.other_cause_2) if c]

    @property
    def category_list(self) -> codes.CodeList:
        return codes.HOUSEHOLD_CATEGORY_BY_VERSION[self.category_form_version]


class Member(TimeStamped, Versioned):
    """家庭成员 — a person in a registered household. One person belongs to one household at a time."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名 name", max_length=60)
    id_number = models.CharField("证件号码 ID number", max_length=20)  # indexed in Meta.indexes
    id_kind = models.CharField("证件类型 ID kind", max_length=12, editable=False)
    sex = models.CharField("性别 sex", max_length=1, choices=choices(codes.SEX), editable=False)
    birth_date = models.DateField("出生日期 birth date", editable=False)
    relation = models.CharField("与户主关系 relation to head", max_length=2, choices=choices(codes.RELATION))
    ethnicity = models.CharField("民族 ethnicity", max_length=2, default="01", choices=choices(codes.ETHNICITY))
    education = models.CharField("文化程度 education", max_length=2, blank=True, choices=choices(codes.EDUCATION))
    schooling = models.CharField("在校生状况 schooling", max_length=2, default="1", choices=choices(codes.SCHOOLING))
    health = models.CharField("健康状况 health", max_length=2, default="1", choices=choices(codes.HEALTH))
    labour_skill = models.CharField("劳动技能 labour", max_length=2, default="1",
                                    choices=choices(codes.LABOUR_SKILL))
    migrant_work = models.CharField("务工状况 migrant work", max_length=2, blank=True,
                                    choices=choices(codes.MIGRANT_WORK))
    migrant_months = models.PositiveSmallIntegerField("务工时间(月) months of migrant work", default=0)
    is_active_soldier = models.BooleanField("现役军人 serving soldier", default=False)
    has_medical_insurance = models.BooleanField("参加城乡居民基本医疗保险 medical insurance", default=True)
    has_serious_illness_insurance = models.BooleanField("参加大病医疗保险 serious-illness insurance",
                                                        default=False)
    has_pension_insurance = models.BooleanField("参加城乡居民基本养老保险 pension insurance", default=False)
    is_dibao = models.BooleanField("享受低保 on dibao", default=False)
    is_tekun = models.BooleanField("特困供养 destitute support", default=False)

    status = models.CharField("在册状态 record status", max_length=10, choices=RecordStatus.choices,
                              default=RecordStatus.ACTIVE)
    left_reason = models.CharField("减少原因 why they left", max_length=20, blank=True,
                                   choices=choices(codes.MEMBER_LEAVE_REASON))
    left_comment = models.TextField(blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["household_id", "relation", "birth_date"]
        verbose_name = "家庭成员 member"
        indexes = [models.Index(fields=["id_number"], name="member_id_number")]
        constraints = [
            # Backstop for the one-person-one-household rule (the service gives the readable error).
            models.UniqueConstraint(fields=["id_number"], condition=Q(status="active"),
                                    name="member_one_active_household"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.household_id})"
