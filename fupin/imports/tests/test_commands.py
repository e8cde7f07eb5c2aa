"""``fupin import`` and ``fupin export``."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fupin.core.models import ChangeRecord
from fupin.core.xlsx_sheet import xlsx_bytes
from fupin.imports import roster, services
from fupin.imports.models import ExportRecord, ImportBatch
from fupin.imports.pipelines.change_list import KINDS
from fupin.imports.pipelines.export_roster import export_roster
from fupin.policy.idnumber import mask_id_number
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _roster_file(tmp_path: Path, make_household, *, bad: bool = True) -> tuple[Path, list[str]]:
    """An exported roster of two households turned into new ones (numbers changed), one bad row."""
    households = [make_household(members=3), make_household(members=2)]
    frame = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv")[3:]), infer_schema=False)
    numbers = [h.household_number for h in households]
    for h in households:
        Member.objects.filter(household=h).update(status="left")
        Household.objects.filter(pk=h.pk).update(status="left", household_number=f"old-{h.pk}")
    if bad:
        frame = frame.with_row_index("i").with_columns(
            pl.when(pl.col("i") == 4).then(pl.lit("因穷")).otherwise(pl.col("主要致贫原因")).alias("主要致贫原因"),
        ).drop("i")
    path = tmp_path / "roster.csv"
    frame.write_csv(path)
    return path, numbers


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_prints_the_summary_line_and_merges(tmp_path, make_household):
    path, numbers = _roster_file(tmp_path, make_household)
    output = _call(str(path))
    # Row 6 (the 5th person) is bad: the second household (rows 5–6) is rejected whole.
    assert output.splitlines()[-1] == "read=5 imported=3 rejected=2"
    assert Household.objects.filter(household_number=numbers[0], status="active").exists()
    assert not Household.objects.filter(household_number=numbers[1]).exists()
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.source, batch.actor_name) == ("merged", "cli", "system")


def test_dry_run_writes_nothing_and_report_is_readable(tmp_path, make_household):
    path, _ = _roster_file(tmp_path, make_household)
    households, records = Household.objects.count(), ChangeRecord.objects.count()
    report = tmp_path / "errors.xlsx"
    output = _call(str(path), "--dry-run", "--report", str(report))
    assert output.splitlines()[-1] == "read=5 imported=3 rejected=2"
    assert "dry run" in output
    assert (Household.objects.count(), ChangeRecord.objects.count(), ImportBatch.objects.count()) == (
        households, records, 0)
    sheet = fastexcel.read_excel(report.read_bytes()).load_sheet(0).to_polars()
    assert sorted({int(r) for r in sheet["行号 row"].to_list()}) == [5, 6]
    assert "主要致贫原因" in sheet["列 column"].to_list()


def _re_import_file(tmp_path: Path, make_household) -> tuple[Path, Member, Household]:
    """Two registered households exported, then a newer file of them: the first without its third member
    (年人均纯收入 blank: the size changes), the second with a new 联系电话."""
    first, second = make_household(members=3), make_household(members=2)
    gone = first.members.order_by("pk")[2]
    frame = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv")[3:]), infer_schema=False)
    frame = frame.filter(pl.col("证件号码") != gone.id_number).with_columns(
        pl.when(pl.col("户编号") == first.household_number).then(pl.lit("")).otherwise(pl.col("年人均纯收入"))
        .alias("年人均纯收入"),
        pl.when(pl.col("户编号") == second.household_number).then(pl.lit("13900000000")).otherwise(pl.col("联系电话"))
        .alias("联系电话"))
    path = tmp_path / "newer.csv"
    frame.write_csv(path)
    return path, gone, second


def _sheet(path: Path) -> pl.DataFrame:
    return fastexcel.read_excel(str(path)).load_sheet(0, dtypes="string").to_polars()


def _left_line(output: str) -> str:
    (line,) = [line for line in output.splitlines() if "left=" in line]
    return line


def test_dry_run_writes_the_list_of_changes_and_prints_the_persons_leaving(tmp_path, make_household):
    path, gone, second = _re_import_file(tmp_path, make_household)
    out = tmp_path / "changes.xlsx"
    output = _call(str(path), "--dry-run", "--changes", str(out))
    assert output.splitlines()[-1] == "read=4 imported=4 rejected=0"
    assert _left_line(output) == ("成员减少 1 人(文件中该户无此人,入库后将注销)/ persons leaving (not in their household "
                                  "in the file; the merge marks them as left): left=1")
    assert ImportBatch.objects.count() == 0
    assert Member.objects.get(pk=gone.pk).status == "active"  # nothing written

    sheet = _sheet(out)
    assert sheet.columns == list(services.CHANGE_HEADERS.values())
    left = sheet.filter(pl.col("变更类型 change") == KINDS["member_left"])
    assert left.select("户编号 household", "姓名 name", "证件号码 ID number", "项目 field").rows() == [
        (gone.household.household_number, gone.name, gone.id_number, "与户主关系")]
    phone = sheet.filter(pl.col("户编号 household") == second.household_number)
    assert phone.select("变更类型 change", "项目 field", "新值 new value").rows() == [
        (KINDS["household"], "联系电话", "13900000000")]
    size = sheet.filter(pl.col("项目 field") == "家庭人口")
    assert size.select("原值 old value", "新值 new value").rows() == [("3", "2")]

    record = ExportRecord.objects.get()
    assert (record.kind, record.channel, record.format, record.file_name, record.rows, record.full_numbers,
            record.actor_name) == ("changes", "cli", "xlsx", "changes.xlsx", sheet.height, True, "system")
    assert record.file_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record.region_code == "350000000000"  # the one province loaded: the system's default region


def test_dry_run_changes_are_masked_for_a_user_without_full_numbers(tmp_path, make_household, make_user, monkeypatch):
    from fupin.accounts.models import User

    path, gone, _second = _re_import_file(tmp_path, make_household)
    make_user("county", MINGXI, username="mingxi")
    monkeypatch.setattr(User, "may_see_full_id", property(lambda self: False))
    out = tmp_path / "masked.xlsx"
    output = _call(str(path), "--dry-run", "--changes", str(out), "--as", "mingxi")
    assert "left=1" in _left_line(output)
    numbers = _sheet(out)["证件号码 ID number"].to_list()
    assert mask_id_number(gone.id_number) in numbers and gone.id_number not in numbers
    record = ExportRecord.objects.get()
    assert (record.kind, record.region_code, record.full_numbers, record.actor_name) == (
        "changes", MINGXI, False, "mingxi")


def test_import_writes_the_list_of_changes_it_merged(tmp_path, make_household):
    path, gone, second = _re_import_file(tmp_path, make_household)
    out = tmp_path / "changes.xlsx"
    # 核对减员: without --allow-leaving the command stops before the merge, the batch left at review.
    with pytest.raises(CommandError, match=r"--allow-leaving.*/imports/\d+/leaving/ 填写减员原因"):
        _call(str(path), "--changes", str(out))
    stopped = ImportBatch.objects.get()
    assert (stopped.status, stopped.persons_left) == ("review", 1)
    assert Member.objects.get(pk=gone.pk).status == "active"
    # the list to check them in is written all the same, as reviewed
    assert _sheet(out).filter(pl.col("变更类型 change") == KINDS["member_left"])["证件号码 ID number"].to_list() == [
        gone.id_number]
    assert ExportRecord.objects.get().kind == "changes"
    out.unlink()
    stopped.delete()
    output = _call(str(path), "--changes", str(out), "--comment", "更新", "--allow-leaving")
    assert output.splitlines()[-1] == "read=4 imported=4 rejected=0"
    assert _left_line(output) == ("成员减少 1 人(文件中该户无此人,已注销)/ persons leaving (not in their household in "
                                  "the file; marked as left): left=1")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.persons_left) == ("merged", 1)
    assert Member.objects.get(pk=gone.pk).status == "left"
    assert Household.objects.get(pk=second.pk).phone == "13900000000"

    sheet = _sheet(out)
    assert sheet.height == sum(s["rows"] for s in batch.changes_by_field)
    assert sheet.filter(pl.col("变更类型 change") == KINDS["member_left"])["证件号码 ID number"].to_list() == [
        gone.id_number]
    expected, _rows = services.changes_xlsx(batch, full=True)
    assert _sheet(out).rows() == fastexcel.read_excel(expected).load_sheet(0, dtypes="string").to_polars().rows()
    assert ExportRecord.objects.count() == 2  # the stopped run's list, and this one's
    record = ExportRecord.objects.latest("pk")
    assert (record.kind, record.channel, record.region_code, record.rows, record.file_name, record.full_numbers) == (
        "changes", "cli", batch.region_code, sheet.height, "changes.xlsx", True)
    assert record.file_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_a_son_split_off_into_his_own_household_leaves_for_分户(tmp_path, make_household):
    """A newer roster lists a registered son as the head of a household of his own (分户): the command
    says how many of the persons leaving are in another household of the file; the merge writes reason
    ``split``, and the list of changes says where he went."""
    first = make_household(members=3)
    son = first.members.order_by("pk")[2]
    frame = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv")[3:]), infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("证件号码") == son.id_number).then(pl.lit("35042110000199003")).otherwise(pl.col("户编号"))
        .alias("户编号"),
        pl.when(pl.col("证件号码") == son.id_number).then(pl.lit("户主")).otherwise(pl.col("与户主关系"))
        .alias("与户主关系"),
        pl.lit("").alias("年人均纯收入"))
    path = tmp_path / "分户.csv"
    frame.write_csv(path)
    out = tmp_path / "changes.xlsx"
    output = _call(str(path), "--allow-leaving", "--changes", str(out))
    assert output.splitlines()[-1] == "read=3 imported=3 rejected=0"
    assert "left=1" in _left_line(output)
    assert ("其中 1 人在文件的另一户中(分户或迁至他户)/ of them, listed in another household of the file (split off or "
            "moved): moved=1") in output.splitlines()
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.persons_left, batch.persons_moved, batch.households_new) == ("merged", 1, 1, 1)
    old = Member.objects.get(pk=son.pk)
    assert (old.status, old.left_reason) == ("left", "split")
    new = Member.objects.get(id_number=son.id_number, status="active")
    assert (new.household.household_number, new.relation, new.household.size) == ("35042110000199003", "01", 1)
    left = _sheet(out).filter(pl.col("变更类型 change") == KINDS["member_left"])
    assert left.select("证件号码 ID number", "原值 old value", "新值 new value").rows() == [
        (son.id_number, "之子", "分户至户 35042110000199003")]


def test_a_move_to_another_registered_household_and_a_move_out_of_a_rejected_one(tmp_path, make_household):
    """迁出 between two registered households of the file: reason ``moved_out``. A person whose own
    household is rejected (a bad row) cannot be taken into another: that household is rejected too
    (一人一户 against the registry, decided once the households that stay are known), and nothing of
    either is written."""
    first, second, third, fourth = (make_household(members=m) for m in (3, 2, 2, 2))
    mover = first.members.order_by("pk")[2]
    stuck = third.members.order_by("pk")[1]
    frame = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv")[3:]), infer_schema=False)
    household_cols = [c.header for c in roster.COLUMNS if c.level in (roster.HOUSEHOLD, roster.LOCATION)]
    like = {n: frame.filter(pl.col("户编号") == n).row(0, named=True) for n in (second.household_number,
                                                                             fourth.household_number)}

    def into(frame: pl.DataFrame, person: str, household: str) -> pl.DataFrame:
        return frame.with_columns(pl.when(pl.col("证件号码") == person).then(pl.lit(like[household][c]))
                                  .otherwise(pl.col(c)).alias(c) for c in household_cols)

    frame = into(into(frame, mover.id_number, second.household_number), stuck.id_number, fourth.household_number)
    frame = frame.with_columns(pl.lit("").alias("年人均纯收入"), pl.when(
        (pl.col("户编号") == third.household_number) & (pl.col("与户主关系") == "户主")).then(pl.lit("因穷"))
        .otherwise(pl.col("主要致贫原因")).alias("主要致贫原因"))
    path = tmp_path / "moves.csv"
    frame.write_csv(path)
    before = list(Member.objects.filter(household__in=[third, fourth]).order_by("pk").values())
    output = _call(str(path), "--allow-leaving")
    assert output.splitlines()[-1] == "read=9 imported=5 rejected=4"
    batch = ImportBatch.objects.get()
    assert (batch.persons_left, batch.persons_moved) == (1, 1)
    old = Member.objects.get(pk=mover.pk)
    assert (old.status, old.left_reason) == ("left", "moved_out")
    assert f"迁至户 {second.household_number}" in old.left_comment
    assert Member.objects.get(id_number=mover.id_number, status="active").household_id == second.pk
    assert list(Member.objects.filter(household__in=[third, fourth]).order_by("pk").values()) == before
    reasons = {r.row_number: r.reason for r in batch.rejections.all()}
    moved_row = frame.with_row_index("r", 2).filter(pl.col("证件号码") == stuck.id_number)["r"].item()
    assert reasons[moved_row].startswith(f"证件号码已在户编号 {third.household_number} 登记,一人不能在两户登记")


def test_no_left_line_when_nobody_leaves(tmp_path, make_household):
    path, _ = _roster_file(tmp_path, make_household, bad=False)
    output = _call(str(path), "--dry-run")
    assert "left=" not in output and output.splitlines()[-1] == "read=5 imported=5 rejected=0"


def test_import_as_a_user_rejects_rows_outside_their_region(tmp_path, make_household, make_user):
    path, numbers = _roster_file(tmp_path, make_household, bad=False)
    make_user("county", NINGHUA, username="ninghua")
    output = _call(str(path), "--as", "ninghua")
    assert output.splitlines()[-1] == "read=5 imported=0 rejected=5"
    assert not Household.objects.filter(household_number__in=numbers).exists()
    with pytest.raises(CommandError):
        _call(str(path), "--as", "nobody")


def test_import_limited_to_a_village(tmp_path, make_household):
    path, _ = _roster_file(tmp_path, make_household, bad=False)
    output = _call(str(path), "--village", first_village(MINGXI, 3), "--dry-run")
    assert output.splitlines()[-1] == "read=5 imported=0 rejected=5"


def test_an_empty_or_oversized_file_is_refused_on_the_command_line(tmp_path, make_household, settings):
    from fupin.imports.models import ImportBatch

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="文件为空"):
        _call(str(empty), "--region", MINGXI)
    path, _ = _roster_file(tmp_path, make_household, bad=False)
    settings.FUPIN_IMPORT_MAX_BYTES = path.stat().st_size - 1
    with pytest.raises(CommandError, match="文件超过"):
        _call(str(path), "--region", MINGXI)
    assert not ImportBatch.objects.exists()


def test_export_command_writes_csv_and_xlsx(tmp_path, make_household, make_user):
    make_household(members=2)
    out = tmp_path / "r.csv"
    call_command("export", str(out), "--region", MINGXI, "--format", "csv", stdout=io.StringIO())
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False).height == 2
    make_user("city", "350400000000", username="city")
    xlsx = tmp_path / "r.xlsx"
    call_command("export", str(xlsx), "--region", MINGXI, "--as", "city", stdout=io.StringIO())
    sheet = fastexcel.read_excel(xlsx.read_bytes()).load_sheet(0, dtypes="string").to_polars()
    assert all("*" in v for v in sheet["证件号码"].to_list())
    households = tmp_path / "h.csv"
    call_command("export", str(households), "--region", MINGXI, "--kind", "households", stdout=io.StringIO())
    frame = pl.read_csv(io.BytesIO(households.read_bytes()[3:]), infer_schema=False)
    assert (frame.height, frame.get_column("家庭人口").to_list()) == (1, ["2"])


def test_export_command_filters_households_and_records_the_filter(tmp_path, make_household):
    """导出筛选 from the command: --poverty-status, --identified, --exited; kept with the record and
    printed; a value that cannot be valid stops the command before anything is written or recorded."""
    from fupin.imports.models import ExportRecord

    make_household(members=2)  # 未脱贫, identified 2014
    back = make_household(members=3, poverty_status="3", identification_year=2015)
    out = tmp_path / "r.csv"
    printed = io.StringIO()
    call_command("export", str(out), "--region", MINGXI, "--poverty-status", "返贫,2", "--identified", "2015-2016",
                 stdout=printed)
    frame = pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False)
    assert (frame.height, frame["户编号"].unique().to_list()) == (3, [back.household_number])
    record = ExportRecord.objects.get()
    assert record.filters == {"poverty_status": ["2", "3"], "identification_year": [2015, 2016]}
    assert (record.rows, record.file_name) == (3, "r.csv")
    assert "filters=脱贫状态:预脱贫、返贫;识别年度:2015-2016" in printed.getvalue()
    call_command("export", str(out), "--region", MINGXI, "--exited", "2019", stdout=io.StringIO())
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False).height == 0
    call_command("export", str(out), "--region", MINGXI, "--planned-exit", "2016", stdout=io.StringIO())
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False).height == 5
    call_command("export", str(out), "--region", MINGXI, "--cause", "因病", "--category", "2016:1", stdout=io.StringIO())
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False).height == 5
    assert ExportRecord.objects.latest("pk").filters == {"causes": ["1"], "categories": ["2016:1"]}
    unsafe = make_household(members=1, housing_secure=False)
    call_command("export", str(out), "--region", MINGXI, "--kind", "households", "--shortfall", "住房,饮水",
                 stdout=io.StringIO())
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False)["户编号"].to_list() == [
        unsafe.household_number]
    assert ExportRecord.objects.latest("pk").filters == {"shortfall": ["housing", "water"]}
    dilapidated = make_household(members=1, dilapidated_grade="C")
    call_command("export", str(out), "--region", MINGXI, "--kind", "households", "--dilapidated", "yes",
                 stdout=io.StringIO())
    assert pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False)["户编号"].to_list() == [
        dilapidated.household_number]
    for option, value, message in (("--identified", "2016-2014", "识别年度 / identified in: 起始年份晚于结束年份"),
                                   ("--shortfall", "收入", "两不愁三保障未达标 / falls short on: 不是两不愁三保障的一项"),
                                   ("--dilapidated", "B", "危房户 / dilapidated housing: 不是危房等级: B"),
                                   ("--poverty-status", "脱贫", "脱贫状态 / poverty status: 不是有效的脱贫状态: 脱贫"),
                                   ("--exited", "20X9", "脱贫年度 / exited in: 应为年份或年份范围"),
                                   ("--category", "3", "贫困户属性 / household category: 不是有效的贫困户属性: 3")):
        with pytest.raises(CommandError, match=message):
            call_command("export", str(tmp_path / "bad.csv"), "--region", MINGXI, option, value, stdout=io.StringIO())
    assert not (tmp_path / "bad.csv").exists()
    assert ExportRecord.objects.count() == 6


def test_export_command_splits_by_village_into_a_zip(tmp_path, make_household):
    """--split village: a ZIP of one xlsx per village (csv with --format csv), recorded as one export of
    format xlsx.zip; OUT must end in .zip."""
    import zipfile

    from fupin.imports.models import ExportRecord

    first, second = make_household(first_village(MINGXI), members=2), make_household(first_village(MINGXI, 2))
    out = tmp_path / "村.zip"
    printed = io.StringIO()
    call_command("export", str(out), "--region", MINGXI, "--split", "village", stdout=printed)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert [n.split("-")[1] for n in names] == sorted([first.village_code, second.village_code])
        assert all(n.startswith("花名册-") and n.endswith(".xlsx") for n in names)
        sheet = fastexcel.read_excel(archive.read(names[0])).load_sheet(0, dtypes="string").to_polars()
    assert sheet["户编号"].unique().to_list() == [first.household_number]
    record = ExportRecord.objects.get()
    assert (record.format, record.rows, record.file_name) == ("xlsx.zip", 5, "村.zip")
    assert f"rows=5 sha256={record.file_sha256}" in printed.getvalue()
    call_command("export", str(out), "--region", MINGXI, "--split", "township", "--format", "csv",
                 stdout=io.StringIO())
    with zipfile.ZipFile(out) as archive:
        assert [n.endswith(".csv") for n in archive.namelist()] == [True]
    with pytest.raises(CommandError, match=r"give an OUT\.zip"):
        call_command("export", str(tmp_path / "x.xlsx"), "--region", MINGXI, "--split", "village", stdout=io.StringIO())


def test_export_command_refuses_an_xlsx_larger_than_a_sheet(tmp_path, make_household, monkeypatch):
    from fupin.core import xlsx_sheet

    make_household(members=3)
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"the file that was there")
    with pytest.raises(CommandError, match="请改用 CSV"):
        call_command("export", str(out), "--region", MINGXI, stdout=io.StringIO())
    assert out.read_bytes() == b"the file that was there"  # left as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]  # no part file left behind


def test_import_writes_the_rows_to_fix_and_the_corrected_file_imports(tmp_path, make_household):
    path, numbers = _roster_file(tmp_path, make_household)
    out = tmp_path / "待改正.xlsx"
    output = _call(str(path), "--rows-to-fix", str(out))
    assert output.splitlines()[-1] == "read=5 imported=3 rejected=2"
    assert f"2 rows to correct written to {out}" in output
    batch = ImportBatch.objects.get()
    assert batch.status == "merged"

    content = out.read_bytes()
    sheet = fastexcel.read_excel(content).load_sheet("花名册").to_polars()
    assert sheet.columns[:2] == ["原行号", "错误原因"]
    assert sheet["原行号"].cast(pl.Int64).to_list() == [5, 6]  # the second household, whole (rows 5–6)
    assert sheet["户编号"].to_list() == [numbers[1]] * 2
    assert sheet["错误原因"][1].startswith("主要致贫原因: ") and sheet["主要致贫原因"][1] == "因穷"  # as written
    expected, _rows = services.rows_to_fix_xlsx(batch, full=True)
    assert fastexcel.read_excel(expected).load_sheet(0).to_polars().rows() == sheet.rows()
    record = ExportRecord.objects.get()
    assert (record.kind, record.channel, record.format, record.region_code, record.rows, record.file_name,
            record.full_numbers, record.actor_name) == (
        "rows_to_fix", "cli", "xlsx", batch.region_code, 2, "待改正.xlsx", True, "system")
    assert (record.file_size, record.file_sha256) == (len(content), hashlib.sha256(content).hexdigest())

    # Corrected in the file itself (the bad cell, from the household's other row) and imported again.
    strings = fastexcel.read_excel(content).load_sheet("花名册", dtypes="string").to_polars()
    corrected = strings.with_columns(pl.col("主要致贫原因").first().alias("主要致贫原因"))
    fixed = tmp_path / "已改正.xlsx"
    fixed.write_bytes(xlsx_bytes(corrected, sheet="花名册"))
    again = _call(str(fixed), "--rows-to-fix", str(tmp_path / "again.xlsx"))
    assert again.splitlines()[-1] == "read=2 imported=2 rejected=0"
    assert f"no rejected rows: {tmp_path / 'again.xlsx'} not written" in again
    assert not (tmp_path / "again.xlsx").exists()
    assert Household.objects.get(household_number=numbers[1], status="active").members.count() == 2
    assert ExportRecord.objects.count() == 1  # nothing written, nothing recorded


def test_rows_to_fix_are_masked_for_a_user_without_full_numbers(tmp_path, make_household, make_user, monkeypatch):
    from fupin.accounts.models import User

    path, _numbers = _roster_file(tmp_path, make_household)
    make_user("county", MINGXI, username="mingxi")
    monkeypatch.setattr(User, "may_see_full_id", property(lambda self: False))
    out = tmp_path / "masked.xlsx"
    output = _call(str(path), "--rows-to-fix", str(out), "--as", "mingxi")
    assert "cannot be imported again as it is" in output
    assert output.splitlines()[-1] == "read=5 imported=3 rejected=2"
    written = pl.read_csv(path, infer_schema=False)["证件号码"].to_list()[3:5]  # rows 5–6 of the file
    assert _sheet(out)["证件号码"].to_list() == [mask_id_number(v) for v in written]
    record = ExportRecord.objects.get()
    assert (record.kind, record.full_numbers, record.actor_name, record.region_code) == (
        "rows_to_fix", False, "mingxi", MINGXI)


def test_a_dry_run_writes_the_same_rows_to_fix_and_lands_nothing(tmp_path, make_household):
    path, numbers = _roster_file(tmp_path, make_household)
    dry = tmp_path / "dry.xlsx"
    output = _call(str(path), "--dry-run", "--rows-to-fix", str(dry))
    assert f"2 rows to correct written to {dry}" in output
    assert ImportBatch.objects.count() == 0 and not Household.objects.filter(household_number=numbers[1]).exists()
    record = ExportRecord.objects.get()
    assert (record.kind, record.channel, record.rows) == ("rows_to_fix", "cli", 2)
    real = tmp_path / "real.xlsx"
    _call(str(path), "--rows-to-fix", str(real))
    assert _sheet(dry).rows() == _sheet(real).rows()  # the same rows and reasons as the batch's


def test_rows_to_fix_need_an_xlsx_name(tmp_path, make_household):
    path, _ = _roster_file(tmp_path, make_household)
    with pytest.raises(CommandError, match=r"give a FILE\.xlsx"):
        _call(str(path), "--rows-to-fix", str(tmp_path / "fix.csv"))
    assert (ImportBatch.objects.count(), ExportRecord.objects.count()) == (0, 0)


def test_rows_to_fix_larger_than_a_sheet_stop_the_import_before_the_merge(tmp_path, make_household, monkeypatch):
    from fupin.core import xlsx_sheet

    path, numbers = _roster_file(tmp_path, make_household)
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 2)
    out = tmp_path / "fix.xlsx"
    with pytest.raises(CommandError, match="left at review"):
        _call(str(path), "--rows-to-fix", str(out))
    assert ImportBatch.objects.get().status == "review"
    assert not out.exists() and not ExportRecord.objects.exists()
    assert not Household.objects.filter(household_number=numbers[0]).exists()  # nothing merged


def _two_village_file(tmp_path: Path, make_household) -> tuple[Path, str, str]:
    """A roster of three new households: two in the first village of 明溪, one (three persons) in the next."""
    v1, v2 = first_village(MINGXI), first_village(MINGXI, 1)
    households = [make_household(v1, members=2), make_household(v1, members=2), make_household(v2, members=3)]
    frame = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv")[3:]), infer_schema=False)
    for h in households:
        Member.objects.filter(household=h).update(status="left")
        Household.objects.filter(pk=h.pk).update(status="left", household_number=f"old-{h.pk}")
    path = tmp_path / "两村.csv"
    frame.write_csv(path)
    return path, v1, v2


def test_hold_back_a_village_from_the_command_line(tmp_path, make_household):
    """暂缓导入 (``--hold``): the held village's rows are rejected with the review's reason, the rest is
    merged, and the batch's audit trail names the villages held."""
    from fupin.imports.pipelines.validate_roster import HELD_AT_REVIEW

    path, v1, v2 = _two_village_file(tmp_path, make_household)
    dry = _call(str(path), "--dry-run", "--hold", v2)
    assert dry.splitlines()[-1] == "read=7 imported=4 rejected=3"
    assert f"暂缓导入的村 / villages held back: {v2}" in dry.splitlines()
    assert not ImportBatch.objects.exists()

    output = _call(str(path), "--hold", f" {v2},{v2}", "--region", MINGXI)
    assert output.splitlines()[-1] == "read=7 imported=4 rejected=3"
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.held_villages, batch.households_new) == ("merged", [v2], 2)
    assert {(r.village_code, r.reason) for r in batch.rejections.all()} == {(v2, HELD_AT_REVIEW)}
    assert Household.objects.filter(status="active", village_code=v1).count() == 2
    assert not Household.objects.filter(status="active", village_code=v2).exists()
    record = ChangeRecord.objects.get(model="imports.importbatch", object_id=str(batch.pk))
    assert (record.source, record.changes, record.actor_name) == ("cli", {"held_villages": [[], [v2]]}, "system")


def test_hold_refuses_what_cannot_be_held(tmp_path, make_household):
    path, v1, v2 = _two_village_file(tmp_path, make_household)
    township = v1[:9] + "000"
    for codes, message in (([township], "村级"), (["35042110x"], "村级"), ([first_village(NINGHUA)], "不在导入区域"),
                           (["350421999999"], "区划代码表中没有村")):
        with pytest.raises(CommandError, match=message):
            _call(str(path), "--region", MINGXI, "--hold", ",".join(codes))
    assert not ImportBatch.objects.exists()  # refused before the file was landed
    # every village of the file held: nothing would be imported; the batch stops at review
    with pytest.raises(CommandError, match=r"不能暂缓全部的村.*批次 #\d+ 未入库"):
        _call(str(path), "--hold", v1, "--hold", v2)
    stopped = ImportBatch.objects.get()
    assert (stopped.status, stopped.rows_imported) == ("review", 0)
    assert not Household.objects.filter(status="active").exists()
    with pytest.raises(CommandError, match="不能暂缓全部的村"):
        _call(str(path), "--hold", f"{v1},{v2}", "--dry-run")
    # a village the file does not hold is named, and the import goes on
    other = first_village(MINGXI, 2)
    output = _call(str(path), "--dry-run", "--hold", other)
    assert f"文件中没有村 {other},无需暂缓 / the file holds no rows of {other}: nothing to hold back there" in output
    assert output.splitlines()[-1] == "read=7 imported=7 rejected=0"


def test_export_command_takes_person_filters(tmp_path, make_household):
    """人员筛选 on the command line: only the members named in the person roster, their households whole
    in the household roster; recorded with the day ages were counted on; a bad value names its field."""
    from fupin.imports.models import ExportRecord
    from fupin.policy import clock

    student = make_household(members=2, member_overrides=[{}, {"schooling": "6", "labour_skill": "4"}])
    make_household(members=1)
    out = tmp_path / "students.csv"
    printed = io.StringIO()
    call_command("export", str(out), "--region", MINGXI, "--schooling", "在校生", stdout=printed)
    frame = pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False)
    assert (frame["户编号"].to_list(), frame["在校生状况"].to_list()) == ([student.household_number], ["九年级"])
    assert "filters=在校生状况:在校生" in printed.getvalue()
    call_command("export", str(out), "--region", MINGXI, "--kind", "households", "--schooling", "6",
                 "--labour-skill", "无劳动力", "--age", "0-150", stdout=io.StringIO())
    frame = pl.read_csv(io.BytesIO(out.read_bytes()[3:]), infer_schema=False)
    assert (frame["户编号"].to_list(), frame["家庭人口"].to_list()) == ([student.household_number], ["2"])
    assert ExportRecord.objects.latest("pk").filters == {"schooling": ["6"], "labour_skill": ["4"], "age": [0, 150],
                                                         "age_on": clock.today().isoformat()}
    for option, value, message in (("--age", "60-16", "年龄 / age: 起始年龄大于结束年龄"),
                                   ("--migrant-work", "打工", "务工状况 / migrant work: 不是有效的务工状况: 打工"),
                                   ("--health", "9", "健康状况 / health: 不是有效的健康状况: 9")):
        with pytest.raises(CommandError, match=message):
            call_command("export", str(tmp_path / "bad.csv"), "--region", MINGXI, option, value, stdout=io.StringIO())
    assert ExportRecord.objects.count() == 2


def test_a_person_filtered_list_imported_back_is_flagged_as_not_a_whole_roster(tmp_path, make_household):
    """A list exported with 人员筛选 (the members able to work: here each household's head) imported back:
    the others would leave — the command says the file may not be a whole roster, and stops before the
    merge as it does for any persons leaving."""
    from fupin.imports.roster_filter import parse_filter

    for _ in range(4):
        make_household(members=4, member_overrides=[{}, *[{"labour_skill": "4", "schooling": "3"}] * 3])
    exported = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv", "persons",
                                                    parse_filter(labour_skill="劳动力"))[3:]), infer_schema=False)
    path = tmp_path / "劳动力名单.csv"
    exported.write_csv(path)
    # as exported, each row's 年人均纯收入 (the household's, over four) disagrees with one person's: rejected
    assert "read=4 imported=0 rejected=4" in _call(str(path), "--dry-run")
    # without that column (a village cleared it), the rows pass and the others would leave
    exported.drop("年人均纯收入").write_csv(path)
    output = _call(str(path), "--dry-run")
    assert "left=12" in output
    assert "注意:减员占文件中已登记户成员的75%,该文件可能不是完整的花名册(如按人员筛选导出的名单;只更新所列人员请加 --members-only)" in output
    with pytest.raises(CommandError, match="--allow-leaving"):
        _call(str(path))
    assert Member.objects.filter(status="left").count() == 0


def test_members_only_takes_a_list_back_as_an_update_of_the_persons_listed(tmp_path, make_household):
    """``--members-only`` (只更新所列成员): the 劳动力 list exported, one 务工状况 filled in, imported
    back as it is — 年人均纯收入 is not read, nobody leaves, the one person changes."""
    from fupin.imports.roster_filter import parse_filter

    for _ in range(3):
        make_household(members=3, member_overrides=[{}, *[{"labour_skill": "4", "schooling": "3"}] * 2])
    exported = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv", "persons",
                                                    parse_filter(labour_skill="劳动力"))[3:]), infer_schema=False)
    first = exported["证件号码"][0]
    path = tmp_path / "劳动力名单.csv"
    exported.with_columns(pl.when(pl.col("证件号码") == first).then(pl.lit("省外务工")).otherwise(pl.col("务工状况"))
                          .alias("务工状况")).write_csv(path)
    dry = _call(str(path), "--dry-run", "--members-only")
    assert "read=3 imported=3 rejected=0" in dry and "changed=1 unchanged=2" in dry
    output = _call(str(path), "--members-only")
    assert "read=3 imported=3 rejected=0" in output
    assert Member.objects.get(id_number=first).migrant_work == "4"
    assert (Member.objects.filter(status="left").count(), Member.objects.filter(status="active").count()) == (0, 9)
    assert ImportBatch.objects.latest("pk").mode == "members"
