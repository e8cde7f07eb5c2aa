"""The blank template (花名册模板) and docs/roster.md follow roster.COLUMNS."""

from __future__ import annotations

import fastexcel

from fupin.core.tests.xlsx_help import workbook_help
from fupin.imports import roster
from fupin.imports.roster_help import roster_choices, roster_helps
from fupin.imports.template_file import DOCS_PATH, column_map_markdown, template_xlsx


def test_template_has_the_roster_headers_and_the_instructions():
    reader = fastexcel.read_excel(template_xlsx())
    assert reader.sheet_names == ["花名册", "填写说明", "代码表"]  # the drop-downs' lists, hidden
    assert reader.load_sheet(0).to_polars().columns == roster.HEADERS

    notes = reader.load_sheet(1, dtypes="string").to_polars()
    assert notes.columns[0] == "列名 column"
    rows = {r[0]: r for r in notes.rows() if r[0]}
    assert all(c.header in rows for c in roster.COLUMNS)
    cause = rows["主要致贫原因"]
    assert cause[1] == "是"
    assert "1 因病" in cause[3]  # the code list, codes with labels
    assert "一般贫困户" in rows["贫困户属性"][3]
    assert "汉族" in rows["民族"][3]


def test_docs_column_map_is_up_to_date():
    """Fails when roster.COLUMNS changed: run ``python -m fupin.imports.template_file``."""
    assert DOCS_PATH.read_text(encoding="utf-8") == column_map_markdown()


def test_docs_lists_every_column():
    text = column_map_markdown()
    for c in roster.COLUMNS:
        assert f"| {c.header} |" in text
        assert f"`{c.field}`" in text


def test_template_offers_drop_downs_and_prompts():
    """填写提示与下拉列表 in the blank template, as in the roster export (roster_help)."""
    got = workbook_help(template_xlsx())
    assert got.hidden_sheets == ["代码表"]
    expected = {h.column: h for h in roster_helps()}
    assert set(got.by_header) == set(expected)
    lists = {c.name: c.values for c in roster_choices()}
    for header, h in expected.items():
        shown = got.by_header[header]
        assert (shown.title, shown.prompt) == (h.title, h.prompt), header
        assert shown.values == (lists[h.choices] if h.choices else None), header
        assert (shown.kind, shown.error_style) == (("list", "warning") if h.choices else (None, None)), header
    assert got.by_header["民族"].values[:2] == ("汉族", "蒙古族")
    assert got.by_header["与户主关系"].values[0] == "户主"
