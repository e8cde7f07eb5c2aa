"""Request and response schemas of the API (接口数据结构).

Registry fields are generated from the models (:class:`ninja.ModelSchema`), so their types, lengths
and bilingual titles (``主要致贫原因 main cause``) stay equal to the database's; codes are the national
codes as strings, each with a ``*_label`` in Chinese in responses. Which fields a client may write is
decided by :mod:`fupin.registry.services` (``HOUSEHOLD_FIELDS`` / ``MEMBER_FIELDS``), not here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, ModelSchema, Schema
from pydantic import ConfigDict

from fupin.registry.models import Household, Member
from fupin.registry.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS

#: A record id in a path: a positive 64-bit integer (anything else is 422, never a database error).
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: Request bodies refuse unknown fields (e.g. the derived ``size`` or ``head_name``) by name.
STRICT = ConfigDict(extra="forbid")
VILLAGE_CODE = Field(..., pattern=r"^\d{12}$", description="12位村级区划代码 / 12-digit village code")

# ---------------------------------------------------------------- regions (行政区划)


class RegionRef(Schema):
    code: str = Field(..., description="12位区划代码 / 12-digit code")
    name: str
    level: int = Field(..., description="1省 2市 3县 4乡镇 5村")
    level_label: str


class RegionOut(RegionRef):
    parent_code: str | None
    is_poor_village: bool
    is_deep_poverty: bool
    is_key_county: bool
    rural_population: int | None


class RegionNode(RegionRef):
    """区划树 node."""

    is_poor_village: bool
    children: list[RegionNode] = []


class FiguresOut(Schema):
    """区划统计: registered (在册) households and persons; poor = not yet exited (未脱贫/预脱贫/返贫)."""

    code: str
    name: str
    level: int
    households: int
    persons: int
    poor_households: int
    poor_persons: int
    rural_population: int | None
    incidence_rate: Decimal | None = Field(..., description="贫困发生率, percent / 百分比")
    is_poor_village: bool


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef]
    figures: FiguresOut
    children: list[FiguresOut]


# ---------------------------------------------------------------- members (家庭成员)

MEMBER_OUT_FIELDS = ["id", "version", *MEMBER_FIELDS, "id_kind", "sex", "birth_date", "status",
                     "left_reason", "left_comment", "left_at"]


class MemberElsewhereOut(Schema):
    """The same person (证件号码) in another household the user may see: ``from`` 曾在户 (a member
    active here who left that household last), ``to`` 现在户 (a member who left here, active there)."""

    kind: Literal["from", "to"]
    household_id: int
    household_number: str
    head_name: str
    left_reason: str
    left_reason_label: str
    left_at: datetime | None


class MemberOut(ModelSchema):
    """家庭成员. ``id_number`` is masked unless the user's role may see full ID numbers."""

    household_id: int
    sex_label: str
    relation_label: str
    ethnicity_label: str
    education_label: str
    schooling_label: str
    health_label: str
    labour_skill_label: str
    migrant_work_label: str
    status_label: str
    left_reason_label: str
    elsewhere: MemberElsewhereOut | None = None

    class Meta:
        model = Member
        fields = MEMBER_OUT_FIELDS


class MemberIn(ModelSchema):
    """A new member; sex and birth date come from the ID number (证件号码)."""

    model_config = STRICT

    class Meta:
        model = Member
        fields = list(MEMBER_FIELDS)


class MemberPatch(ModelSchema):
    """Changed fields of a member, with the ``version`` the client read (并发控制)."""

    version: int

    model_config = STRICT

    class Meta:
        model = Member
        fields = list(MEMBER_FIELDS)
        fields_optional = "__all__"


# ---------------------------------------------------------------- households (贫困户)


class HouseholdItem(Schema):
    """One row of the household list."""

    id: int
    household_number: str
    village_code: str = Field(..., description="12位村级区划代码 / 12-digit village code")
    village_name: str
    head_name: str
    size: int
    category: str
    category_label: str
    category_form_version: str
    main_cause: str
    main_cause_label: str
    other_causes: list[str]
    other_cause_labels: list[str]
    poverty_status: str
    poverty_status_label: str
    income_per_capita: Decimal | None
    status: str
    status_label: str
    version: int


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdItem]


class HouseholdQuery(Schema):
    """Search and filters (same as the household page)."""

    q: str = Field("", description="姓名、证件号码或户编号 / name, ID number or household number")
    region: str = Field("", description="区划代码(2/4/6/9/12位) / region code")
    status: Literal["active", "left", "all"] = "active"
    poverty_status: str = ""
    cause: str = Field("", description="主要或其他致贫原因代码 / main or other cause")
    category: str = ""
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


DETAIL_MODEL_FIELDS = [
    "id", "household_number", "head_name", "size", *HOUSEHOLD_FIELDS, "income_net", "income_per_capita",
    "income_rule_version", "province_code", "city_code", "county_code", "township_code", "village_code",
    "status", "left_reason", "left_comment", "left_at", "version", "created_at", "updated_at",
]


class HouseholdDetail(ModelSchema):
    """贫困户 with every registration field, its region path and members."""

    village_name: str
    regions: list[RegionRef] = Field(..., description="省…村 / province … village")
    category_label: str
    main_cause_label: str
    other_causes: list[str]
    other_cause_labels: list[str]
    identification_standard_label: str
    poverty_status_label: str
    road_type_label: str
    fuel_type_label: str
    dilapidated_grade_label: str
    status_label: str
    left_reason_label: str
    id_numbers_masked: bool = Field(..., description="证件号码和银行账号是否已脱敏 / numbers masked")
    members: list[MemberOut]

    class Meta:
        model = Household
        fields = DETAIL_MODEL_FIELDS


class HouseholdIn(ModelSchema):
    """A new household (建档) with its members; exactly one member is the head (户主)."""

    village_code: str = VILLAGE_CODE
    members: list[MemberIn]

    model_config = STRICT

    class Meta:
        model = Household
        fields = list(HOUSEHOLD_FIELDS)


class HouseholdPatch(ModelSchema):
    """Changed fields of a household, with the ``version`` the client read (并发控制)."""

    version: int
    village_code: str | None = Field(None, pattern=r"^\d{12}$", description="move to this village / 迁至此村")

    model_config = STRICT

    class Meta:
        model = Household
        fields = list(HOUSEHOLD_FIELDS)
        fields_optional = "__all__"


class ErrorOut(Schema):
    message: str
    field_errors: dict[str, list[str]]


class DetailOut(Schema):
    detail: str


__all__ = [
    "DetailOut",
    "ErrorOut",
    "FiguresOut",
    "HouseholdDetail",
    "HouseholdIn",
    "HouseholdItem",
    "HouseholdPage",
    "HouseholdPatch",
    "HouseholdQuery",
    "MemberIn",
    "MemberOut",
    "MemberPatch",
    "RecordId",
    "RegionDetailOut",
    "RegionNode",
    "RegionOut",
    "RegionRef",
]
