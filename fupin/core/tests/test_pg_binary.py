"""Binary COPY for PostgreSQL (fupin.core.pg_binary): the rows that reach the table are those CSV would
give, for every kind of column; anything not certain is left to CSV."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import polars as pl
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core import bulk, pg_binary

TYPES = {
    "t": "varchar(20)", "x": "text", "j": "jsonb", "b": "boolean", "s": "smallint", "i": "integer",
    "g": "bigint", "d": "date", "ts": "timestamp with time zone", "m": "numeric(12, 2)",
    "r": "numeric(6, 1)", "q": "numeric(9, 4)",
}


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "t": ["甲", "", None, "O'Brien, \"x\"\n", "😀" * 5, "N"],
        "x": ["a" * 300, "b", "c", None, "行\t2", ""],
        "j": ['{"a": [1, "二"]}', "[]", None, '"s"', "{}", '{"n": null}'],
        "b": ["1", "0", None, "t", "false", "1"],
        "s": ["0", "-32768", "32767", None, "12", "1"],
        "i": pl.Series([1, -2, None, 2**31 - 1, 0, 7], dtype=pl.Int64),
        "g": pl.Series([2**62, -1, 0, 5, None, 3], dtype=pl.Int64),
        "d": ["1970-05-08", "2000-01-01", "1899-12-31", None, "2026-12-02", "0001-01-01"],
        "ts": pl.Series([dt.datetime(2026, 12, 2, 12, 8, 7, 173911), None, dt.datetime(1999, 12, 31, 23, 59),
                         dt.datetime(2000, 1, 1), dt.datetime(1960, 6, 1, 0, 0, 0, 1), dt.datetime(2038, 1, 19)],
                        dtype=pl.Datetime("us", "UTC")),
        "m": ["6000.00", "0.00", "-12.5", None, "9999999999.99", "3"],
        "r": ["0.0", "12.3", None, "-99999.9", "7", "0"],
        "q": ["1.2345", "-0.0001", "12345.6", None, "0", "99999.9999"],
    })


CONSTANTS = {"t": "常量 'q'", "j": '{"k": 1}', "b": True, "s": 3, "d": "2014-01-01",
             "ts": "2026-12-02T12:08:07.177423+00:00", "m": "0", "r": None, "q": "1.5"}


def test_each_database_type_has_its_wire_form():
    assert pg_binary.kind_of("varchar(12)") == pg_binary.Kind("text")
    assert pg_binary.kind_of("numeric(12, 2)") == pg_binary.Kind("numeric", 2)
    assert pg_binary.kind_of("timestamp with time zone") == pg_binary.Kind("timestamptz")
    for unsure in ("numeric(20, 2)", "numeric(12, 6)", "double precision", "uuid", "inet", "timestamp"):
        with pytest.raises(pg_binary.Unsupported):
            pg_binary.kind_of(unsure)


@pytest.mark.parametrize(("column", "value"), [
    ("b", "yes"),  # PostgreSQL reads it; the encoder does not guess
    ("s", " 5"), ("s", "+5"), ("s", "40000"), ("i", "1.0"),
    ("d", "2020-02-30"), ("d", "20200101"), ("d", "0000-01-01"),
    ("m", "1e3"), ("m", "1.005"), ("m", "1,000.00"), ("q", "1.23456"),
])
def test_a_value_the_encoder_is_not_sure_of_leaves_the_frame_to_csv(column, value):
    frame = pl.DataFrame({column: [value]})
    assert pg_binary.encoder(frame, TYPES, {}) is None
    assert pg_binary.encoder(pl.DataFrame({column: [None]}, schema={column: pl.Utf8}), TYPES, {}) is not None


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4).flatmap(lambda scale: st.tuples(st.just(scale), st.lists(st.one_of(
    st.none(), st.tuples(st.booleans(), st.integers(0, 10**12 - 1), st.integers(0, scale), st.integers(0, 10**4 - 1),
                         st.integers(0, 3))), min_size=1, max_size=20))))
def test_decimal_text_becomes_the_exact_scaled_integer(case):
    """Canonical and merely plain decimal texts (sign, leading zeros, fewer places, ``1.``)."""
    scale, parts = case
    texts = [None if p is None else "-" * p[0] + str(p[1]).zfill(min(12, len(str(p[1])) + p[4]))  # leading zeros
             + "." * (p[2] > 0 or p[4] == 3) + str(p[3]).zfill(4)[: p[2]] for p in parts]
    typed = pg_binary._typed(pl.Series("m", texts, dtype=pl.Utf8), pg_binary.Kind("numeric", scale))
    assert typed.to_list() == [None if t is None else int(Decimal(t) * 10**scale) for t in texts]


@pytest.mark.parametrize(("texts", "expected"), [
    (["1", "0", None, "1"], [True, False, None, True]),  # the merge's canonical text: two comparisons
    (["t", "false", "1", None], [True, False, True, None]),  # other spellings: the lookup
    ([None, None], [None, None]),
])
def test_boolean_text_reads_as_postgresql_reads_it(texts, expected):
    typed = pg_binary._typed(pl.Series("b", texts, dtype=pl.Utf8), pg_binary.Kind("bool"))
    assert typed.dtype == pl.Boolean and typed.to_list() == expected
    with pytest.raises(pg_binary.Unsupported):
        pg_binary._typed(pl.Series("b", [*texts, "01"], dtype=pl.Utf8), pg_binary.Kind("bool"))


def test_floats_and_naive_times_are_left_to_csv():
    assert pg_binary.encoder(pl.DataFrame({"m": [1.5]}), TYPES, {}) is None
    assert pg_binary.encoder(pl.DataFrame({"ts": [dt.datetime(2026, 1, 1)]}), TYPES, {}) is None
    assert pg_binary.encoder(pl.DataFrame({"ts": ["2026-01-01 08:00:00+08"]}), TYPES, {}) is None
    assert pg_binary.encoder(pl.DataFrame({"t": ["a"]}), TYPES, {"g": "5.0"}) is None  # not an integer's text


def _load_both(cursor, csv_frame: pl.DataFrame, encoder: pg_binary.Encoder, rows: int = 50_000) -> None:
    """``csv_frame`` into temp table via_csv by CSV COPY and the encoder's frame (with its constants) into
    via_binary by binary COPY in blocks of ``rows``; asserts both tables hold the same rows."""
    columns = ", ".join(f"{c} {t}" for c, t in TYPES.items())
    cursor.execute(f"CREATE TEMP TABLE via_csv ({columns})")
    cursor.execute(f"CREATE TEMP TABLE via_binary ({columns})")
    with cursor.cursor.copy(f"COPY via_csv ({', '.join(csv_frame.columns)}) FROM STDIN "
                            "WITH (FORMAT csv)") as copy:
        for block in bulk.csv_blocks(csv_frame):
            copy.write(block)
    with cursor.cursor.copy(f"COPY via_binary ({', '.join(encoder.columns)}) FROM STDIN "
                            "WITH (FORMAT binary)") as copy:
        for block in bulk.binary_blocks(encoder, rows=rows):
            copy.write(block)
    cursor.execute("(SELECT * FROM via_csv EXCEPT ALL SELECT * FROM via_binary) UNION ALL "
                   "(SELECT * FROM via_binary EXCEPT ALL SELECT * FROM via_csv)")
    assert cursor.fetchall() == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
@pytest.mark.parametrize("rows", [6, 2, 1])
def test_binary_copy_stores_what_csv_copy_stores(rows):
    """Every kind, NULLs, limits, Unicode, quotes and constants; blocks of ``rows`` rows (header and
    trailer placed once)."""
    frame = _frame()
    encoder = pg_binary.encoder(frame, TYPES, {})
    assert encoder is not None
    with connection.cursor() as cursor:
        _load_both(cursor, frame, encoder, rows)
        cursor.execute("SELECT count(*) FROM via_binary")
        assert cursor.fetchone()[0] == 6
        cursor.execute("SELECT m, r, q, d, s FROM via_binary WHERE t = '甲'")
        assert cursor.fetchone() == (Decimal("6000.00"), Decimal("0.0"), Decimal("1.2345"), dt.date(1970, 5, 8), 0)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
def test_constants_go_into_every_row_as_csv_would_write_them():
    frame = pl.DataFrame({"i": pl.Series([1, 2, 3], dtype=pl.Int64), "x": ["a", None, "c"]})
    encoder = pg_binary.encoder(frame, TYPES, CONSTANTS)
    assert encoder is not None
    with_constants = frame.with_columns(pl.lit(v).alias(c) for c, v in CONSTANTS.items())
    with connection.cursor() as cursor:
        _load_both(cursor, with_constants, encoder)
        cursor.execute("SELECT DISTINCT t, j, b, s, d, ts, m, r, q FROM via_binary")
        assert cursor.fetchall() == [("常量 'q'", '{"k": 1}', True, 3, dt.date(2014, 1, 1),
                                      dt.datetime(2026, 12, 2, 12, 8, 7, 177423, tzinfo=dt.UTC),
                                      Decimal("0.00"), None, Decimal("1.5000"))]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
def test_an_empty_frame_is_a_valid_copy():
    frame = _frame().clear()
    encoder = pg_binary.encoder(frame, TYPES, {})
    assert encoder is not None
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE via_binary ({', '.join(f'{c} {t}' for c, t in TYPES.items())})")
        with cursor.cursor.copy(f"COPY via_binary ({', '.join(encoder.columns)}) FROM STDIN "
                                "WITH (FORMAT binary)") as copy:
            for block in bulk.binary_blocks(encoder):
                copy.write(block)
        cursor.execute("SELECT count(*) FROM via_binary")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
def test_a_text_that_reads_like_a_null_marker_stays_text():
    """Binary COPY keeps a text \\N (CSV does too since it has no NULL marker: test_bulk)."""
    frame = pl.DataFrame({"t": ["\\N", "x"]})
    encoder = pg_binary.encoder(frame, TYPES, {})
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE via_binary (t varchar(20))")
        with cursor.cursor.copy("COPY via_binary (t) FROM STDIN WITH (FORMAT binary)") as copy:
            for block in bulk.binary_blocks(encoder):
                copy.write(block)
        cursor.execute("SELECT t FROM via_binary ORDER BY t")
        assert cursor.fetchall() == [("\\N",), ("x",)]


# The wire bytes, checked without a database: every row as a plain per-row encoder writes it ---------------

def _reference_value(value, kind: pg_binary.Kind) -> bytes | None:
    """One value's wire bytes, written the obvious way, one value at a time (the reference)."""
    if value is None:
        return None
    name = kind.name
    if name == "text":
        return value.encode("utf-8")
    if name == "jsonb":
        return b"\x01" + value.encode("utf-8")
    if name == "bool":
        return b"\x01" if value else b"\x00"
    if name in ("int2", "int4", "int8"):
        return struct.pack({"int2": ">h", "int4": ">i", "int8": ">q"}[name], value)
    if name == "date":
        return struct.pack(">i", (value - dt.date(2000, 1, 1)).days)
    if name == "timestamptz":
        return struct.pack(">q", (value - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1))
    scaled = int(Decimal(value) * 10**kind.scale)
    whole, frac = divmod(abs(scaled), 10**kind.scale)
    digits = [whole // 10**8, (whole // 10**4) % 10**4, whole % 10**4, frac * 10 ** (4 - kind.scale)]
    return struct.pack(">hhHh4h", 4, 2, 0x4000 if scaled < 0 else 0, kind.scale, *digits)


def _decoded(columns: list[str], data: bytes) -> list[dict[str, bytes | None]]:
    """Binary COPY data back into rows (column → wire bytes, None for NULL)."""
    assert data.startswith(pg_binary.HEADER) and data.endswith(pg_binary.TRAILER)
    position, end, rows = len(pg_binary.HEADER), len(data) - len(pg_binary.TRAILER), []
    while position < end:
        (count,) = struct.unpack_from(">h", data, position)
        assert count == len(columns)
        position += 2
        row: dict[str, bytes | None] = {}
        for column in columns:
            (length,) = struct.unpack_from(">i", data, position)
            position += 4
            row[column] = None if length < 0 else data[position:position + length]
            position += max(length, 0)
        rows.append(row)
    assert position == end
    return rows


_TEXTS = st.one_of(st.none(), st.text(max_size=6), st.text(min_size=120, max_size=300),
                   st.sampled_from(["", "\x00x", "甲乙", "😀", "\\N", "a,\"b\"\n"]))
_WIRE_KINDS = {"t": pg_binary.Kind("text"), "j": pg_binary.Kind("jsonb"), "b": pg_binary.Kind("bool"),
               "s": pg_binary.Kind("int2"), "i": pg_binary.Kind("int4"), "g": pg_binary.Kind("int8"),
               "d": pg_binary.Kind("date"), "ts": pg_binary.Kind("timestamptz"), "m": pg_binary.Kind("numeric", 2),
               "r": pg_binary.Kind("numeric", 1), "q": pg_binary.Kind("numeric", 4)}
_VALUES = {
    "t": _TEXTS, "j": st.one_of(st.none(), st.sampled_from(['{"a": 1}', "[]", '"' + "长" * 100 + '"'])),
    "b": st.one_of(st.none(), st.booleans()), "s": st.one_of(st.none(), st.integers(-(2**15), 2**15 - 1)),
    "i": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)), "g": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    "d": st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
    "ts": st.one_of(st.none(), st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC))),
    "m": st.one_of(st.none(), st.decimals(-(10**10) + 1, 10**10 - 1, places=2).map(str)),
    "r": st.one_of(st.none(), st.decimals(-99999, 99999, places=1).map(str)),
    "q": st.one_of(st.none(), st.decimals(-99999, 99999, places=4).map(str)),
}
_DTYPES = {"t": pl.Utf8, "j": pl.Utf8, "b": pl.Boolean, "s": pl.Int64, "i": pl.Int64, "g": pl.Int64, "d": pl.Date,
           "ts": pl.Datetime("us", "UTC"), "m": pl.Utf8, "r": pl.Utf8, "q": pl.Utf8}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(_VALUES)), min_size=1, max_size=8, unique=True).flatmap(
    lambda names: st.tuples(st.just(names), st.lists(st.tuples(*[_VALUES[n] for n in names]), min_size=1, max_size=9),
                            st.integers(1, 4), st.sampled_from([None, 1, 200]))))
def test_every_row_is_written_as_a_plain_row_by_row_encoder_writes_it(case):
    """Random frames (texts shorter and longer than 127 bytes, NULL anywhere, every kind), blocks of
    1–4 rows, and grids small enough that a block is encoded in parts: the decoded rows are the
    reference encoder's, value for value."""
    names, rows, block_rows, grid_bytes = case
    frame = pl.DataFrame([pl.Series(n, [r[i] for r in rows], dtype=_DTYPES[n]) for i, n in enumerate(names)])
    encoder = pg_binary.encoder(frame, {n: TYPES[n] for n in names}, {})
    assert encoder is not None
    limit = pg_binary.GRID_BYTES
    pg_binary.GRID_BYTES = grid_bytes or limit
    try:
        data = b"".join(encoder.blocks(block_rows))
    finally:
        pg_binary.GRID_BYTES = limit
    expected = [{n: _reference_value(r[i], _WIRE_KINDS[n]) for i, n in enumerate(names)} for r in rows]
    assert _decoded(encoder.columns, data) == expected


def test_constants_and_a_frame_of_constant_widths_are_written_whole():
    """No text of varying length and no NULL: the grid is sent as it is (no mask)."""
    frame = pl.DataFrame({"s": pl.Series([1, 2], dtype=pl.Int64), "t": ["ab", "cd"]})
    encoder = pg_binary.encoder(frame, TYPES, {"x": "常", "r": None, "b": True})
    assert encoder is not None
    rows = _decoded(encoder.columns, b"".join(encoder.blocks(5)))
    assert rows == [{"x": "常".encode(), "r": None, "b": b"\x01", "s": b"\x00\x01", "t": b"ab"},
                    {"x": "常".encode(), "r": None, "b": b"\x01", "s": b"\x00\x02", "t": b"cd"}]
