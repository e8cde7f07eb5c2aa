"""The merge's ``update`` audit rows, built with Polars expressions, against the row-by-row Python
builder they replaced (kept here as the reference)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from django.db import models
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.models import ChangeRecord
from fupin.imports.pipelines.diff_roster import MEMBER_COMPARED
from fupin.imports.pipelines.merge_roster import _HH_COLS, _NULLABLE_NON_TEXT, _update_audit, merge_roster
from fupin.imports.tests.test_merge import diff_of, rows_of
from fupin.registry.models import Household, Member

TRICKY = ['say "hi"', "back\\slash", "line\nbreak", "tab\there", "中文姓名", "emoji 😀👨‍👩‍👧", "\x00\x1f\x7f",
          "\u2028\u2029", "</script>", "{}[],:", "  spaced  ", "null", "true", "1"]


def _json_value(model: type[models.Model], name: str, value: str | None) -> Any:
    """Reference: a canonical text value as the services write it in audit rows."""
    if value is None or value == "":
        return None if name in _NULLABLE_NON_TEXT else value
    f = model._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        return value == "1"
    if isinstance(f, models.IntegerField):
        return int(value)
    return value


def _changes(model: type[models.Model], old: dict[str, Any], new: dict[str, Any], cols: tuple[str, ...]) -> str:
    """Reference: the ``changes`` text the Python loop wrote."""
    out = {c: [_json_value(model, c, old.get(c)), _json_value(model, c, new.get(c))]
           for c in cols if (old.get(c) or "") != (new.get(c) or "")}
    return json.dumps(out, ensure_ascii=False)


def _kind(model: type[models.Model], name: str) -> str:
    f = model._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, models.IntegerField):
        return "int"
    if isinstance(f, models.DecimalField):
        return "decimal"
    return "text"


def _values(model: type[models.Model], name: str) -> st.SearchStrategy[str | None]:
    """Canonical text values of a field, with "" and null (a null compares equal to "")."""
    typed = {
        "bool": st.sampled_from(["1", "0"]),
        "int": st.integers(0, 40_000).map(str) | st.sampled_from(["0", "007", "2020"]),
        "decimal": st.sampled_from(["0.00", "1234.50", "3.14", "-2.00"]),
        "text": st.sampled_from(TRICKY) | st.text(max_size=12),
    }[_kind(model, name)]
    return typed | st.sampled_from(["", None])


def _pairs(model: type[models.Model], cols: tuple[str, ...]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Rows of (old, new) values: each column unchanged, changed, or only null ↔ ""."""
    def column(name: str) -> st.SearchStrategy[tuple[str | None, str | None]]:
        v = _values(model, name)
        return st.one_of(v.map(lambda x: (x, x)), st.tuples(v, v))
    row = st.fixed_dictionaries({c: column(c) for c in cols})
    return st.lists(row, min_size=1, max_size=12)


def _frames(pairs: list[dict[str, Any]], key: str, cols: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = list(range(100, 100 + len(pairs)))
    schema = {c: pl.Utf8 for c in cols}
    changed = pl.DataFrame({**{c: [p[c][1] for p in pairs] for c in cols}, "hh_id": [i * 10 for i in ids], key: ids},
                           schema={**schema, "hh_id": pl.Int64, key: pl.Int64})  # a household's key is hh_id
    old = pl.DataFrame({"id": ids[::-1], **{c: [p[c][0] for p in pairs[::-1]] for c in cols}},
                       schema={"id": pl.Int64, **schema})
    return changed, old


def _check(model: type[models.Model], key: str, cols: tuple[str, ...], changed: pl.DataFrame,
           old: pl.DataFrame) -> pl.DataFrame:
    """Assert the audit rows equal, row by row, the reference's (values, JSON types, key order)."""
    audit = _update_audit(changed, old, key=key, model=model, cols=cols)
    old_by_id = {r["id"]: r for r in old.iter_rows(named=True)}
    assert audit.height == changed.height
    assert audit.columns == ["action", "model", "object_id", "household_id", "changes"]
    for row, new in zip(audit.iter_rows(named=True), changed.iter_rows(named=True), strict=True):
        assert (row["action"], row["model"]) == ("update", model._meta.label_lower)
        assert (row["object_id"], row["household_id"]) == (str(new[key]), new["hh_id"])
        # Re-dumped, so true ≠ 1 ≠ "1" and key order counts.
        assert json.dumps(json.loads(row["changes"]), ensure_ascii=False) == _changes(
            model, old_by_id[new[key]], new, cols)
    return audit


@settings(max_examples=150, deadline=None)
@given(_pairs(Member, MEMBER_COMPARED))
def test_member_update_rows_equal_the_python_reference(pairs: list[dict[str, Any]]) -> None:
    _check(Member, "m_id", MEMBER_COMPARED, *_frames(pairs, "m_id", MEMBER_COMPARED))


@settings(max_examples=100, deadline=None)
@given(_pairs(Household, _HH_COLS))
def test_household_update_rows_equal_the_python_reference(pairs: list[dict[str, Any]]) -> None:
    _check(Household, "hh_id", _HH_COLS, *_frames(pairs, "hh_id", _HH_COLS))


def test_update_rows_by_example() -> None:
    cols = ("group_name", "is_only_child", "is_military_family", "planned_exit_year", "exit_year", "size",
            "income_per_capita", "head_name")
    rows: list[dict[str, tuple[str | None, str]]] = [  # (old, new) per column, one household per row
        {"is_only_child": ("0", "1"), "is_military_family": ("1", "0"), "size": ("3", "4")},
        {"planned_exit_year": ("2020", ""), "exit_year": ("", "2019"), "income_per_capita": ("3000.50", "")},
        {"group_name": ('一组 "东"', "二组\\北\n\t😀"), "head_name": ("", "张三")},
        {"head_name": ("李四", "李四"), "group_name": (None, ""), "size": ("2", "5")},  # only size differs
    ]
    same = {"text": "x", "decimal": "1.00", "bool": "1", "int": "1"}
    pairs = [{c: row.get(c, (same[_kind(Household, c)],) * 2) for c in cols} for row in rows]
    audit = _check(Household, "hh_id", cols, *_frames(pairs, "hh_id", cols))
    assert [json.loads(c) for c in audit["changes"]] == [
        {"is_only_child": [False, True], "is_military_family": [True, False], "size": [3, 4]},
        {"planned_exit_year": [2020, None], "exit_year": [None, 2019], "income_per_capita": ["3000.50", None]},
        {"group_name": ['一组 "东"', "二组\\北\n\t😀"], "head_name": ["", "张三"]},
        {"size": [2, 5]},
    ]
    assert "😀" in audit["changes"][2] and '"size":[2,5]' in audit["changes"][3]  # non-ASCII as is, numbers bare


@pytest.mark.django_db
def test_merge_stores_typed_values_in_the_update_rows(make_household: Any) -> None:
    household = make_household(members=2, planned_exit_year=2020)
    valid = rows_of([household])
    person = valid["id_number"][1]
    member = Member.objects.get(id_number=person)
    flip = {"1": "0", "0": "1"}
    only_child = valid["is_only_child"][0]
    valid = valid.with_columns(
        pl.col("is_only_child").replace_strict(flip), pl.lit("").alias("planned_exit_year"),
        pl.lit('组 "3"\\东\n😀').alias("group_name"),
        pl.when(pl.col("id_number") == person).then(pl.col("is_dibao").replace_strict(flip))
        .otherwise(pl.col("is_dibao")).alias("is_dibao"),
        pl.when(pl.col("id_number") == person).then(pl.lit("7")).otherwise(pl.col("migrant_months"))
        .alias("migrant_months"))
    merge_roster(diff_of(valid), batch_id=5, actor=None)
    rows = {r.model: r.changes for r in ChangeRecord.objects.filter(source="import", action="update")}
    assert rows == {
        "registry.household": {"group_name": [household.group_name, '组 "3"\\东\n😀'],
                               "is_only_child": [only_child == "1", only_child != "1"],
                               "planned_exit_year": [2020, None]},
        "registry.member": {"migrant_months": [member.migrant_months, 7],
                            "is_dibao": [member.is_dibao, not member.is_dibao]},
    }
    assert all(type(v) is bool for v in rows["registry.member"]["is_dibao"])
