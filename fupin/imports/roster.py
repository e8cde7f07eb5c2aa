"""The national roster (花名册) column set: one row per person, household fields repeated.

This is the documented column map (docs/roster.md is generated from it): each column has its Chinese
header as the template writes it, the header spellings accepted on import (aliases), the registry
field it fills, whether it belongs to the household or the member, and its kind:

- ``text``; ``int``; ``decimal`` (yuan, mu, m², km);
- ``bool`` (是/否, 有/无, 1/0, Y/N, √/×);
- ``code:<list>`` — a code of :data:`fupin.policy.codes.ALL_LISTS` given as the code (``1``) or the
  label (``因病``); ``codes:<list>`` — up to two codes separated by ``,、;/`` or spaces;
- ``id_number`` — checked with GB 11643 (:mod:`fupin.policy.idnumber`);
- ``category`` — 贫困户属性 label or code, with its form version (2014/2016) taken from 属性版本 or
  from the label;
- ``dilapidated`` — 危房户: 否/是/C/D (是 without a grade is stored as C);
- ``region_code`` / ``region_name`` — the village by its 12-digit code or by township and village
  names inside the importer's region.

Pure data: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUSEHOLD = "household"
MEMBER = "member"
LOCATION = "location"


@dataclass(frozen=True)
class RosterColumn:
    header: str  # as the template writes it
    field: str  # registry field (or a location/check field for LOCATION and checks)
    level: str  # HOUSEHOLD, MEMBER or LOCATION
    kind: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""


def _c(header: str, field: str, level: str, kind: str, *aliases: str, required: bool = False,
       note: str = "") -> RosterColumn:
    return RosterColumn(header, field, level, kind, aliases, required, note)


COLUMNS: tuple[RosterColumn, ...] = (
    # Where (所在地)
    _c("市", "city_name", LOCATION, "region_name", "地市", "所在市", "市(州)"),
    _c("县", "county_name", LOCATION, "region_name", "县(市、区)", "县区", "所在县"),
    _c("乡镇", "township_name", LOCATION, "region_name", "乡(镇)", "乡镇(街道)", "所在乡镇"),
    _c("行政村", "village_name", LOCATION, "region_name", "村", "所在村", "行政村(社区)"),
    _c("行政区划代码", "village_code", LOCATION, "region_code", "村代码", "区划代码", "行政村代码",
       note="12-digit village code; when absent the village is found by 乡镇 + 行政村 names"),
    _c("自然村(组)", "group_name", HOUSEHOLD, "text", "自然村", "组", "村民小组", "自然村（组）"),
    # Household (户)
    _c("户编号", "household_number", HOUSEHOLD, "text", "户号", "家庭编号", required=True),
    _c("联系电话", "phone", HOUSEHOLD, "text", "电话", "联系方式"),
    _c("开户银行", "bank_name", HOUSEHOLD, "text", "开户行"),
    _c("银行账号", "bank_account", HOUSEHOLD, "text", "银行卡号", "账号"),
    _c("识别标准", "identification_standard", HOUSEHOLD, "code:identification_standard"),
    _c("贫困户属性", "category", HOUSEHOLD, "category", "户属性", "贫困户类型", required=True),
    _c("属性版本", "category_form_version", HOUSEHOLD, "text", note="2014 or 2016; inferred from the label"),
    _c("主要致贫原因", "main_cause", HOUSEHOLD, "code:poverty_cause", "致贫原因", required=True),
    _c("其他致贫原因", "other_causes", HOUSEHOLD, "codes:poverty_cause", "次要致贫原因"),
    _c("军烈属", "is_military_family", HOUSEHOLD, "bool", "是否军烈属"),
    _c("独生子女户", "is_only_child", HOUSEHOLD, "bool", "是否独生子女户"),
    _c("双女户", "is_two_daughters", HOUSEHOLD, "bool", "是否双女户"),
    _c("脱贫属性", "poverty_status", HOUSEHOLD, "code:poverty_status", "脱贫状态", "贫困户状态"),
    _c("识别年度", "identification_year", HOUSEHOLD, "int", "识别时间", "建档年度", required=True),
    _c("计划脱贫年度", "planned_exit_year", HOUSEHOLD, "int", "计划脱贫时间"),
    _c("脱贫年度", "exit_year", HOUSEHOLD, "int", "脱贫时间"),
    _c("危房户", "dilapidated_grade", HOUSEHOLD, "dilapidated", "是否危房户", "危房等级"),
    _c("饮水安全", "drinking_water_safe", HOUSEHOLD, "bool", "饮水是否安全"),
    _c("饮水困难", "drinking_water_difficult", HOUSEHOLD, "bool", "饮水是否困难"),
    _c("通生活用电", "has_electricity", HOUSEHOLD, "bool", "是否通生活用电"),
    _c("有无卫生厕所", "has_sanitary_toilet", HOUSEHOLD, "bool", "卫生厕所"),
    _c("主要燃料类型", "fuel_type", HOUSEHOLD, "code:fuel_type", "燃料类型"),
    _c("入户路类型", "road_type", HOUSEHOLD, "code:road_type"),
    _c("距村主干路(公里)", "road_distance_km", HOUSEHOLD, "decimal", "距村主干路", "与村主干路距离(公里)"),
    _c("住房面积(平方米)", "housing_area_m2", HOUSEHOLD, "decimal", "住房面积"),
    _c("耕地面积(亩)", "arable_mu", HOUSEHOLD, "decimal", "耕地面积"),
    _c("有效灌溉面积(亩)", "irrigated_mu", HOUSEHOLD, "decimal", "有效灌溉面积"),
    _c("林地面积(亩)", "forest_mu", HOUSEHOLD, "decimal", "林地面积"),
    _c("工资性收入", "income_wage", HOUSEHOLD, "decimal", "工资性收入(元)"),
    _c("生产经营性收入", "income_business", HOUSEHOLD, "decimal", "生产经营性收入(元)"),
    _c("财产性收入", "income_property", HOUSEHOLD, "decimal", "财产性收入(元)"),
    _c("低保金", "transfer_dibao", HOUSEHOLD, "decimal", "低保金(元)"),
    _c("五保金", "transfer_wubao", HOUSEHOLD, "decimal", "五保金(元)", "特困供养金"),
    _c("养老保险金", "transfer_pension", HOUSEHOLD, "decimal", "养老金", "养老保险金(元)"),
    _c("生态补偿金", "transfer_eco", HOUSEHOLD, "decimal", "生态补偿金(元)"),
    _c("其他转移性收入", "transfer_other", HOUSEHOLD, "decimal", "其他转移性收入(元)"),
    _c("生产经营性支出", "business_expense", HOUSEHOLD, "decimal", "生产经营性支出(元)"),
    _c("年人均纯收入", "income_per_capita_check", HOUSEHOLD, "decimal", "人均纯收入", "年人均纯收入(元)",
       note="checked against the income lines ÷ household size (±1 yuan); not stored"),
    # Member (人)
    _c("姓名", "name", MEMBER, "text", required=True),
    _c("证件号码", "id_number", MEMBER, "id_number", "身份证号码", "身份证号", "公民身份号码", "证件号",
       required=True),
    _c("与户主关系", "relation", MEMBER, "code:relation", "与户主的关系", "关系", required=True),
    _c("性别", "sex_check", MEMBER, "code:sex", note="checked against the ID number; not stored"),
    _c("民族", "ethnicity", MEMBER, "code:ethnicity"),
    _c("文化程度", "education", MEMBER, "code:education"),
    _c("在校生状况", "schooling", MEMBER, "code:schooling", "在校生情况"),
    _c("健康状况", "health", MEMBER, "code:health"),
    _c("劳动技能", "labour_skill", MEMBER, "code:labour_skill", "劳动能力"),
    _c("务工状况", "migrant_work", MEMBER, "code:migrant_work", "务工情况"),
    _c("务工时间", "migrant_months", MEMBER, "int", "务工时间(月)", "务工月数"),
    _c("现役军人", "is_active_soldier", MEMBER, "bool", "是否现役军人"),
    _c("参加大病医疗", "has_serious_illness_insurance", MEMBER, "bool", "是否参加大病医疗保险", "参加大病保险"),
    _c("参加城乡居民基本医疗保险", "has_medical_insurance", MEMBER, "bool", "参加新农合", "是否参加新型农村合作医疗"),
    _c("参加城乡居民基本养老保险", "has_pension_insurance", MEMBER, "bool", "参加养老保险"),
    _c("享受低保", "is_dibao", MEMBER, "bool", "是否享受低保"),
    _c("特困供养", "is_tekun", MEMBER, "bool", "是否特困供养"),
)

BY_FIELD = {c.field: c for c in COLUMNS}
HEADERS = [c.header for c in COLUMNS]

# The household roster (户花名册): one row per household — its place, 户编号, the head (name and ID
# number, from the head's row), 家庭人口 (its active members) and every household column above. The
# import mode 只更新户信息 takes it back (its own three columns not read); the other modes take the
# person roster and refuse a household roster with that advice (:data:`HOUSEHOLD_ROSTER_MARKS`).
HEAD_NAME_HEADER = "户主姓名"
HEAD_ID_HEADER = "户主证件号码"
SIZE_HEADER = "家庭人口"
HOUSEHOLD_ROSTER_HEADERS: list[str] = [
    *(c.header for c in COLUMNS if c.level == LOCATION),
    BY_FIELD["group_name"].header, BY_FIELD["household_number"].header,
    HEAD_NAME_HEADER, HEAD_ID_HEADER, SIZE_HEADER,
    *(c.header for c in COLUMNS if c.level == HOUSEHOLD and c.field not in ("group_name", "household_number")),
]
#: Headers that only a household roster has (with these and no 姓名/证件号码 the file is one).
HOUSEHOLD_ROSTER_MARKS = frozenset({HEAD_NAME_HEADER, HEAD_ID_HEADER, SIZE_HEADER, "户主身份证号码", "家庭人口数",
                                    "人口数"})
