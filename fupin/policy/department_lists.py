"""Other departments' lists for the cross-department comparison (数据比对), as versioned data.

Each kind of list (名单类型) says which department supplies it (数据来源部门), which columns a file of it
has — the ID number (公民身份号码) always, the person's name, and detail columns that describe the
matched record (a plate number, an address, a company …) — with the header spellings accepted on
import, and which household column of the analytic view (contract A, ``any_vehicle`` …) and which
exclusion rule (八不入) a confirmed match feeds. The six kind ids are fixed by contract A:
``vehicle``, ``real_estate``, ``business``, ``payroll``, ``death``, ``village_cadre``.

A ``death`` match, once a township officer confirms it, also takes the member off the household with
the reason :data:`DEATH_LEAVE_REASON` (a code of :data:`fupin.policy.codes.MEMBER_LEAVE_REASON`).

The rule ids here are the defaults used when the policy set in force names no exclusion rule over
the kind's household column; the screening app asks the policy first (fupin.screening.rule_links).

Pure data: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

VERSION = "2016.1"
VALID_FROM = date(2016, 1, 1)

#: Column kinds: how the reader treats a cell.
TEXT = "text"
DATE = "date"  # normalised to YYYY-MM-DD when it can be read, else kept as written
ID_NUMBER = "id_number"  # GB 11643, normalised to 18 characters

DEATH_LEAVE_REASON = "death"

#: Header spellings every kind accepts for the ID number and the name (a kind adds its own).
ID_ALIASES = ("身份证号码", "身份证号", "公民身份号码", "公民身份证号码", "证件号", "身份证", "证件号码(身份证)",
              "id number", "id_number")
NAME_ALIASES = ("name", "人员姓名")


@dataclass(frozen=True)
class ListColumn:
    """One column of a department list: its field name, Chinese header (as a template writes it),
    English label, accepted header spellings and kind."""

    field: str
    header: str
    label_en: str
    aliases: tuple[str, ...] = ()
    kind: str = TEXT
    required: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.header, self.label_en, *self.aliases)


@dataclass(frozen=True)
class ListKind:
    """名单类型 — one kind of department list."""

    id: str
    label_zh: str
    label_en: str
    department_zh: str
    department_en: str
    household_column: str  # the analytic view's flag this kind sets (contract A)
    rule_id: str  # default exclusion rule (八不入) it feeds
    columns: tuple[ListColumn, ...]
    description: str = ""
    member_leave_reason: str = ""  # set for kinds whose confirmation takes the member off (death)

    @property
    def label(self) -> str:
        return f"{self.label_zh} {self.label_en}"

    @property
    def detail_columns(self) -> tuple[ListColumn, ...]:
        """The columns kept in a record's detail (everything but the ID number and the name)."""
        return tuple(c for c in self.columns if c.field not in ("id_number", "name"))

    def column(self, field: str) -> ListColumn:
        for c in self.columns:
            if c.field == field:
                return c
        raise KeyError(field)


def _id(*extra: str) -> ListColumn:
    return ListColumn("id_number", "证件号码", "ID number", (*ID_ALIASES, *extra), kind=ID_NUMBER, required=True)


def _name(*extra: str) -> ListColumn:
    return ListColumn("name", "姓名", "Name", (*NAME_ALIASES, *extra))


def _c(field: str, header: str, label_en: str, *aliases: str, kind: str = TEXT) -> ListColumn:
    return ListColumn(field, header, label_en, aliases, kind=kind)


KINDS: tuple[ListKind, ...] = (
    ListKind(
        "vehicle", "车辆登记", "Vehicle registrations", "公安交管部门", "Public security (traffic police)",
        household_column="any_vehicle", rule_id="ex_vehicle",
        description="家庭成员有小汽车、大型农机或工程车辆 / a member owns a car, large machinery or an engineering vehicle",
        columns=(
            _id("所有人身份证号码", "所有人身份证号", "车主身份证号码", "车主身份证号", "所有人证件号码"),
            _name("所有人", "机动车所有人", "车主", "车主姓名"),
            _c("plate_number", "号牌号码", "Plate number", "车牌号", "车牌号码", "号牌", "车牌"),
            _c("vehicle_type", "车辆类型", "Vehicle type", "车型", "车辆种类", "号牌种类"),
            _c("brand", "品牌型号", "Make and model", "中文品牌", "品牌", "厂牌型号"),
            _c("registered_on", "初次登记日期", "First registered", "登记日期", "注册日期", "初登日期", kind=DATE),
            _c("vehicle_status", "机动车状态", "Vehicle status", "车辆状态", "状态"),
        ),
    ),
    ListKind(
        "real_estate", "不动产登记", "Real-estate registrations", "住建部门/不动产登记中心",
        "Housing and construction / real-estate registry",
        household_column="any_real_estate", rule_id="ex_real_estate",
        description="在城镇购买商品房或有其他登记房产 / bought a flat in a town or county seat, or holds other registered property",
        columns=(
            _id("权利人证件号码", "权利人身份证号码", "权利人身份证号", "买受人身份证号码", "购房人身份证号码",
                "产权人身份证号码"),
            _name("权利人", "权利人姓名", "买受人", "购房人", "产权人"),
            _c("address", "房屋坐落", "Address", "坐落", "不动产坐落", "房屋地址", "地址", "房屋座落"),
            _c("area_m2", "建筑面积(平方米)", "Floor area (m²)", "建筑面积", "面积", "面积(平方米)"),
            _c("purchased_on", "登记日期", "Registered or bought on", "购房日期", "网签日期", "合同日期", "登簿日期",
               "备案日期", kind=DATE),
            _c("certificate_number", "不动产权证号", "Title certificate", "产权证号", "房产证号", "不动产权证书号",
               "证书号"),
            _c("usage", "房屋用途", "Use", "用途", "规划用途"),
        ),
    ),
    ListKind(
        "business", "工商注册", "Business registrations", "市场监管部门", "Market regulation",
        household_column="any_business", rule_id="ex_business",
        description="注册企业法人或个体工商户 / runs a registered company or sole proprietorship",
        columns=(
            _id("法定代表人身份证号码", "法定代表人身份证号", "法定代表人证件号码", "经营者身份证号码",
                "经营者身份证号", "投资人身份证号码", "股东身份证号码"),
            _name("法定代表人", "法定代表人姓名", "经营者", "经营者姓名", "投资人", "负责人"),
            _c("company_name", "企业名称", "Company", "名称", "市场主体名称", "单位名称", "字号名称", "个体户名称"),
            _c("role", "身份", "Role", "人员类型", "职务", "任职", "人员身份"),
            _c("credit_code", "统一社会信用代码", "Credit code", "信用代码", "注册号", "营业执照号"),
            _c("company_type", "企业类型", "Type", "主体类型", "市场主体类型", "类型"),
            _c("registered_on", "成立日期", "Registered on", "注册日期", "登记日期", kind=DATE),
            _c("business_status", "登记状态", "Status", "经营状态", "状态"),
        ),
    ),
    ListKind(
        "payroll", "财政供养人员", "Fiscal payroll", "财政部门/人社部门", "Finance / human resources",
        household_column="any_public_payroll", rule_id="ex_public_payroll",
        description="家庭成员为财政供养人员 / a member is paid from public funds",
        columns=(
            _id(),
            _name("人员姓名", "职工姓名"),
            _c("employer", "工作单位", "Employer", "单位名称", "单位", "所在单位", "供职单位", "预算单位"),
            _c("post", "职务", "Post", "岗位", "职务(岗位)"),
            _c("staff_type", "人员类别", "Staff type", "编制类型", "人员身份", "编制性质"),
            _c("since", "参加工作时间", "Since", "入职日期", "入职时间", kind=DATE),
        ),
    ),
    ListKind(
        "death", "死亡人员", "Deaths", "公安/民政/卫健部门", "Public security / civil affairs / health",
        household_column="any_deceased", rule_id="ex_deceased_member",
        description="家庭成员已死亡,确认后该成员减少 / a member has died; confirming takes the member off the household",
        member_leave_reason=DEATH_LEAVE_REASON,
        columns=(
            _id("死者身份证号码", "死亡人员身份证号码", "死者身份证号"),
            _name("死者姓名", "死亡人员姓名"),
            _c("died_on", "死亡日期", "Date of death", "死亡时间", "注销日期", kind=DATE),
            _c("cause", "死亡原因", "Cause of death", "死因"),
            _c("place", "死亡地点", "Place of death", "地点"),
        ),
    ),
    ListKind(
        "village_cadre", "村干部", "Village cadres", "组织部门/民政部门", "Organisation / civil affairs",
        household_column="any_village_cadre", rule_id="ex_village_cadre",
        description="家庭成员为现任村干部(村两委成员) / a member is a serving village cadre",
        columns=(
            _id(),
            _name("干部姓名"),
            _c("village", "所在村", "Village", "村(社区)", "任职村", "村名", "行政村"),
            _c("post", "职务", "Post", "职位", "现任职务"),
            _c("since", "任职时间", "In post since", "任职日期", "任职起始时间", "任期开始", kind=DATE),
            _c("term_end", "任期结束", "Term ends", "任期届满", "任职结束时间", kind=DATE),
        ),
    ),
)

BY_ID: dict[str, ListKind] = {k.id: k for k in KINDS}
KIND_IDS: tuple[str, ...] = tuple(BY_ID)
#: The analytic view's household flag (contract A) of each kind.
HOUSEHOLD_COLUMN: dict[str, str] = {k.id: k.household_column for k in KINDS}


class UnknownKind(ValueError):
    """A list kind that is not one of :data:`KIND_IDS`."""


def get_kind(kind_id: str) -> ListKind:
    """The kind ``kind_id`` or :class:`UnknownKind` with the accepted ids."""
    try:
        return BY_ID[kind_id]
    except KeyError:
        raise UnknownKind(f"未知的名单类型: {kind_id!r} / unknown list kind (one of {', '.join(KIND_IDS)})") from None


def choices(lang: str = "zh") -> list[tuple[str, str]]:
    """(id, label) of every kind, for forms."""
    return [(k.id, k.label_en if lang.startswith("en") else f"{k.label_zh} {k.label_en}") for k in KINDS]


def rule_for_column(kind_id: str, rules: dict[str, str]) -> str:
    """The exclusion rule fed by ``kind_id``: the id ``rules`` gives for the kind's household column
    (a mapping column → rule id built from the policy in force), else the kind's default."""
    kind = get_kind(kind_id)
    return rules.get(kind.household_column, kind.rule_id)
