"""The documented columns rules are written against (规则可用的列).

Two analytic views (分析视图, built by :mod:`fupin.policy.analytic_view`): one row per household
(:data:`HOUSEHOLD_COLUMNS`) and one row per active member (:data:`PERSON_COLUMNS`). A rule may name
only these columns; the catalogue is also the documentation (docs/rules.md is generated from it) and
the view builders produce exactly these columns in this order (a test holds them equal).

Kinds: ``int`` and ``float`` are numbers (rules compute on them as 64-bit floats), ``bool`` is true or
false, ``str`` is text (codes are text: ``main_cause = '1'``), ``date`` is a calendar date. Any value
may be NULL (unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["int", "float", "bool", "str", "date"]
KINDS: tuple[Kind, ...] = ("int", "float", "bool", "str", "date")
KIND_LABELS: dict[str, str] = {
    "int": "整数 integer",
    "float": "数值 number",
    "bool": "是/否 boolean",
    "str": "文本/代码 text or code",
    "date": "日期 date",
}


@dataclass(frozen=True)
class Column:
    """One documented column of an analytic view."""

    name: str
    kind: Kind
    label_zh: str
    label_en: str
    description: str = ""
    code_list: str = ""  # id of the code list in fupin.policy.codes whose codes the column holds

    @property
    def is_number(self) -> bool:
        return self.kind in ("int", "float")


def _catalogue(*columns: Column) -> Mapping[str, Column]:
    out: dict[str, Column] = {}
    for column in columns:
        if column.name in out:
            raise ValueError(f"duplicate column {column.name}")
        if column.kind not in KINDS:
            raise ValueError(f"column {column.name}: unknown kind {column.kind}")
        out[column.name] = column
    return out


#: 致贫原因 flags: (column, cause code, Chinese, English). True when the main cause or one of the two
#: other causes is the code (main and other causes both count; ``main_cause`` alone is a column too).
CAUSE_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("cause_illness", "1", "因病", "illness"),
    ("cause_disability", "2", "因残", "disability"),
    ("cause_schooling", "3", "因学", "schooling costs"),
    ("cause_disaster", "4", "因灾", "disaster"),
    ("cause_land", "5", "缺土地", "lack of land"),
    ("cause_water", "6", "缺水", "lack of water"),
    ("cause_skills", "7", "缺技术", "lack of skills"),
    ("cause_labour", "8", "缺劳力", "lack of labour"),
    ("cause_capital", "9", "缺资金", "lack of capital"),
    ("cause_transport", "10", "交通条件落后", "poor transport"),
    ("cause_motivation", "11", "自身发展动力不足", "lack of motivation"),
    ("cause_marriage", "12", "因婚", "marriage costs"),
    ("cause_other", "99", "其他", "other cause"),
)

#: 户类别 (category_group) values, derived from 贫困户属性 and its form version.
CATEGORY_GROUPS: dict[str, tuple[str, str]] = {
    "general": ("一般贫困户", "ordinary poor household"),
    "dibao_poor": ("低保贫困户(有劳动能力)", "poor household on dibao, able to work"),
    "dibao": ("低保户(无劳动能力)", "dibao household, unable to work"),
    "wubao": ("五保户/特困供养", "wubao / destitute-support household"),
}

_CAUSE_COLUMNS = tuple(
    Column(name, "bool", f"致贫原因含{zh}", f"cause includes {en}",
           f"主要或其他致贫原因之一为 {code} {zh}; true when the main or an other cause is {code} ({en}).")
    for name, code, zh, en in CAUSE_FLAGS
)

_CATEGORY_GROUP_DESCRIPTION = (
    "由贫困户属性及其版本推得 derived from 贫困户属性 and its form version: 2014版 1 一般→general, "
    "2 低保贫困户→dibao_poor, 3 低保户→dibao, 4 五保户→wubao; 2016版 1→general, 2 低保贫困户→dibao_poor if "
    "the household has labour (n_labour > 0) else dibao, 3 特困供养→wubao. Without a category: wubao if a "
    "member is 特困供养, dibao_poor/dibao if a member is on 低保 (by labour), else general."
)

_HOUSEHOLD_FIELDS = (
    Column("household_id", "int", "户ID", "household id", "登记库内部编号 internal id of the household."),
    Column("household_number", "str", "户编号", "household number", "村代码 + 5 位序号 village code + sequence."),
    Column("village_code", "str", "行政村代码", "village code", "12位统计用区划代码 12-digit division code."),
    Column("township_code", "str", "乡镇代码", "township code", "12-digit code of the township."),
    Column("county_code", "str", "县代码", "county code", "12-digit code of the county."),
    Column("status", "str", "在册状态", "record status", "active 在册 / left 已注销."),
    Column("identification_standard", "str", "识别标准", "identification standard",
           "1 国家标准, 2 省定标准, 3 市定标准.", "identification_standard"),
    Column("category", "str", "贫困户属性", "household category",
           "代码, 含义随 category_form_version 而定 code; meaning depends on the form version."),
    Column("category_form_version", "str", "属性版本", "category form version", "2014 或 2016."),
    Column("category_group", "str", "户类别", "category group",
           "general / dibao_poor / dibao / wubao. " + _CATEGORY_GROUP_DESCRIPTION),
    Column("main_cause", "str", "主要致贫原因", "main cause", "致贫原因代码 cause code.", "poverty_cause"),
    Column("other_cause_1", "str", "其他致贫原因一", "other cause 1", "空为无 empty when none.", "poverty_cause"),
    Column("other_cause_2", "str", "其他致贫原因二", "other cause 2", "空为无 empty when none.", "poverty_cause"),
    *_CAUSE_COLUMNS,
    Column("is_military_family", "bool", "军烈属", "military or martyr family"),
    Column("is_only_child", "bool", "独生子女户", "one-child household"),
    Column("is_two_daughters", "bool", "双女户", "two-daughter household"),
    Column("arable_mu", "float", "耕地面积(亩)", "arable land (mu)"),
    Column("irrigated_mu", "float", "有效灌溉面积(亩)", "irrigated land (mu)"),
    Column("forest_mu", "float", "林地面积(亩)", "forest (mu)"),
    Column("grain_to_green_mu", "float", "退耕还林面积(亩)", "grain-to-green land (mu)"),
    Column("fruit_forest_mu", "float", "林果面积(亩)", "orchards (mu)"),
    Column("pasture_mu", "float", "牧草地面积(亩)", "pasture (mu)"),
    Column("water_surface_mu", "float", "水面面积(亩)", "water surface (mu)"),
    Column("is_coop_member", "bool", "加入农民专业合作社", "co-operative member"),
    Column("has_electricity", "bool", "通生活用电", "household power"),
    Column("has_production_power", "bool", "通生产用电", "production power"),
    Column("road_distance_km", "float", "距村主干路(公里)", "km to the village main road"),
    Column("road_type", "str", "入户路类型", "road to the house", "", "road_type"),
    Column("housing_area_m2", "float", "住房面积(平方米)", "housing area (m²)"),
    Column("dilapidated_grade", "str", "危房等级", "dilapidated-housing grade",
           "空为非危房, C 或 D empty when not dilapidated.", "dilapidated_grade"),
    Column("drinking_water_safe", "bool", "饮水安全", "safe drinking water"),
    Column("drinking_water_difficult", "bool", "饮水困难", "difficult access to water"),
    Column("fuel_type", "str", "主要燃料类型", "main cooking fuel", "", "fuel_type"),
    Column("has_sanitary_toilet", "bool", "有卫生厕所", "sanitary toilet"),
    Column("income_wage", "float", "工资性收入(元)", "wages (yuan/year)"),
    Column("income_business", "float", "生产经营性收入(元)", "business income (yuan/year)"),
    Column("income_property", "float", "财产性收入(元)", "property income (yuan/year)"),
    Column("transfer_dibao", "float", "低保金(元)", "dibao transfer (yuan/year)"),
    Column("transfer_wubao", "float", "五保金(元)", "wubao transfer (yuan/year)"),
    Column("transfer_pension", "float", "养老保险金(元)", "pension (yuan/year)"),
    Column("transfer_eco", "float", "生态补偿金(元)", "ecological compensation (yuan/year)"),
    Column("transfer_other", "float", "其他转移性收入(元)", "other transfers (yuan/year)"),
    Column("business_expense", "float", "生产经营性支出(元)", "business expenses (yuan/year)"),
    Column("income_net", "float", "家庭纯收入(元)", "net household income (yuan/year)",
           "按政策计入的转移性收入重算 recomputed with the transfers the policy counts (when the view is "
           "built with income settings), otherwise as stored."),
    Column("income_per_capita", "float", "年人均纯收入(元)", "net income per person (yuan/year)",
           "income_net ÷ n_members (在册成员), 0.01 元; NULL 无成员 when the household has no active member "
           "(recomputed with the policy's income settings when given, otherwise as stored)."),
    Column("poverty_line", "float", "扶贫标准(元)", "poverty line (yuan/person/year)",
           "该户适用的扶贫标准 (已按年度滞后) the line that applies to the household (year lag applied)."),
    Column("food_secure", "bool", "不愁吃", "enough food"),
    Column("clothing_secure", "bool", "不愁穿", "enough clothing"),
    Column("education_secure", "bool", "义务教育有保障", "compulsory education secured"),
    Column("medical_secure", "bool", "基本医疗有保障", "basic medical care secured"),
    Column("housing_secure", "bool", "住房安全有保障", "safe housing secured"),
    Column("poverty_status", "str", "脱贫状态", "poverty status", "AAR010.", "poverty_status"),
    Column("identification_year", "int", "识别年度", "year identified"),
    Column("planned_exit_year", "int", "计划脱贫年度", "planned exit year"),
    Column("exit_year", "int", "脱贫年度", "year exited"),
    Column("size", "int", "家庭人口(登记)", "household size (as stored)", "登记库保存的人数 as stored; "
           "n_members counts the active members given to the view."),
)

_MEMBER_AGGREGATES = (
    Column("n_members", "int", "在册人口", "active members", "在册成员数 number of active members."),
    Column("n_labour", "int", "劳动力人数", "members with labour", "劳动技能 1 普通 或 2 技能劳动力."),
    Column("n_under_18", "int", "未满18岁人数", "members under 18", "age < 18 (满周岁 completed years)."),
    Column("n_over_60", "int", "60岁及以上人数", "members 60 or older", "age >= 60."),
    Column("n_lost_labour", "int", "因病因残丧失劳动力人数", "members who lost labour to illness or disability",
           "劳动技能 3 丧失/4 无劳动力 且 健康状况 2 慢性病/3 大病/4 残疾 (see lost_labour)."),
    Column("n_ill", "int", "患病人数", "members with illness", "健康状况 2 长期慢性病 或 3 患有大病."),
    Column("n_disabled", "int", "残疾人数", "disabled members", "健康状况 4 残疾."),
    Column("n_students", "int", "在校生人数", "members in school", "在校生状况 2–16 (学前教育 及以上)."),
    Column("n_migrant", "int", "务工人数", "members doing migrant work", "务工状况 given or 务工时间 > 0."),
    Column("n_away_12m", "int", "外出12个月及以上人数", "members away 12 months or more",
           "务工时间(月) >= 12 months of migrant work in the year."),
    Column("any_dibao", "bool", "有享受低保成员", "a member is on dibao"),
    Column("any_tekun", "bool", "有特困供养成员", "a member is under destitute support"),
    Column("any_vehicle", "bool", "有车辆(比对)", "a member owns a vehicle (matched)",
           "数据比对命中 其他部门车辆登记 (小汽车、大型农机具、工程车辆) kind vehicle."),
    Column("any_real_estate", "bool", "有城镇房产/新建住房(比对)", "a member owns town property (matched)",
           "数据比对命中 不动产登记 (城镇购房或近两年新建翻建住房) kind real_estate."),
    Column("any_business", "bool", "有工商注册(比对)", "a member runs a registered business (matched)",
           "数据比对命中 市场主体登记 kind business."),
    Column("any_public_payroll", "bool", "有财政供养人员(比对)", "a member is on a fiscal payroll (matched)",
           "数据比对命中 财政供养人员名单 kind payroll."),
    Column("any_village_cadre", "bool", "有现任村干部(比对)", "a member is a serving village cadre (matched)",
           "数据比对命中 村干部名单 kind village_cadre."),
    Column("any_deceased", "bool", "有已死亡成员(比对)", "a member is recorded as dead (matched)",
           "数据比对命中 死亡(火化)登记 kind death."),
)

HOUSEHOLD_COLUMNS: Mapping[str, Column] = _catalogue(*_HOUSEHOLD_FIELDS, *_MEMBER_AGGREGATES)
"""Columns of the household view (户分析视图), one row per household, in view order."""

#: Household columns repeated on every person row (name in the household view = name in the person view).
PERSON_HOUSEHOLD_FIELDS: tuple[str, ...] = (
    "household_number", "village_code", "township_code", "county_code", "category", "category_form_version",
    "category_group", "main_cause", "other_cause_1", "other_cause_2", *(name for name, *_ in CAUSE_FLAGS),
    "road_distance_km", "road_type", "dilapidated_grade", "drinking_water_safe", "drinking_water_difficult",
    "has_electricity", "housing_secure", "income_per_capita", "poverty_status", "n_members", "n_labour",
)

_PERSON_FIELDS = (
    Column("member_id", "int", "成员ID", "member id", "登记库内部编号 internal id of the member."),
    Column("household_id", "int", "户ID", "household id"),
    Column("age", "int", "年龄(周岁)", "age (completed years)",
           "按 as_of 日期计算的周岁 completed years on the view's as_of date (2月29日出生者 3月1日满岁)."),
    Column("sex", "str", "性别", "sex", "", "sex"),
    Column("relation", "str", "与户主关系", "relation to head", "", "relation"),
    Column("education", "str", "文化程度", "education", "", "education"),
    Column("schooling", "str", "在校生状况", "schooling", "", "schooling"),
    Column("health", "str", "健康状况", "health", "", "health"),
    Column("labour_skill", "str", "劳动技能", "labour skill", "", "labour_skill"),
    Column("migrant_work", "str", "务工状况", "migrant work", "", "migrant_work"),
    Column("migrant_months", "int", "务工时间(月)", "months of migrant work"),
    Column("is_dibao", "bool", "享受低保", "on dibao"),
    Column("is_tekun", "bool", "特困供养", "under destitute support"),
    Column("is_active_soldier", "bool", "现役军人", "serving soldier"),
    Column("has_labour", "bool", "有劳动能力", "has labour", "劳动技能 1 普通 或 2 技能劳动力."),
    Column("lost_labour", "bool", "因病因残丧失劳动力", "lost labour to illness or disability",
           "劳动技能 3 丧失/4 无劳动力 且 健康状况 2/3/4 (慢性病、大病、残疾)."),
    Column("is_ill", "bool", "患病", "ill", "健康状况 2 长期慢性病 或 3 患有大病."),
    Column("is_disabled", "bool", "残疾", "disabled", "健康状况 4 残疾."),
    Column("is_student", "bool", "在校生", "in school", "在校生状况 2–16."),
    Column("has_vehicle", "bool", "有车辆(比对)", "owns a vehicle (matched)", "kind vehicle."),
    Column("has_real_estate", "bool", "有城镇房产(比对)", "owns town property (matched)", "kind real_estate."),
    Column("has_business", "bool", "有工商注册(比对)", "runs a registered business (matched)", "kind business."),
    Column("on_public_payroll", "bool", "财政供养人员(比对)", "on a fiscal payroll (matched)", "kind payroll."),
    Column("is_village_cadre", "bool", "现任村干部(比对)", "serving village cadre (matched)",
           "kind village_cadre."),
    Column("is_deceased", "bool", "已死亡(比对)", "recorded as dead (matched)", "kind death."),
)

PERSON_COLUMNS: Mapping[str, Column] = _catalogue(
    *_PERSON_FIELDS, *(HOUSEHOLD_COLUMNS[name] for name in PERSON_HOUSEHOLD_FIELDS)
)
"""Columns of the person view (人分析视图), one row per active member, in view order."""

#: Match kinds (数据比对) → (household column, person column).
MATCH_KINDS: dict[str, tuple[str, str]] = {
    "vehicle": ("any_vehicle", "has_vehicle"),
    "real_estate": ("any_real_estate", "has_real_estate"),
    "business": ("any_business", "has_business"),
    "payroll": ("any_public_payroll", "on_public_payroll"),
    "village_cadre": ("any_village_cadre", "is_village_cadre"),
    "death": ("any_deceased", "is_deceased"),
}

UNIT_COLUMNS: dict[str, Mapping[str, Column]] = {"household": HOUSEHOLD_COLUMNS, "person": PERSON_COLUMNS}
"""The column catalogue of each rule unit (规则对象: 户 household / 人 person)."""
