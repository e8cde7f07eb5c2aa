"""The Polars screening join alone (no database)."""

from __future__ import annotations

import polars as pl

from fupin.screening.frames import KEY_SCHEMA, MEMBER_SCHEMA, RECORD_SCHEMA
from fupin.screening.pipelines import screen

from .list_files import person_id

A, B, C, D = (person_id(n) for n in (101, 102, 103, 104))


def _members() -> pl.DataFrame:
    return pl.DataFrame({
        "member_id": [1, 2, 3, 4], "household_id": [10, 10, 20, 30],
        "id_number": [A, B + "14", C, "not-a-number"], "village_code": ["350421100201"] * 2 + ["350421101201"] * 2,
    }, schema=MEMBER_SCHEMA)


def _records() -> pl.DataFrame:
    return pl.DataFrame({
        "record_id": [100, 101, 102, 103, 104], "list_id": [7, 7, 8, 8, 8],
        "id_number": [A, A, B, D, "not-a-number"],
    }, schema=RECORD_SCHEMA)


def test_match_pairs_every_record_of_a_person_and_joins_certificate_numbers():
    found = screen.match(_members(), _records(), {7: "vehicle", 8: "payroll"}).sort("record_id")
    assert found.schema == pl.Schema(screen.MATCH_SCHEMA)
    assert found.select("member_id", "record_id", "kind").rows() == [
        (1, 100, "vehicle"), (1, 101, "vehicle"), (2, 102, "payroll")]  # garbage matches nothing


def test_known_pairs_are_not_raised_again():
    found = screen.match(_members(), _records(), {7: "vehicle", 8: "payroll"})
    known = pl.DataFrame({"member_id": [1], "record_id": [101]}, schema=KEY_SCHEMA)
    new = screen.new_hits(found, known)
    assert sorted(new["record_id"].to_list()) == [100, 102]
    assert screen.counts_by_kind(found, new) == {"vehicle": {"matched": 2, "new": 1},
                                                 "payroll": {"matched": 1, "new": 1}}


def test_hit_rows_carry_the_rule_and_the_region_codes():
    found = screen.match(_members(), _records(), {7: "vehicle", 8: "payroll"}).sort("record_id")
    rows = screen.hit_rows(found, run_id=5, rules={"vehicle": "excl_vehicle", "payroll": "no_payroll"})
    first = rows.row(0, named=True)
    assert first == {"run_id": 5, "kind": "vehicle", "rule_id": "excl_vehicle", "member_id": 1, "household_id": 10,
                     "record_id": 100, "province_code": "350000000000", "city_code": "350400000000",
                     "county_code": "350421000000", "township_code": "350421100000",
                     "village_code": "350421100201", "status": "open"}
    assert rows["rule_id"].to_list() == ["excl_vehicle", "excl_vehicle", "no_payroll"]


def test_empty_inputs():
    assert screen.match(_members().head(0), _records(), {7: "vehicle", 8: "payroll"}).height == 0
    assert screen.match(_members(), _records().head(0), {}).height == 0
