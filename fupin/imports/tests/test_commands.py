"""``fupin import`` and ``fupin export``."""

from __future__ import annotations

import io
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fupin.core.models import ChangeRecord
from fupin.imports.models import ImportBatch
from fupin.imports.pipelines.export_roster import export_roster
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
