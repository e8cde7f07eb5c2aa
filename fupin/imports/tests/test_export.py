"""The roster export: the import's columns, scoped, IDs masked unless the role may see them."""

from __future__ import annotations

import io

import fastexcel
import polars as pl
import pytest

from fupin.imports import roster
from fupin.imports.pipelines.export_roster import export_roster
from fupin.policy.idnumber import mask_id_number
from fupin.registry.models import Member
from fupin.testing import MINGXI, NINGHUA, first_village

pytestmark = pytest.mark.django_db
CITY = "350400000000"


def read_csv(data: bytes) -> pl.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")
    return pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)


def test_system_export_has_the_roster_columns_labels_and_full_ids(make_household):
    household = make_household(members=2, other_cause_1="2", other_cause_2="9", dilapidated_grade="D")
    frame = read_csv(export_roster(None, MINGXI, "csv"))
    assert frame.columns == roster.HEADERS
    assert frame.height == 2
    head = frame.row(0, named=True)
    assert head["户编号"] == household.household_number
    assert head["行政区划代码"] == household.village_code
    assert (head["县"], head["市"]) == ("明溪县", "三明市")
    assert (head["主要致贫原因"], head["其他致贫原因"], head["危房户"]) == ("因病", "因残、缺资金", "D")
    assert (head["与户主关系"], head["贫困户属性"], head["属性版本"]) == ("户主", "一般贫困户", "2016")
    assert head["年人均纯收入"] == str(household.income_per_capita)
    ids = sorted(Member.objects.filter(household=household).values_list("id_number", flat=True))
    assert sorted(frame["证件号码"].to_list()) == ids


def test_city_viewer_gets_masked_ids_and_accounts_and_only_their_scope(make_household, make_user):
    mine = make_household(first_village(MINGXI), members=2, bank_account="6228480012345678")
    make_household(first_village(NINGHUA), members=3, bank_account="62170012345")
    viewer = make_user("city", CITY)
    frame = read_csv(export_roster(viewer, CITY, "csv"))
    assert frame.height == 5
    expected = sorted(mask_id_number(i) for i in Member.objects.values_list("id_number", flat=True))
    assert sorted(frame["证件号码"].to_list()) == expected
    # the bank account as the household page shows it to this user: the last four only
    assert set(frame["银行账号"].to_list()) == {"*******2345", "************5678"}
    officer = make_user("county", MINGXI)
    own = read_csv(export_roster(officer, CITY, "csv"))  # the county officer asks for the whole city
    assert own["户编号"].unique().to_list() == [mine.household_number]
    assert sorted(own["证件号码"].to_list()) == sorted(mine.members.values_list("id_number", flat=True))
    assert own["银行账号"].unique().to_list() == ["6228480012345678"]


def test_user_without_view_permission_or_left_records_export_nothing(make_household, make_user):
    make_household(members=2)
    outsider = make_user("county", NINGHUA)
    assert read_csv(export_roster(outsider, MINGXI, "csv")).height == 0


def test_xlsx_export_reads_back_as_strings(make_household):
    make_household(members=3)
    sheet = fastexcel.read_excel(export_roster(None, MINGXI, "xlsx")).load_sheet(0, dtypes="string").to_polars()
    assert sheet.columns == roster.HEADERS
    assert sheet.height == 3
    assert all(len(v) == 18 for v in sheet["证件号码"].to_list())


def test_xlsx_person_roster_offers_the_templates_drop_downs_and_prompts(make_household):
    """The exported person roster is the file a village corrects and imports again: it carries the
    template's 填写提示与下拉列表 (the household roster, export only, does not)."""
    from fupin.core.tests.xlsx_help import workbook_help
    from fupin.imports.pipelines.registry_frames import villages_frame
    from fupin.imports.roster_help import place_choices, roster_helps

    make_household(members=2)
    got = workbook_help(export_roster(None, MINGXI, "xlsx"))
    assert got.hidden_sheets == ["代码表"] and got.sheet_names[0] == "花名册"
    helps = roster_helps(places=place_choices(villages_frame(None, MINGXI)))
    assert {k: v.prompt for k, v in got.by_header.items()} == {h.column: h.prompt for h in helps}
    assert got.by_header["健康状况"].values == ("健康", "长期慢性病", "患有大病", "残疾")
    assert got.by_header["享受低保"].values == ("是", "否")
    # the region's 乡镇 and 行政村 names: Mingxi's townships, in code order
    from fupin.regions.models import Region

    townships = Region.objects.filter(level=4, code__startswith=MINGXI[:6]).order_by("code")
    assert got.by_header["乡镇"].values == tuple(townships.values_list("name", flat=True))


def test_a_masked_export_imported_again_changes_nothing_and_says_why(make_household, make_user, settings, tmp_path):
    """A city viewer's export (ID numbers and bank accounts masked) brought back by the system: every
    row rejected with the masked reason, no household touched — never an account replaced by stars."""
    from fupin.core.models import ChangeRecord
    from fupin.imports import services

    settings.DATA_DIR = tmp_path
    household = make_household(first_village(MINGXI), members=2, bank_account="6228480012345678")
    masked = export_roster(make_user("city", CITY), CITY, "csv")
    path = tmp_path / "masked.csv"
    path.write_bytes(masked)
    batch = services.land_file(actor=None, file_name=path.name, path=path, region_code=CITY, source="test")
    batch = services.validate_batch(batch.pk)
    assert (batch.status, batch.rows_read, batch.rows_imported, batch.rows_rejected) == ("review", 2, 0, 2)
    reasons = {(r.column, r.reason.split(" / ")[0]) for r in batch.rejections.all()}
    assert ("证件号码", "证件号码已脱敏(含*号),不能使用;请用有权查看完整号码的账号导出") in reasons
    assert ("银行账号", "银行账号已脱敏(含*号),不能导入;请用有权查看完整号码的账号导出") in reasons
    services.merge_batch(actor=None, batch_id=batch.pk)
    household.refresh_from_db()
    assert household.bank_account == "6228480012345678"
    assert not ChangeRecord.objects.filter(household_id=household.pk, source="import").exists()


def test_the_household_roster_has_one_row_per_household_with_its_head_and_size(make_household, make_user):
    from fupin.imports.pipelines.export_roster import household_roster

    first = make_household(first_village(MINGXI), members=3, phone="13900000001", bank_account="6228480012345678")
    second = make_household(first_village(MINGXI, 2), members=1)
    frame = read_csv(export_roster(None, MINGXI, "csv", "households"))
    assert frame.columns == roster.HOUSEHOLD_ROSTER_HEADERS
    assert frame.height == 2
    by_number = {r["户编号"]: r for r in frame.iter_rows(named=True)}
    for household in (first, second):
        head = household.members.get(relation="01")
        row = by_number[household.household_number]
        assert (row["户主姓名"], row["户主证件号码"]) == (head.name, head.id_number)
        assert row["家庭人口"] == str(household.members.filter(status="active").count())
        assert row["年人均纯收入"] == str(household.income_per_capita)
    assert by_number[first.household_number]["联系电话"] == "13900000001"
    # the household columns are the person roster's, row for row
    persons = read_csv(export_roster(None, MINGXI, "csv"))
    shared = [h for h in roster.HOUSEHOLD_ROSTER_HEADERS if h in persons.columns]
    assert household_roster(persons).select(shared).equals(persons.unique("户编号", keep="first",
                                                                           maintain_order=True).select(shared))
    # masked for a viewer as the person roster is; xlsx the same as CSV
    viewer = read_csv(export_roster(make_user("city", CITY), MINGXI, "csv", "households"))
    assert sorted(viewer["户主证件号码"].to_list()) == sorted(
        mask_id_number(h.members.get(relation="01").id_number) for h in (first, second))
    assert "************5678" in viewer["银行账号"].to_list()
    sheet = fastexcel.read_excel(export_roster(None, MINGXI, "xlsx", "households"))
    assert sheet.sheet_names == ["户花名册"]
    as_text = sheet.load_sheet(0, dtypes="string").to_polars().with_columns(pl.all().fill_null(""))
    assert as_text.equals(frame.with_columns(pl.all().fill_null("")))


def test_a_household_roster_given_to_the_import_is_refused_with_advice(make_household, settings, tmp_path):
    from fupin.imports import services

    settings.DATA_DIR = tmp_path
    make_household(first_village(MINGXI), members=2)
    path = tmp_path / "户花名册.csv"
    path.write_bytes(export_roster(None, MINGXI, "csv", "households"))
    batch = services.land_file(actor=None, file_name=path.name, path=path, region_code=CITY, source="test")
    batch = services.validate_batch(batch.pk)
    assert batch.status == "failed"
    assert "这是户花名册(每户一行),导入需要人员花名册(每人一行" in batch.error


def test_unknown_kind_or_format_is_refused():
    with pytest.raises(ValueError, match="kind"):
        export_roster(None, MINGXI, "csv", "villages")
    with pytest.raises(ValueError, match="format"):
        export_roster(None, MINGXI, "pdf")


def test_a_filtered_export_takes_only_the_households_the_filter_names(make_household, make_user):
    """导出筛选: 脱贫状态, 识别年度 and 脱贫年度 cut the roster down, for both rosters and every format;
    the scope and the masking still apply."""
    from fupin.imports.roster_filter import parse_filter

    poor_2014 = make_household(first_village(MINGXI), members=2)  # 未脱贫, identified 2014
    back_2015 = make_household(first_village(MINGXI, 2), members=3, poverty_status="3", identification_year=2015)
    out_2019 = make_household(first_village(MINGXI), members=1, poverty_status="1", identification_year=2015,
                              exit_year=2019)
    out_2020 = make_household(first_village(MINGXI), members=2, poverty_status="4", identification_year=2016,
                              exit_year=2020)
    ninghua = make_household(first_village(NINGHUA), members=2, poverty_status="3", identification_year=2015)

    def households(region: str, kind: str = "persons", user=None, **given: str) -> list[str]:
        frame = read_csv(export_roster(user, region, "csv", kind, parse_filter(**given)))
        return sorted(frame["户编号"].unique().to_list()) if kind == "persons" else sorted(frame["户编号"].to_list())

    def numbers(*chosen) -> list[str]:
        return sorted(h.household_number for h in chosen)

    assert households(MINGXI) == numbers(poor_2014, back_2015, out_2019, out_2020)
    assert households(MINGXI, poverty_status="not-exited") == numbers(poor_2014, back_2015)
    assert households(MINGXI, poverty_status="已脱贫(享受政策),4") == numbers(out_2019, out_2020)
    assert households(MINGXI, identification_year="2015") == numbers(back_2015, out_2019)
    assert households(MINGXI, identification_year="2015-2016") == numbers(back_2015, out_2019, out_2020)
    assert households(MINGXI, exit_year="2019") == numbers(out_2019)  # no exit year: never in a 脱贫年度 filter
    assert households(MINGXI, exit_year="2019-2020", identification_year="2016") == numbers(out_2020)
    assert households(MINGXI, poverty_status="2") == []
    # 年度计划脱贫户: the test households plan to exit in 2016 (fupin.testing.household_data)
    assert households(MINGXI, planned_exit_year="2016") == numbers(poor_2014, back_2015, out_2019, out_2020)
    assert households(MINGXI, planned_exit_year="2017-2020") == []
    assert households(CITY, "households", poverty_status="3") == numbers(back_2015, ninghua)
    # every person of a household taken; none of the others
    persons = read_csv(export_roster(None, MINGXI, "csv", "persons", parse_filter(poverty_status="3")))
    assert persons.height == 3
    # a county officer asking for the city still gets their county only
    officer = make_user("county", MINGXI)
    assert households(CITY, user=officer, poverty_status="3") == numbers(back_2015)
    viewer = make_user("city", CITY)
    masked = read_csv(export_roster(viewer, CITY, "csv", "persons", parse_filter(poverty_status="3")))
    assert masked.height == 5 and all("*" in v for v in masked["证件号码"].to_list())
    sheet = fastexcel.read_excel(export_roster(None, MINGXI, "xlsx", "households", parse_filter(exit_year="2020")))
    assert sheet.load_sheet(0, dtypes="string").to_polars()["户编号"].to_list() == [out_2020.household_number]


def test_a_shortfall_export_takes_the_households_falling_short_on_any_guarantee_named(make_household):
    """两不愁三保障未达标: the households whose guarantee field is false on the registry, any of those
    named; with another filter, both must hold."""
    from fupin.imports.roster_filter import parse_filter

    fine = make_household(first_village(MINGXI), members=2)
    unsafe_house = make_household(first_village(MINGXI), members=3, housing_secure=False)
    no_water = make_household(first_village(MINGXI), members=1, drinking_water_safe=False, poverty_status="1",
                              exit_year=2019)
    both = make_household(first_village(MINGXI, 2), members=2, housing_secure=False, medical_secure=False)

    def households(**given: str) -> list[str]:
        frame = read_csv(export_roster(None, MINGXI, "csv", "households", parse_filter(**given)))
        return sorted(frame["户编号"].to_list())

    def numbers(*chosen) -> list[str]:
        return sorted(h.household_number for h in chosen)

    assert households(shortfall="housing") == numbers(unsafe_house, both)
    assert households(shortfall="饮水安全") == numbers(no_water)
    assert households(shortfall="medical,water") == numbers(no_water, both)
    assert households(shortfall="any") == numbers(unsafe_house, no_water, both)
    assert households(shortfall="any", poverty_status="not-exited") == numbers(unsafe_house, both)
    assert households(shortfall="food,clothing,education") == []
    assert fine.household_number not in households(shortfall="两不愁三保障")
    # 危房户: graded C or D
    grade_d = make_household(first_village(MINGXI), members=1, dilapidated_grade="D")
    grade_c = make_household(first_village(MINGXI), members=1, dilapidated_grade="C", housing_secure=False)
    assert households(dilapidated="D") == numbers(grade_d)
    assert households(dilapidated="是") == numbers(grade_c, grade_d)
    assert households(dilapidated="是", shortfall="housing") == numbers(grade_c)


def test_a_split_xlsx_export_is_the_same_whatever_number_of_parts_is_made_at_once(make_household, monkeypatch):
    """分村导出 in xlsx makes the sheets of several parts in one pass (``PREPARE_ROWS`` rows at a time):
    the files are those made one part at a time, byte for byte."""
    import zipfile

    from fupin.imports.pipelines import export_roster as module

    for i in range(4):
        make_household(first_village(MINGXI, i), members=2 + i, phone=f" 1390000000{i}" if i == 1 else "")

    def members(data: bytes) -> dict[str, bytes]:
        out = {}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                with zipfile.ZipFile(io.BytesIO(archive.read(name))) as book:
                    out |= {f"{name}/{m}": book.read(m) for m in book.namelist()}
        return out

    monkeypatch.setattr(module, "PREPARE_ROWS", 1)
    one_at_a_time = members(export_roster(None, MINGXI, "xlsx", split="village"))
    monkeypatch.setattr(module, "PREPARE_ROWS", 5)
    assert members(export_roster(None, MINGXI, "xlsx", split="village")) == one_at_a_time
    monkeypatch.setattr(module, "PREPARE_ROWS", 10**9)
    assert members(export_roster(None, MINGXI, "xlsx", split="village")) == one_at_a_time
    assert len({name.split("/")[0] for name in one_at_a_time}) == 4


def test_a_split_export_is_a_zip_of_one_roster_per_village_or_township(make_household, make_user):
    """分村/分乡镇导出: one file per place of the region, in code order, each holding only its rows and (xlsx
    person roster) offering only its own places; the filter and masking apply to every part."""
    import zipfile

    from fupin.core.tests.xlsx_help import workbook_help
    from fupin.imports.roster_filter import parse_filter
    from fupin.regions.models import Region

    v1, v2 = first_village(MINGXI), first_village(MINGXI, 2)
    other_township = Region.objects.filter(level=5, code__startswith=MINGXI[:6]).exclude(
        code__startswith=v1[:9]).order_by("code").first().code
    a = make_household(v1, members=2)
    b = make_household(v2, members=3, poverty_status="3", identification_year=2015)
    c = make_household(other_township, members=1)
    make_household(first_village(NINGHUA), members=2)
    names = dict(Region.objects.values_list("code", "name"))

    def parts(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}

    by_village = parts(export_roster(None, MINGXI, "csv", split="village"))
    expected = {v: [h for h in (a, b, c) if h.village_code == v] for v in sorted({v1, v2, other_township})}
    assert list(by_village) == [f"花名册-{v}-{names[v]}.csv" for v in expected]
    for v, households in expected.items():
        frame = read_csv(by_village[f"花名册-{v}-{names[v]}.csv"])
        assert frame.columns == roster.HEADERS
        assert sorted(frame["户编号"].unique().to_list()) == sorted(h.household_number for h in households)
        assert set(frame["行政区划代码"]) == {v}
    # by township, households roster, xlsx: each part's sheet and drop-downs are its own
    by_township = parts(export_roster(None, MINGXI, "xlsx", "households", split="township"))
    townships = sorted({v1[:9] + "000", other_township[:9] + "000"})
    assert list(by_township) == [f"户花名册-{t}-{names[t]}.xlsx" for t in townships]
    first = fastexcel.read_excel(by_township[f"户花名册-{townships[0]}-{names[townships[0]]}.xlsx"])
    assert sorted(first.load_sheet(0, dtypes="string").to_polars()["户编号"].to_list()) == sorted(
        h.household_number for h in (a, b) if h.village_code[:9] + "000" == townships[0])
    persons = parts(export_roster(None, MINGXI, "xlsx", split="township"))
    help_ = workbook_help(persons[f"花名册-{townships[0]}-{names[townships[0]]}.xlsx"])
    assert help_.by_header["乡镇"].values == (names[townships[0]],)
    assert names[v1] in help_.by_header["行政村"].values
    assert names[other_township] not in help_.by_header["行政村"].values
    # filtered and masked, part by part; nothing to export: an empty archive
    viewer = make_user("city", CITY)
    filtered = parts(export_roster(viewer, CITY, "csv", split="village", roster_filter=parse_filter(poverty_status="3")))
    assert list(filtered) == [f"花名册-{v2}-{names[v2]}.csv"]
    only = read_csv(filtered[f"花名册-{v2}-{names[v2]}.csv"])
    assert only.height == 3 and all("*" in n for n in only["证件号码"].to_list())
    assert parts(export_roster(None, MINGXI, "csv", split="village", roster_filter=parse_filter(poverty_status="2"))) == {}
    with pytest.raises(ValueError, match="split"):
        export_roster(None, MINGXI, "csv", split="county")


def test_a_filter_by_cause_and_category_reads_them_as_the_household_list_does(make_household):
    """致贫原因: main or other cause; 贫困户属性: the code of the household's own form version."""
    from fupin.imports.roster_filter import parse_filter

    ill = make_household(members=1)  # main cause 1 因病, category 2016:1
    other = make_household(members=1, main_cause="3", other_cause_1="2")
    dibao_2016 = make_household(members=1, main_cause="4", category="2")
    dibao_2014 = make_household(members=1, main_cause="4", category="2", category_form_version="2014")
    wubao_2014 = make_household(members=1, main_cause="4", category="4", category_form_version="2014")

    def households(**given: str) -> list[str]:
        frame = read_csv(export_roster(None, MINGXI, "csv", "households", parse_filter(**given)))
        return sorted(frame["户编号"].to_list())

    def numbers(*chosen) -> list[str]:
        return sorted(h.household_number for h in chosen)

    assert households(causes="因残") == numbers(other)  # an other cause counts
    assert households(causes="1,2") == numbers(ill, other)
    assert households(categories="低保贫困户") == numbers(dibao_2016, dibao_2014)  # on both forms
    assert households(categories="2016:2") == numbers(dibao_2016)
    assert households(categories="2014:4,2016:1", causes="4") == numbers(wubao_2014)


def test_a_person_filter_writes_the_members_named_and_takes_their_households_whole(make_household, make_user):
    """人员筛选: the person roster holds only the members named (by coded column and age on the
    filter's day); the household roster takes each household with at least one of them, written
    whole (家庭人口 counts every member); household parts and the user's scope still apply."""
    from datetime import date

    from fupin.imports.roster_filter import parse_filter
    from fupin.policy.idnumber import make_id_number

    on = date(2026, 6, 1)

    def person(relation: str, born: date, seq: int, **columns: str) -> dict:
        return {"relation": relation, "id_number": make_id_number("350421", born, seq), **columns}

    farmer = make_household(first_village(MINGXI), members=3, member_overrides=[
        person("01", date(1966, 6, 1), 11, labour_skill="1", migrant_work=""),  # 60 on the day
        person("03", date(2010, 6, 2), 12, schooling="6", education="3", labour_skill="4"),  # 15: 九年级
        person("03", date(2010, 6, 1), 13, schooling="7", health="3", labour_skill="2", migrant_work="4")])  # 16
    away = make_household(first_village(MINGXI, 1), members=2, poverty_status="1", exit_year=2019, member_overrides=[
        person("01", date(1965, 6, 1), 21, labour_skill="1", migrant_work="3"),  # 61
        person("02", date(1966, 6, 2), 22, health="2", labour_skill="3", ethnicity="22")])  # 59, 畲族
    elsewhere = make_household(first_village(NINGHUA), members=1, member_overrides=[
        person("01", date(1990, 1, 1), 31, schooling="1", labour_skill="1")])

    def persons(region: str = MINGXI, user=None, **given: str) -> list[str]:
        frame = read_csv(export_roster(user, region, "csv", "persons", parse_filter(on=on, **given)))
        return sorted(frame["证件号码"].to_list())

    def households(region: str = MINGXI, **given: str) -> dict[str, str]:
        frame = read_csv(export_roster(None, region, "csv", "households", parse_filter(on=on, **given)))
        return dict(zip(frame["户编号"].to_list(), frame[roster.SIZE_HEADER].to_list(), strict=True))

    ids = {m.id_number[14:17]: m.id_number for m in Member.objects.all()}
    assert persons(schooling="在校生") == sorted([ids["012"], ids["013"]])
    assert persons(age="16-60") == sorted([ids["011"], ids["013"], ids["022"]])
    assert persons(age="60以上") == sorted([ids["011"], ids["021"]])
    assert persons(age="15") == [ids["012"]]
    assert persons(labour_skill="劳动力", migrant_work="未务工") == [ids["011"]]
    assert persons(labour_skill="劳动力", migrant_work="务工", age="16-60") == [ids["013"]]
    assert persons(health="长期慢性病,患有大病") == sorted([ids["013"], ids["022"]])
    assert persons(health="患有大病", poverty_status="1") == []  # both parts must hold
    assert persons(health="长期慢性病", poverty_status="1") == [ids["022"]]
    assert persons("350400000000", labour_skill="劳动力", age="30-40") == [ids["031"]]
    # 性别 from the ID number (an even sequence: female); 民族
    assert persons(sex="女") == sorted([ids["012"], ids["022"]])
    assert persons(ethnicity="少数民族") == [ids["022"]]
    assert persons(sex="男", ethnicity="汉族", age="60以上") == sorted([ids["011"], ids["021"]])
    # the household roster: households with one such member, whole
    assert households(schooling="在校生") == {farmer.household_number: "3"}
    assert households(health="2,3") == {farmer.household_number: "3", away.household_number: "2"}
    assert households(age="60以上", poverty_status="0") == {farmer.household_number: "3"}
    assert households(education="大专及以上") == {}
    # a county officer asking for the city gets their county's members only; a city viewer gets them
    # masked
    officer = make_user("county", MINGXI)
    assert persons("350400000000", officer, labour_skill="劳动力") == sorted(ids[s] for s in ("011", "013", "021"))
    viewer = make_user("city", "350400000000")
    masked = persons("350400000000", viewer, labour_skill="劳动力")
    assert masked == sorted(mask_id_number(ids[s]) for s in ("011", "013", "021", "031"))
    assert elsewhere.household_number not in households("350400000000", schooling="在校生")
