"""Rows hidden in the sheet (隐藏行): a clerk filters a county roster to one village and saves it; the rows the
filter hides are still in the file. They are read and checked like the others (data is not dropped for how it is
shown), and the review page, the API and the command say how many of the rows read were hidden."""

from __future__ import annotations

import pytest

from fupin.imports.pipelines.read_roster import read_roster
from fupin.imports.tests import roster_files as rf

WRITERS = {"xlsx": rf.write_xlsx, "xls": rf.write_xls, "ods": rf.write_ods}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_hidden_data_rows_are_read_and_counted(tmp_path, kind):
    rows = rf.build_roster(4, sizes=(2,))
    # sheet rows (0-based): 0 the title (hidden too: not a data row), 1 the header, 2… the data
    path = WRITERS[kind](tmp_path / f"filtered.{kind}", rows, title_rows=["某县花名册"], hidden_rows=[0, 3, 4, 7])
    raw = read_roster(path)
    assert raw.frame.height == len(rows)  # every row read
    assert raw.hidden_rows == 3
    assert read_roster(WRITERS[kind](tmp_path / f"plain.{kind}", rows)).hidden_rows == 0


def test_hidden_rows_of_a_workbooks_sheets_add_up(tmp_path):
    rows = rf.build_roster(4, sizes=(2,))
    path = tmp_path / "乡.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    cols = list(rows[0])
    for name, part, hidden in (("城西", rows[:4], [1, 2]), ("城东", rows[4:], [3])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, cols)
        for i, row in enumerate(part):
            sheet.write_row(1 + i, 0, [row[h] for h in cols])
        for r in hidden:
            sheet.set_row(r, None, None, {"hidden": True})
    book.close()
    raw = read_roster(path)
    assert raw.parts == ("城西", "城东") and raw.frame.height == len(rows)
    assert raw.hidden_rows == 3


@pytest.mark.django_db
def test_the_review_the_api_and_the_command_say_how_many_rows_were_hidden(tmp_path, client, make_user):
    from io import StringIO

    from django.core.management import call_command

    from fupin.api.tests.conftest import token_api
    from fupin.imports import services
    from fupin.imports.tests.test_views import household_rows
    from fupin.testing import MINGXI, first_village

    village = first_village(MINGXI)
    rows = household_rows(village, f"{village}44001", members=3) + household_rows(village, f"{village}44002", 2)
    path = rf.write_xlsx(tmp_path / "筛选后.xlsx", rows, hidden_rows=[2, 3])
    officer = make_user("county", MINGXI)
    batch = services.land_file(actor=officer, file_name=path.name, content=path.read_bytes(), region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert (batch.rows_read, batch.rows_imported, batch.rows_hidden) == (5, 5, 2)
    client.force_login(officer)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="rows-hidden"' in page and "读取的行中有 2 行在表格中是隐藏的" in page
    assert token_api(client, officer).get(f"/imports/{batch.pk}").json()["rows_hidden"] == 2

    out = StringIO()
    call_command("import", str(path), "--region", MINGXI, "--dry-run", stdout=out, stderr=StringIO())
    assert "hidden=2" in out.getvalue()
    plain = rf.write_xlsx(tmp_path / "全部.xlsx", rows)
    batch = services.validate_batch(services.land_file(actor=officer, file_name=plain.name, content=plain.read_bytes(),
                                                       region_code=MINGXI, source="test").pk, actor=officer)
    assert batch.rows_hidden == 0 and 'id="rows-hidden"' not in client.get(f"/imports/{batch.pk}/").content.decode()
