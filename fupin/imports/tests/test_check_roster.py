"""End to end: real roster files in every encoding and kind of mess → check_roster (no database)."""

from __future__ import annotations

import os
import time
from datetime import date

import polars as pl
import pytest

from fupin.imports.pipelines.check_roster import CheckedRoster, RosterContext, check_roster
from fupin.imports.pipelines.validate_roster import NUMERIC_ID_REASON, valid_columns
from fupin.imports.tests import roster_files as rf


@pytest.fixture
def context() -> RosterContext:
    return RosterContext(villages=rf.villages_frame(), existing_members=rf.members_frame())


def accounting(result: CheckedRoster) -> tuple[int, int, int]:
    assert result.rows_read == result.valid.height + result.rows_rejected
    return result.rows_read, result.valid.height, result.rows_rejected


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_clean_csv_in_each_encoding(tmp_path, context, encoding):
    rows = rf.build_roster(4)
    path = rf.write_csv(tmp_path / "r.csv", rows, encoding=encoding)
    result = check_roster(path, context)
    assert accounting(result) == (10, 10, 0)
    assert result.encoding == encoding
    assert result.header_row == 1
    assert result.unknown_headers == []
    assert result.valid.columns == valid_columns()
    assert result.valid.get_column("_row").to_list() == list(range(2, 12))
    assert result.valid.get_column("id_number").to_list() == [r["证件号码"] for r in rows]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_messy_csv_in_each_encoding(tmp_path, context, encoding):
    rows = rf.build_roster(4)
    messy = rf.lower_x(rf.stray_spaces(rf.full_width(rf.as_labels(rows))))
    path = rf.write_csv(tmp_path / "r.csv", messy, encoding=encoding, title_rows=["三明市建档立卡贫困户花名册", "单位: 元、亩"],
                        trailing_empty=3, note_rows=["填表人: 张三", "注: 本表由村委会填写"],
                        rename={"证件号码": "身份证号码", "与户主关系": "与户主的关系"})
    result = check_roster(path, context)
    assert accounting(result) == (10, 10, 0)
    assert result.encoding == encoding
    assert result.header_row == 3
    assert result.valid.get_column("_row").to_list() == list(range(4, 14))
    clean = check_roster(rf.write_csv(tmp_path / "clean.csv", rows), context).valid
    assert result.valid.drop("_row").equals(clean.drop("_row"))


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_xlsx_with_titles_merged_header_numeric_ids_and_notes(tmp_path, context, kind):
    """The same messy workbook as xlsx and as OpenDocument (.ods): the same accounting and reasons."""
    rows = rf.build_roster(4)
    write = rf.write_xlsx if kind == "xlsx" else rf.write_ods
    path = write(tmp_path / f"r.{kind}", rows, title_rows=["三明市花名册"], two_row_header=True,
                 numeric_id_rows={1, 6}, trailing_empty=2, note_rows=["填表人: 张三"], leading_blank_rows=2,
                 other_sheet_first=True)
    result = check_roster(path, context)
    first = rf.first_data_row(["三明市花名册"], two_row_header=True, leading_blank_rows=2)
    assert first == 6
    assert (result.encoding, result.header_row) == (kind, 4)
    assert accounting(result) == (10, 4, 6)
    rej = result.rejections
    assert rej.select("_row", "column", "reason").rows() == [
        (first + 1, "证件号码", NUMERIC_ID_REASON),
        (first + 2, "", "同户第7行有错误,整户未导入 / another row of this household was rejected"),
        (first + 6, "证件号码", NUMERIC_ID_REASON),
        (first + 7, "", "同户第12行有错误,整户未导入 / another row of this household was rejected"),
        (first + 8, "", "同户第12行有错误,整户未导入 / another row of this household was rejected"),
        (first + 9, "", "同户第12行有错误,整户未导入 / another row of this household was rejected"),
    ]
    assert rej.get_column("household_number").to_list()[:2] == [rows[1]["户编号"]] * 2
    assert rej.get_column("village_code").to_list()[0] == rows[1]["行政区划代码"]


def test_csv_with_scientific_notation_ids(tmp_path, context):
    rows = rf.build_roster(2)
    rows[0]["证件号码"] = "3.50404E+17"
    rows[1]["证件号码"] = rows[1]["证件号码"][:17] + ".0"
    result = check_roster(rf.write_csv(tmp_path / "r.csv", rows), context)
    assert accounting(result) == (3, 0, 3)
    assert result.rejections.select("_row", "column", "value", "reason").rows() == [
        (2, "证件号码", "3.50404E+17", NUMERIC_ID_REASON),
        (3, "证件号码", rows[1]["证件号码"], NUMERIC_ID_REASON),
        (4, "", "", "同户第3行有错误,整户未导入 / another row of this household was rejected"),
    ]


def test_two_row_header_in_csv_and_unknown_headers(tmp_path, context):
    rows = [r | {"序号": str(i + 1), "备注栏": ""} for i, r in enumerate(rf.build_roster(2))]
    path = rf.write_csv(tmp_path / "r.csv", rows, two_row_header=True, title_rows=["花名册"],
                        headers=["序号", *rf.DEFAULT_HEADERS, "备注栏"])
    result = check_roster(path, context)
    assert accounting(result) == (3, 3, 0)
    assert result.header_row == 2
    assert result.unknown_headers == ["序号", "备注栏"]
    assert result.valid.get_column("income_wage").to_list() == [f"{int(r['工资性收入'])}.00" for r in rows]


def test_names_instead_of_village_code(tmp_path, context):
    rows = rf.build_roster(3, with_code=False)
    result = check_roster(rf.write_csv(tmp_path / "r.csv", rows), context)
    assert accounting(result) == (6, 6, 0)
    assert result.valid.get_column("village_code").unique(maintain_order=True).to_list() == [
        v.code for v in rf.SANMING_VILLAGES[:3]]


def test_valid_types_and_defaults(tmp_path, context):
    rows = rf.build_roster(1)
    path = rf.write_csv(tmp_path / "r.csv", rows, headers=["乡镇", "行政村", "户编号", "贫困户属性", "主要致贫原因",
                                                           "识别年度", "姓名", "证件号码", "与户主关系"])
    result = check_roster(path, context)
    assert accounting(result) == (1, 1, 0)
    row = result.valid.row(0, named=True)
    assert row["village_code"] == "350404100201"
    assert (row["income_wage"], row["road_distance_km"], row["arable_mu"]) == ("0.00", "0.0", "0.00")
    assert (row["has_electricity"], row["drinking_water_safe"], row["is_dibao"]) == (True, True, False)
    assert (row["ethnicity"], row["schooling"], row["poverty_status"], row["identification_standard"]) == ("01", "1", "0", "1")
    assert (row["other_cause_1"], row["other_cause_2"], row["phone"]) == ("", "", "")
    assert (row["planned_exit_year"], row["migrant_months"]) == (None, 0)
    assert row["category_form_version"] == "2016"
    number = rows[0]["证件号码"]
    assert row["birth_date"] == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert (row["sex"], row["id_kind"]) == ("1", "resident")
    schema = result.valid.schema
    assert (schema["_row"], schema["birth_date"], schema["identification_year"], schema["is_dibao"]) == (
        pl.Int64, pl.Date, pl.Int64, pl.Boolean)


def test_timing_print(tmp_path, context):
    """Not an assertion on speed: prints read+check seconds (FUPIN_ROSTER_BENCH=200000 for a big run)."""
    households = int(os.environ.get("FUPIN_ROSTER_BENCH", "8000")) * 2 // 5
    rows = rf.build_roster(households, sizes=(2, 3))
    path = rf.write_csv(tmp_path / "big.csv", rows)
    started = time.perf_counter()
    result = check_roster(path, context)
    print(f"\nroster check: {result.rows_read} rows in {time.perf_counter() - started:.2f} s")
    assert accounting(result) == (len(rows), len(rows), 0)


def test_an_empty_registry_frame_without_columns_is_accepted(tmp_path):
    context = RosterContext(villages=rf.villages_frame(), existing_members=pl.DataFrame())
    result = check_roster(rf.write_csv(tmp_path / "r.csv", rf.build_roster(1)), context)
    assert accounting(result) == (1, 1, 0)
