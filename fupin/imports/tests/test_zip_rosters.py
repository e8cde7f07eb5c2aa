"""A ZIP of rosters (分村文件打包) imported as one batch: the files read one after the other, rows named by
file and row everywhere they are shown, a file that cannot be read refusing the archive by name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from fupin.imports import services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch
from fupin.imports.pipelines import zip_rosters
from fupin.imports.pipelines.read_roster import RosterReadError, read_roster
from fupin.imports.tests.roster_files import write_csv, write_ods, write_xlsx
from fupin.imports.tests.test_views import household_rows, person_row
from fupin.registry.models import Household
from fupin.testing import MINGXI, first_village


def _zip(path: Path, files: dict[str, Path | bytes], *, gbk_names: bool = False) -> Path:
    """Write ``files`` into a ZIP; with ``gbk_names`` the names are stored in GBK without ZIP's UTF-8
    flag, as older Windows tools (and WinRAR) do on a Chinese system: written under ASCII stand-ins
    of the same length, whose bytes are then replaced (a name is not part of any checksum)."""
    stand_ins: dict[bytes, bytes] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, content) in enumerate(files.items()):
            data = content.read_bytes() if isinstance(content, Path) else content
            if gbk_names and not name.isascii():
                raw = name.encode("gbk")
                stand_in = f"~{i:03d}".encode().ljust(len(raw), b"_")
                stand_ins[stand_in] = raw
                name = stand_in.decode()
            archive.writestr(name, data)
    content = path.read_bytes()
    for stand_in, raw in stand_ins.items():
        content = content.replace(stand_in, raw)
    path.write_bytes(content)
    return path


def test_entries_skip_folders_copies_and_lock_files_and_read_gbk_names(tmp_path):
    path = _zip(tmp_path / "a.zip", {"城西村.csv": b"x", "城东村.xlsx": b"y", "__MACOSX/._城东村.xlsx": b"",
                                     "~$城东村.xlsx": b"", ".hidden.csv": b"", "子目录/Thumbs.db": b""}, gbk_names=True)
    with zipfile.ZipFile(path) as archive:
        assert [name for name, _info in zip_rosters.roster_entries(archive)] == ["城东村.xlsx", "城西村.csv"]


def test_row_labels_and_reasons_name_the_file():
    assert zip_rosters.row_label(3_000_012, ["a.xlsx", "b.csv", "城西村.xlsx"]) == "城西村.xlsx 第12行"
    assert zip_rosters.row_label(3_000_012, ["a.xlsx", "b.csv", "城西村.xlsx"], english=True) == "城西村.xlsx row 12"
    assert zip_rosters.row_label(1_000_012, []) == "1000012"  # a plain file's row stays as it is
    reasons = pl.DataFrame({"r": ["同户第3000012行有错误,整户未导入 / another row", "证件号码在文件中重复(另见第12000105行) / "
                                  "duplicate ID number in the file (also row 12000105)", "出生日期不在合理范围"]})
    assert reasons.select(zip_rosters.reason_rows(pl.col("r")))["r"].to_list() == [
        "同户第3个文件第12行有错误,整户未导入 / another row",
        "证件号码在文件中重复(另见第12个文件第105行) / duplicate ID number in the file (also row 105 of file 12)",
        "出生日期不在合理范围"]
    name, own = zip_rosters.file_and_row(pl.col("row"), ["a.xlsx", "b.csv"])
    frame = pl.DataFrame({"row": [1_000_002, 2_000_017]}).select(name.alias("file"), own.alias("own"))
    assert frame.rows() == [("a.xlsx", 2), ("b.csv", 17)]


@pytest.fixture
def villages(db) -> tuple[str, str]:
    return first_village(MINGXI), first_village(MINGXI, 1)


def _village_files(tmp_path: Path, v1: str, v2: str) -> dict[str, Path]:
    """城东: an xlsx of two households, one of whose rows has a bad ID; 城西: a GBK CSV of one household;
    and an ods of one more household of 城西."""
    east = household_rows(v1, f"{v1}30001", members=2) + household_rows(v1, f"{v1}30002", members=2)
    east[3] = dict(east[3], 证件号码="350421196001011234")  # bad check digit
    west = household_rows(v2, f"{v2}30003", members=3)
    more = household_rows(v2, f"{v2}30004", members=1)
    return {"城东居委会.xlsx": write_xlsx(tmp_path / "e.xlsx", east, title_rows=["明溪县雪峰镇城东居委会花名册"]),
            "城西居委会.csv": write_csv(tmp_path / "w.csv", west, encoding="gb18030"),
            "城西居委会-补.ods": write_ods(tmp_path / "m.ods", more)}


def test_a_zip_of_village_files_reads_as_one_roster(tmp_path, villages):
    path = _zip(tmp_path / "明溪县.zip", _village_files(tmp_path, *villages), gbk_names=True)
    raw = read_roster(path)
    assert raw.parts == ("城东居委会.xlsx", "城西居委会-补.ods", "城西居委会.csv")
    assert raw.encoding == "zip"
    assert raw.frame.get_column("_row").to_list() == [1_000_003, 1_000_004, 1_000_005, 1_000_006, 2_000_002,
                                                      3_000_002, 3_000_003, 3_000_004]


def test_files_with_the_same_header_read_as_each_file_alone(tmp_path, villages):
    """The files of a run with the same header are built as one frame (:func:`read_roster.read_zip`):
    the rows are those of each file read alone, carried by its place — with notes below, blank lines,
    title rows, ID numbers stored as numbers, formula guards and a file of another layout between."""
    from fupin.imports.pipelines.read_roster import read_one

    v1, v2 = villages
    rows = [household_rows(v, f"{v}3{i:04d}", members=2) for i, v in enumerate([v1, v1, v2, v2, v1, v2])]
    rows[1][1] = dict(rows[1][1], 姓名="'=王五")  # a CSV export's formula guard, dropped on reading
    files = {
        "1.csv": write_csv(tmp_path / "1.csv", rows[0], note_rows=["注:本表由村委会填报"]),
        "2.csv": write_csv(tmp_path / "2.csv", rows[1], blank_line_rows=[1]),
        "3.xlsx": write_xlsx(tmp_path / "3.xlsx", rows[2], numeric_id_rows=[1]),
        "4.xlsx": write_xlsx(tmp_path / "4.xlsx", rows[3], title_rows=["城西村花名册"]),
        "5.csv": write_csv(tmp_path / "5.csv", rows[4], headers=list(reversed(list(rows[4][0])))),
        "6.csv": write_csv(tmp_path / "6.csv", rows[5], trailing_empty=2),
    }
    together = read_roster(_zip(tmp_path / "all.zip", files)).frame
    alone = pl.concat([zip_rosters.carried_rows(read_one(path).frame, k)
                       for k, path in enumerate(files.values(), start=1)], how="diagonal_relaxed")
    alone = alone.with_columns(pl.col("_id_numeric").fill_null(False))
    assert together.height == 12
    assert together.select(sorted(together.columns)).equals(alone.select(sorted(alone.columns)))
    assert together.filter(pl.col("_id_numeric")).get_column("_row").to_list() == [3_000_003]
    assert "=王五" in together.get_column("name").to_list()


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("files", "message"), [
    ({"__MACOSX/._a.csv": b"", "~$a.xlsx": b""}, "压缩包中没有文件"),
    ({"说明.txt": "请各村于月底前上报".encode("gb18030")}, "说明.txt: 找不到表头"),
    ({"内层.zip": _zip_bytes({"a.csv": b"x"})}, "内层.zip/a.csv: 找不到表头"),
    ({"内层.zip": _zip_bytes({"__MACOSX/._a.csv": b""})}, "内层.zip: 压缩包中没有文件"),
    ({"内层.zip": _zip_bytes({"最里层.zip": _zip_bytes({"a.csv": b"x"})})}, "内层.zip/最里层.zip: 压缩包最多嵌套一层"),
    ({"内层.zip": b"PK\x03\x04 cut off"}, "内层.zip: "),
])
def test_a_file_that_cannot_be_read_refuses_the_archive_by_name(tmp_path, files, message):
    with pytest.raises(RosterReadError, match=message):
        read_roster(_zip(tmp_path / "bad.zip", files))


def test_a_zip_of_township_zips_reads_as_the_villages_files(tmp_path, villages, monkeypatch):
    """A county's ZIP of its townships' ZIPs (each of its villages' files) and a loose file: the nested
    files are read in their place, named 乡镇.zip/村…, the rows those of the same files in one flat ZIP;
    the files of a nested ZIP count towards the archive's limit."""
    files = {name: path.read_bytes() for name, path in _village_files(tmp_path, *villages).items()}
    flat = read_roster(_zip(tmp_path / "flat.zip", {"a/" + name: data for name, data in files.items()}))
    county = _zip(tmp_path / "明溪县.zip", {
        "雪峰镇.zip": _zip_bytes({"城东居委会.xlsx": files["城东居委会.xlsx"]}),
        "城关乡.zip": _zip_bytes({"城西居委会-补.ods": files["城西居委会-补.ods"]}),
        "城西居委会.csv": files["城西居委会.csv"]})
    nested = read_roster(county)
    assert nested.parts == ("城关乡.zip/城西居委会-补.ods", "城西居委会.csv", "雪峰镇.zip/城东居委会.xlsx")
    assert nested.frame.height == flat.frame.height == 8
    by_file = {name: nested.frame.filter((pl.col("_row") // zip_rosters.ROW_STRIDE) == k)["id_number"].to_list()
               for k, name in enumerate(nested.parts, start=1)}
    flat_by_file = {name.removeprefix("a/"): flat.frame.filter((pl.col("_row") // zip_rosters.ROW_STRIDE) == k)[
        "id_number"].to_list() for k, name in enumerate(flat.parts, start=1)}
    assert {name.split("/")[-1]: ids for name, ids in by_file.items()} == flat_by_file
    monkeypatch.setattr(zip_rosters, "MAX_FILES", 2)
    with pytest.raises(RosterReadError, match="压缩包中的文件超过2个"):
        read_roster(county)


def test_a_zip_batch_is_reviewed_once_and_names_files_and_rows(tmp_path, villages, make_user, client):
    from fupin.api.tests.conftest import token_api

    v1, v2 = villages
    officer = make_user("county", MINGXI)
    content = _zip(tmp_path / "明溪县.zip", _village_files(tmp_path, v1, v2)).read_bytes()
    batch = services.land_file(actor=officer, file_name="明溪县各村花名册.zip", content=content, region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert batch.source_files == ["城东居委会.xlsx", "城西居委会-补.ods", "城西居委会.csv"]
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.households_new) == (8, 6, 2, 3)
    rows = list(batch.rejections.order_by("row_number").values_list("row_number", "reason"))
    assert rows[0] == (1_000_005, "同户第1个文件第6行有错误,整户未导入 / another row of this household was rejected")
    assert rows[1][0] == 1_000_006 and "校验" in rows[1][1], rows

    # the page: the files listed, the rows named by file; the errors file and the rows to fix: the
    # file's name, then its own row
    html, errors, fix = rows_named_by_part(client, officer, batch)
    assert '<div id="source-files"><dt>压缩包中的文件</dt><dd><ol><li>城东居委会.xlsx</li>' in html
    assert '<td class="num">城东居委会.xlsx 第5行</td>' in html and '<td class="num">城东居委会.xlsx 第6行</td>' in html
    assert errors.select("文件 file", "行号 row").rows() == [("城东居委会.xlsx", 5), ("城东居委会.xlsx", 6)]
    assert errors["原因 reason"][0] == "同户第1个文件第6行有错误,整户未导入 / another row of this household was rejected"
    assert fix.select("来源文件", "原行号").rows() == [("城东居委会.xlsx", 5), ("城东居委会.xlsx", 6)]
    # the API: file and row beside the stored number
    items = token_api(client, officer).get(f"/imports/{batch.pk}/rejections").json()["items"]
    assert [(i["file"], i["row"], i["row_number"]) for i in items] == [
        ("城东居委会.xlsx", 5, 1_000_005), ("城东居委会.xlsx", 6, 1_000_006)]

    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert set(Household.objects.values_list("household_number", flat=True)) == {
        f"{v1}30001", f"{v2}30003", f"{v2}30004"}
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.MERGED


def rows_named_by_part(client, officer, batch) -> tuple[str, pl.DataFrame, pl.DataFrame]:
    """A batch of parts (a ZIP's files, a workbook's sheets) as its reviewer sees it: the page, the errors
    file and the rows to fix."""
    client.force_login(officer)
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    errors = fastexcel.read_excel(services.rejections_xlsx(batch.pk)).load_sheet(0).to_polars()
    return html, errors, services.rows_to_fix(batch, full=True)


def test_the_command_imports_a_zip(tmp_path, villages):
    from django.core.management import call_command

    v1, v2 = villages
    path = _zip(tmp_path / "各村.zip", {"一村.csv": write_csv(tmp_path / "a.csv", household_rows(v1, f"{v1}31001")),
                                      "二村.csv": write_csv(tmp_path / "b.csv", [person_row(v2, f"{v2}31002")])})
    out = io.StringIO()
    call_command("import", str(path), "--no-progress", stdout=out)
    assert "压缩包中的文件 2 个:一村.csv、二村.csv / files in the ZIP: 2" in out.getvalue().splitlines()
    assert out.getvalue().splitlines()[-1] == "read=3 imported=3 rejected=0"
    assert Household.objects.count() == 2
