"""National code lists of the 建档立卡 registry (代码表), as versioned data.

Codes are stored as codes and shown as labels. Each list has an id, a version and the date it took
effect; a county-level override (issue 4) replaces a list by a newer version, never by editing a
released one. Sources: domain.md §3; where the numbering could not be checked against a primary
text the list says so in ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CodeItem:
    """One code with its Chinese (first) and English label."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class CodeList:
    """A versioned code list (代码表)."""

    id: str
    zh: str
    en: str
    version: str
    valid_from: date
    items: tuple[CodeItem, ...]
    note: str = ""
    _index: dict[str, CodeItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {item.code: item for item in self.items}
        if len(index) != len(self.items):
            raise ValueError(f"code list {self.id}: duplicate codes")
        object.__setattr__(self, "_index", index)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def codes(self) -> list[str]:
        return [item.code for item in self.items]

    def label(self, code: str | None, lang: str = "zh") -> str:
        """The label of ``code``; unknown codes come back as themselves, empty as ''."""
        if code is None or code == "":
            return ""
        item = self._index.get(code)
        if item is None:
            return code
        return item.en if lang.startswith("en") else item.zh

    def choices(self, lang: str = "zh") -> list[tuple[str, str]]:
        return [(item.code, item.en if lang.startswith("en") else item.zh) for item in self.items]

    def by_label(self, label: str) -> str | None:
        """The code whose Chinese or English label is ``label`` (for imports that give labels)."""
        wanted = label.strip()
        for item in self.items:
            if wanted in (item.zh, item.en):
                return item.code
        return None


def _list(
    id: str, zh: str, en: str, items: list[tuple[str, str, str]], *, version: str = "2016",
    valid_from: date = date(2016, 1, 1), note: str = "",
) -> CodeList:
    return CodeList(
        id=id, zh=zh, en=en, version=version, valid_from=valid_from,
        items=tuple(CodeItem(c, z, e) for c, z, e in items), note=note,
    )


POVERTY_CAUSE = _list("poverty_cause", "致贫原因", "Cause of poverty", [
    ("1", "因病", "Illness"),
    ("2", "因残", "Disability"),
    ("3", "因学", "Schooling costs"),
    ("4", "因灾", "Disaster"),
    ("5", "缺土地", "Lack of land"),
    ("6", "缺水", "Lack of water"),
    ("7", "缺技术", "Lack of skills"),
    ("8", "缺劳力", "Lack of labour"),
    ("9", "缺资金", "Lack of capital"),
    ("10", "交通条件落后", "Poor transport"),
    ("11", "自身发展动力不足", "Lack of motivation"),
    ("12", "因婚", "Marriage costs"),
    ("99", "其他", "Other"),
], version="2014", valid_from=date(2014, 4, 1))

IDENTIFICATION_STANDARD = _list("identification_standard", "识别标准", "Identification standard", [
    ("1", "国家标准", "National line"),
    ("2", "省定标准", "Provincial line"),
    ("3", "市定标准", "City line"),
], version="2014", valid_from=date(2014, 4, 1))

# 贫困户属性: two form versions are in use; a household keeps the version it was registered under.
HOUSEHOLD_CATEGORY_2014 = _list("household_category_2014", "贫困户属性(2014版)", "Household category (2014 form)", [
    ("1", "一般贫困户", "Ordinary poor household"),
    ("2", "低保贫困户", "Poor household on dibao (able to work)"),
    ("3", "低保户", "Dibao household (unable to work)"),
    ("4", "五保户", "Wubao household"),
], version="2014", valid_from=date(2014, 4, 1),
    note="The four categories of the 2014 form as used by seed 003 (Sanming); numbering 1-4 is fupin's.")
HOUSEHOLD_CATEGORY_2016 = _list("household_category_2016", "贫困户属性(2016版)", "Household category (2016 form)", [
    ("1", "一般贫困户", "Ordinary poor household"),
    ("2", "低保贫困户", "Poor household on dibao"),
    ("3", "特困供养贫困户", "Poor household under destitute support"),
])
HOUSEHOLD_CATEGORY_BY_VERSION = {"2014": HOUSEHOLD_CATEGORY_2014, "2016": HOUSEHOLD_CATEGORY_2016}

LABOUR_SKILL = _list("labour_skill", "劳动技能", "Labour skill", [
    ("1", "普通劳动力", "Ordinary labour"),
    ("2", "技能劳动力", "Skilled labour"),
    ("3", "丧失劳动力", "Lost labour capacity"),
    ("4", "无劳动力", "No labour capacity"),
])

HEALTH = _list("health", "健康状况", "Health", [
    ("1", "健康", "Healthy"),
    ("2", "长期慢性病", "Chronic illness"),
    ("3", "患有大病", "Serious illness"),
    ("4", "残疾", "Disabled"),
])

EDUCATION = _list("education", "文化程度", "Education", [
    ("1", "文盲或半文盲", "Illiterate or semi-literate"),
    ("2", "小学", "Primary school"),
    ("3", "初中", "Junior secondary"),
    ("4", "高中", "Senior secondary"),
    ("5", "大专及以上", "College or above"),
    ("6", "学龄前儿童", "Pre-school child"),
])

SCHOOLING = _list("schooling", "在校生状况", "Schooling", [
    ("1", "非在校生", "Not in school"),
    ("2", "学前教育", "Pre-school"),
    ("3", "小学", "Primary"),
    ("4", "七年级", "Grade 7"),
    ("5", "八年级", "Grade 8"),
    ("6", "九年级", "Grade 9"),
    ("7", "高中一年级", "Senior 1"),
    ("8", "高中二年级", "Senior 2"),
    ("9", "高中三年级", "Senior 3"),
    ("10", "中职一年级", "Vocational secondary 1"),
    ("11", "中职二年级", "Vocational secondary 2"),
    ("12", "中职三年级", "Vocational secondary 3"),
    ("13", "高职一年级", "Higher vocational 1"),
    ("14", "高职二年级", "Higher vocational 2"),
    ("15", "高职三年级", "Higher vocational 3"),
    ("16", "大专及以上", "College or above"),
])

MIGRANT_WORK = _list("migrant_work", "务工状况", "Migrant work", [
    ("1", "乡镇内务工", "Within the township"),
    ("2", "乡镇外县内务工", "Outside the township, within the county"),
    ("3", "县外省内务工", "Outside the county, within the province"),
    ("4", "省外务工", "Outside the province"),
    ("99", "其他", "Other"),
])

POVERTY_STATUS = _list("poverty_status", "脱贫状态", "Poverty status (AAR010)", [
    ("0", "未脱贫", "Not exited"),
    ("1", "已脱贫(享受政策)", "Exited (still receiving support)"),
    ("2", "预脱贫", "Exit proposed"),
    ("3", "返贫", "Returned to poverty"),
    ("4", "已脱贫(不再享受政策)", "Exited (no longer receiving support)"),
])
#: 脱贫状态 codes that count as "registered poor, not yet exited" (for incidence).
POVERTY_STATUS_NOT_EXITED = frozenset({"0", "2", "3"})

SEX = _list("sex", "性别", "Sex", [
    ("1", "男", "Male"),
    ("2", "女", "Female"),
], version="GB/T 2261.1-2003", valid_from=date(2003, 1, 1))

RELATION = _list("relation", "与户主关系", "Relation to head", [
    ("01", "户主", "Head of household"),
    ("02", "配偶", "Spouse"),
    ("03", "之子", "Son"),
    ("04", "之女", "Daughter"),
    ("05", "之儿媳", "Daughter-in-law"),
    ("06", "之女婿", "Son-in-law"),
    ("07", "之孙子", "Grandson"),
    ("08", "之孙女", "Granddaughter"),
    ("09", "之外孙子", "Daughter's son"),
    ("10", "之外孙女", "Daughter's daughter"),
    ("11", "之父母", "Parent"),
    ("12", "之岳父母", "Parent-in-law (wife's)"),
    ("13", "之公婆", "Parent-in-law (husband's)"),
    ("14", "之祖父母", "Grandparent"),
    ("15", "之兄弟姐妹", "Sibling"),
    ("99", "其他", "Other"),
], note="Labels of the registration form's relation column; two-digit numbering is fupin's (unconfirmed).")
HEAD_RELATION = "01"

ETHNICITY = _list("ethnicity", "民族", "Ethnicity", [
    ("01", "汉族", "Han"), ("02", "蒙古族", "Mongol"), ("03", "回族", "Hui"), ("04", "藏族", "Tibetan"),
    ("05", "维吾尔族", "Uyghur"), ("06", "苗族", "Miao"), ("07", "彝族", "Yi"), ("08", "壮族", "Zhuang"),
    ("09", "布依族", "Buyei"), ("10", "朝鲜族", "Korean"), ("11", "满族", "Manchu"), ("12", "侗族", "Dong"),
    ("13", "瑶族", "Yao"), ("14", "白族", "Bai"), ("15", "土家族", "Tujia"), ("16", "哈尼族", "Hani"),
    ("17", "哈萨克族", "Kazakh"), ("18", "傣族", "Dai"), ("19", "黎族", "Li"), ("20", "傈僳族", "Lisu"),
    ("21", "佤族", "Va"), ("22", "畲族", "She"), ("23", "高山族", "Gaoshan"), ("24", "拉祜族", "Lahu"),
    ("25", "水族", "Sui"), ("26", "东乡族", "Dongxiang"), ("27", "纳西族", "Naxi"), ("28", "景颇族", "Jingpo"),
    ("29", "柯尔克孜族", "Kyrgyz"), ("30", "土族", "Tu"), ("31", "达斡尔族", "Daur"), ("32", "仫佬族", "Mulao"),
    ("33", "羌族", "Qiang"), ("34", "布朗族", "Blang"), ("35", "撒拉族", "Salar"), ("36", "毛南族", "Maonan"),
    ("37", "仡佬族", "Gelao"), ("38", "锡伯族", "Xibe"), ("39", "阿昌族", "Achang"), ("40", "普米族", "Pumi"),
    ("41", "塔吉克族", "Tajik"), ("42", "怒族", "Nu"), ("43", "乌孜别克族", "Uzbek"), ("44", "俄罗斯族", "Russian"),
    ("45", "鄂温克族", "Evenki"), ("46", "德昂族", "De'ang"), ("47", "保安族", "Bonan"), ("48", "裕固族", "Yugur"),
    ("49", "京族", "Gin"), ("50", "塔塔尔族", "Tatar"), ("51", "独龙族", "Derung"), ("52", "鄂伦春族", "Oroqen"),
    ("53", "赫哲族", "Hezhen"), ("54", "门巴族", "Monpa"), ("55", "珞巴族", "Lhoba"), ("56", "基诺族", "Jino"),
    ("97", "其他未识别民族", "Other unidentified"), ("98", "外国血统中国籍人士", "Foreign origin"),
], version="GB/T 3304-1991", valid_from=date(1991, 1, 1))

ROAD_TYPE = _list("road_type", "入户路类型", "Road to the house", [
    ("1", "泥土路", "Dirt"),
    ("2", "砂石路", "Gravel"),
    ("3", "水泥路", "Concrete"),
    ("4", "沥青路", "Asphalt"),
    ("9", "其他", "Other"),
], note="Numbering is fupin's (unconfirmed).")

FUEL_TYPE = _list("fuel_type", "主要燃料类型", "Main cooking fuel", [
    ("1", "柴草", "Firewood and straw"),
    ("2", "干畜粪", "Dried dung"),
    ("3", "煤炭", "Coal"),
    ("4", "清洁能源", "Clean energy (gas, electricity, biogas)"),
    ("9", "其他", "Other"),
], note="Numbering is fupin's (unconfirmed).")

DILAPIDATED_GRADE = _list("dilapidated_grade", "危房等级", "Dilapidated-housing grade", [
    ("", "非危房", "Not dilapidated"),
    ("C", "C级危房", "Grade C (partly unsafe)"),
    ("D", "D级危房", "Grade D (unsafe as a whole)"),
])

HOUSEHOLD_LEAVE_REASON = _list("household_leave_reason", "户注销原因", "Why a household left the registry", [
    ("removed", "识别不准清退", "Wrongly identified, removed (清退)"),
    ("extinct", "整户消亡", "Household no longer exists"),
    ("moved", "整户迁出", "Moved away"),
    ("merged", "并户", "Merged into another household"),
    ("entry_error", "录入错误", "Data-entry error"),
])

MEMBER_LEAVE_REASON = _list("member_leave_reason", "成员减少原因", "Why a member left the household", [
    ("death", "死亡", "Death"),
    ("marriage_out", "婚出", "Married out"),
    ("moved_out", "迁出", "Moved out"),
    ("imprisoned", "服刑", "Imprisoned"),
    ("split", "分户", "Household split"),
    ("entry_error", "录入错误", "Data-entry error"),
    ("other", "其他", "Other"),
])

ALL_LISTS: dict[str, CodeList] = {
    cl.id: cl
    for cl in (
        POVERTY_CAUSE, IDENTIFICATION_STANDARD, HOUSEHOLD_CATEGORY_2014, HOUSEHOLD_CATEGORY_2016,
        LABOUR_SKILL, HEALTH, EDUCATION, SCHOOLING, MIGRANT_WORK, POVERTY_STATUS, SEX, RELATION,
        ETHNICITY, ROAD_TYPE, FUEL_TYPE, DILAPIDATED_GRADE, HOUSEHOLD_LEAVE_REASON, MEMBER_LEAVE_REASON,
    )
}
