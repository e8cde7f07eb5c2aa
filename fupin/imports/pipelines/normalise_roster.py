"""Normalise the roster's string columns into typed registry values (one Polars pass, no row loop).

Transform stage of the roster import. Input: :class:`.read_roster.RawRoster`'s frame (``_row``,
``_id_numeric`` and one Utf8 column per field found). Output: the same rows with

- every roster field typed (codes as the code of :mod:`fupin.policy.codes`, ``Boolean``, ``Int64``,
  decimals as canonical strings with the model's decimal places, stripped text), absent or empty
  values filled with the model default — except required fields, which stay null for the validator;
- ``id_number`` normalised and ``sex``, ``birth_date``, ``id_kind`` derived from it;
  ``other_cause_1``/``other_cause_2`` split from 其他致贫原因; ``category_form_version`` decided;
- ``raw:<field>``: the value as written (for the rejection report);
- ``err:<field>:<tag>``: the reason a value could not be read (null when it could).

How values are read:

- Low-cardinality columns (codes, bools, ints, category, region names) are read on their *distinct*
  values in Python and mapped back with ``replace_strict`` — cost grows with the number of distinct
  spellings, not with rows. Each value is NFKC-normalised (full-width → ASCII), spaces removed, lower
  case; a code is accepted as ``1``, ``01``, ``1.0`` or its Chinese or English label.
- High-cardinality columns (ID numbers, decimals, household numbers, names) are vectorised string
  expressions with a fast path for values already in canonical form; only the other values go
  through the full (slower, still vectorised) reading. The ID number is read and checked by
  :func:`.validate_roster.add_id_columns` (GB 11643 as integer arithmetic).
- Decimals with more decimal places than the model keeps are refused, not rounded (amounts are never
  changed silently); thousands separators (``,``) and spaces are removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from fupin.imports import roster
from fupin.policy import codes

from .validate_roster import add_id_columns, region_name_key

FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]
COMPACT_TEXT = ("household_number", "phone", "bank_account")  # full-width → ASCII, no inner spaces

# Decimal fields: (decimal places, max digits) of the model field.
DECIMAL_SHAPE = {"road_distance_km": (1, 6)}
for _f in ("housing_area_m2", "arable_mu", "irrigated_mu", "forest_mu"):
    DECIMAL_SHAPE[_f] = (2, 9)
MONEY_SHAPE = (2, 12)
SIGNED_DECIMALS = frozenset({"income_per_capita_check"})  # net income per person may be negative

# Model defaults for absent values (fupin.registry.models).
BOOL_DEFAULTS = {"has_electricity": True, "drinking_water_safe": True, "has_medical_insurance": True}
CODE_DEFAULTS = {"identification_standard": "1", "poverty_status": "0", "ethnicity": "01", "schooling": "1",
                 "health": "1", "labour_skill": "1"}
INT_DEFAULTS = {"migrant_months": 0}

TRUE_WORDS = {"是", "有", "1", "y", "yes", "√", "✓", "true", "t", "对"}
FALSE_WORDS = {"否", "无", "0", "n", "no", "×", "✗", "false", "f", "没有", "不是"}


def key(value: object) -> str:
    """Lookup key of a cell: NFKC (full-width → ASCII), no whitespace, lower case, ``1.0`` → ``1``."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).lower()
    return re.sub(r"^(\d+)\.0+$", r"\1", text)


def code_index(code_list: codes.CodeList) -> dict[str, str]:
    """Every accepted spelling of the list's codes (code, 1/01, Chinese and English label) → code."""
    index: dict[str, str] = {}
    for item in code_list.items:
        spellings = [item.code, item.zh, item.en]
        if item.code.isdigit():
            spellings += [str(int(item.code)), item.code.zfill(2)]
        for spelling in spellings:
            if spelling:
                index.setdefault(key(spelling), item.code)
    return index


SEX_EXTRA = {"m": "1", "f": "2", "男性": "1", "女性": "2"}


def distinct_values(frame: pl.DataFrame, fields: list[str]) -> dict[str, list[str]]:
    """Each field's distinct non-null values, found in one pass over the frame (Polars works on the
    columns side by side; one ``unique`` call per column cost about twice as long on 1M rows)."""
    if not fields:
        return {}
    row = frame.select(pl.col(f).drop_nulls().unique().implode() for f in fields).row(0)
    return dict(zip(fields, (list(values) for values in row), strict=True))


def _map_distinct(frame: pl.DataFrame, field: str, read: Callable[[str], tuple[Any, str | None]],
                  dtype: pl.DataType, distinct: dict[str, list[str]] | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(value expr, error expr) for ``field`` by reading each distinct value once in Python
    (``distinct``: found beforehand, :func:`distinct_values`).

    Mapping back is a hash lookup per row; it is skipped where cheaper forms do: no error at all →
    a null literal; every value already canonical → the column itself; booleans → two ``is_in``."""
    values = (distinct[field] if distinct is not None and field in distinct
              else [v for v in frame.get_column(field).unique().to_list() if v is not None])
    results = [read(v) if v.strip() else (None, None) for v in values]
    col = pl.col(field)
    bad = [(v, r[1]) for v, r in zip(values, results, strict=True) if r[1] is not None]
    error = (pl.lit(None, dtype=pl.Utf8) if not bad else
             col.replace_strict([b[0] for b in bad], [b[1] for b in bad], default=None, return_dtype=pl.Utf8))
    if dtype == pl.Boolean:
        trues = [v for v, r in zip(values, results, strict=True) if r[0] is True]
        falses = [v for v, r in zip(values, results, strict=True) if r[0] is False]
        return pl.when(col.is_in(trues)).then(True).when(col.is_in(falses)).then(False), error
    if dtype == pl.Utf8 and all(r[0] == v for v, r in zip(values, results, strict=True)):
        return col, error
    if dtype == pl.Int64 and all(r[0] is not None and str(r[0]) == v.strip() for v, r in zip(values, results, strict=True)):
        return col.str.strip_chars().cast(pl.Int64, strict=False), error
    return col.replace_strict(values, [r[0] for r in results], default=None, return_dtype=dtype), error


def _compact(frame: pl.DataFrame, field: str) -> pl.Expr:
    """Full-width → ASCII and no whitespace, computed on the distinct values that need it only
    (anything outside printable ASCII or with a space); the rest is left as it is."""
    col = pl.col(field)
    dirty = frame.filter(col.str.contains(r"[^!-~]")).get_column(field).unique().to_list()
    if not dirty:
        return col
    fixed = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)) for v in dirty]
    return col.replace_strict(dirty, fixed, default=col, return_dtype=pl.Utf8)


def _code_reader(code_list: codes.CodeList, extra: dict[str, str] | None = None) -> Callable[[str], tuple[Any, str | None]]:
    index = code_index(code_list) | (extra or {})

    def read(value: str) -> tuple[Any, str | None]:
        code = index.get(key(value))
        if code is None:
            return None, f"不是有效的{code_list.zh}代码: {value.strip()} / not a valid {code_list.en} code"
        return code, None
    return read


def _read_bool(value: str) -> tuple[Any, str | None]:
    k = key(value)
    if k in TRUE_WORDS:
        return True, None
    if k in FALSE_WORDS:
        return False, None
    return None, f"不是有效的是/否值: {value.strip()} / not a yes/no value"


def _read_int(value: str) -> tuple[Any, str | None]:
    k = re.sub(r"(年|个月|月)$", "", key(value))
    if re.fullmatch(r"\d{1,6}", k):
        return int(k), None
    return None, f"不是整数: {value.strip()} / not a whole number"


def _read_dilapidated(value: str) -> tuple[Any, str | None]:
    k = key(value).removesuffix("危房").removesuffix("级")
    if k in FALSE_WORDS or k in ("非", "不是危房"):
        return "", None
    if k in TRUE_WORDS:
        return "C", None
    if k in ("c", "d"):
        return k.upper(), None
    return None, f"不是有效的危房等级: {value.strip()} / not a valid dilapidated-housing grade"


def _read_causes(value: str) -> tuple[Any, str | None]:
    index = code_index(codes.POVERTY_CAUSE)
    parts = [p for p in re.split(r"[,、;/|\s]+", unicodedata.normalize("NFKC", value).strip()) if p]
    found: list[str] = []
    for part in parts:
        code = index.get(key(part))
        if code is None:
            return None, f"不是有效的致贫原因代码: {part} / not a valid cause of poverty code"
        found.append(code)
    if len(found) > 2:
        return None, "其他致贫原因最多两项 / at most two other causes"
    if len(set(found)) != len(found):
        return None, "其他致贫原因重复 / other causes repeat"
    return ",".join(found), None


def _read_region_name(value: str) -> tuple[Any, str | None]:
    return region_name_key(value), None


def _read_village_name(value: str) -> tuple[Any, str | None]:
    return region_name_key(value, village=True), None


def _read_region_code(value: str) -> tuple[Any, str | None]:
    k = key(value)
    if re.fullmatch(r"\d{12}", k):
        return k, None
    return None, f"行政区划代码应为12位数字: {value.strip()} / the village code must have 12 digits"


def category_reader(version_given: str | None, default_version: str) -> Callable[[str], tuple[Any, str | None]]:
    """Read 贫困户属性 (code or label) into ``"code|version"``: a label of one form version only
    decides the version; otherwise 属性版本 (``version_given``) or the default is used."""
    version_key = key(version_given).removesuffix("版") if version_given else ""

    def read(value: str) -> tuple[Any, str | None]:
        k = key(value)
        by_label = {v: cl for v, cl in codes.HOUSEHOLD_CATEGORY_BY_VERSION.items()
                    if any(k in (key(i.zh), key(i.en)) for i in cl.items)}
        if version_key and version_key not in codes.HOUSEHOLD_CATEGORY_BY_VERSION:
            return None, f"未知的贫困户属性版本: {version_given} / unknown form version"
        if len(by_label) == 1:
            (version, cl), = by_label.items()
            if version_key and version_key != version:
                return None, (f"贫困户属性“{value.strip()}”属于{version}版,与属性版本{version_key}不符 / "
                              f"category belongs to the {version} form, not {version_key}")
        else:
            version = version_key or default_version
            cl = codes.HOUSEHOLD_CATEGORY_BY_VERSION[version]
        code = code_index(cl).get(k)
        if code is None:
            return None, f"不是有效的{cl.zh}代码: {value.strip()} / not a valid {cl.en} code"
        return f"{code}|{version}", None
    return read


def add_decimal_columns(frame: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """Replace each decimal column by its canonical string (model places; absent → 0) and add
    ``err:<field>:read``.

    Fast path: a plain number (``^[0-9]+(\\.[0-9]+)?$`` within the model's digits) is cast to Decimal and
    back to text; only the distinct values that are not plain go through :func:`_decimal_slow`."""
    clean_cols = {f: f"_dclean:{f}" for f in fields}
    out = frame.with_columns(
        pl.col(f).str.contains(_plain_decimal(f)).fill_null(False).alias(clean_cols[f]) for f in fields)
    exprs: list[pl.Expr] = []
    # the values that are not plain numbers, every column's in one pass
    dirty_of = out.select(pl.col(f).filter(~pl.col(clean_cols[f]) & pl.col(f).is_not_null()).unique().implode()
                          for f in fields).row(0) if fields else ()
    for f, dirty_values in zip(fields, dirty_of, strict=True):
        places, _ = DECIMAL_SHAPE.get(f, MONEY_SHAPE)
        clean = pl.col(clean_cols[f])
        fast = pl.col(f).cast(pl.Decimal(38, places), strict=False).cast(pl.Utf8)
        dirty = pl.Series(f, list(dirty_values), dtype=pl.Utf8)
        default = pl.lit("0." + "0" * places)
        if dirty.len() == 0:
            exprs += [pl.when(clean).then(fast).otherwise(default).alias(f), pl.lit(None, dtype=pl.Utf8).alias(f"err:{f}:read")]
            continue
        slow = _decimal_slow(dirty.to_frame(), [f])
        keys, values, errors = dirty.to_list(), slow.get_column(f).to_list(), slow.get_column(f"err:{f}:read").to_list()
        exprs += [
            pl.when(clean).then(fast).otherwise(
                pl.col(f).replace_strict(keys, values, default=None, return_dtype=pl.Utf8).fill_null(
                    pl.when(pl.col(f).is_null()).then(default))).alias(f),
            pl.when(~clean).then(pl.col(f).replace_strict(keys, errors, default=None, return_dtype=pl.Utf8))
            .alias(f"err:{f}:read"),
        ]
    return out.with_columns(exprs).drop(clean_cols.values())


def _plain_decimal(field: str) -> str:
    places, digits = DECIMAL_SHAPE.get(field, MONEY_SHAPE)
    return rf"^[0-9]{{1,{digits - places}}}(\.[0-9]{{1,{places}}})?$"


def _decimal_slow(frame: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """The full decimal reading (full-width, spaces, separators, reasons), staged."""
    def t(f: str, part: str) -> str:
        return f"_d{part}:{f}"
    out = frame.with_columns(
        pl.col(f).str.replace_many(FULL_WIDTH, HALF_WIDTH).str.replace_all(r"[\s,]", "").alias(t(f, "s"))
        for f in fields
    ).with_columns(
        e for f in fields for e in (
            pl.col(t(f, "s")).str.extract(r"^-?([0-9]*)(?:\.[0-9]*)?$", 1).alias(t(f, "i")),
            pl.col(t(f, "s")).str.extract(r"^-?[0-9]*\.([0-9]*)$", 1).fill_null("").str.strip_chars_end("0").alias(t(f, "f")),
        )
    ).with_columns(
        pl.col(t(f, "i")).str.strip_chars_start("0").alias(t(f, "c")) for f in fields
    )
    reasons, values = [], []
    for f in fields:
        places, digits = DECIMAL_SHAPE.get(f, MONEY_SHAPE)
        s, int_part, frac, int_clean = (pl.col(t(f, x)) for x in "sifc")
        empty = s.is_null() | (s == "")
        negative = s.str.starts_with("-") & s.str.contains(r"[1-9]")
        reasons.append(
            pl.when(empty).then(pl.lit(None, dtype=pl.Utf8))
            .when(int_part.is_null() | s.str.contains(r"^-?\.?$"))
            .then(pl.concat_str([pl.lit("不是数字: "), pl.col(f).str.strip_chars(), pl.lit(" / not a number")]))
            .when(negative & pl.lit(f not in SIGNED_DECIMALS)).then(pl.lit("不能为负数 / must not be negative"))
            .when(frac.str.len_chars() > places)
            .then(pl.lit(f"小数位数过多(最多{places}位) / too many decimal places (at most {places})"))
            .when(int_clean.str.len_chars() > digits - places)
            .then(pl.lit(f"数值过大(整数部分最多{digits - places}位) / number too large"))
            .alias(f"err:{f}:read"))
        canonical = pl.concat_str([pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")),
                                   pl.when(int_clean == "").then(pl.lit("0")).otherwise(int_clean),
                                   pl.lit("."), frac.str.pad_end(places, "0")])
        values.append(pl.when(empty).then(pl.lit("0." + "0" * places)).otherwise(canonical).alias(f))
    out = out.with_columns(reasons).with_columns(
        pl.when(pl.col(f"err:{f}:read").is_null()).then(v) for f, v in zip(fields, values, strict=True))
    return out.drop(t(f, x) for f in fields for x in "sifc")


def normalise_roster(raw: pl.DataFrame, *, default_form_version: str = "2016",
                     today: date | None = None) -> pl.DataFrame:
    """Typed values, ``raw:*`` and ``err:*`` columns for every roster field (see the module docstring)."""
    frame = raw.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c.field) for c in roster.COLUMNS
                             if c.field not in raw.columns)
    if "_id_numeric" not in frame.columns:
        frame = frame.with_columns(pl.lit(False).alias("_id_numeric"))
    present = [c.field for c in roster.COLUMNS if c.field in raw.columns]
    frame = frame.with_columns(pl.col(f).alias(f"raw:{f}") for f in present)
    exprs: list[pl.Expr] = []
    mapped = [c.field for c in roster.COLUMNS if c.kind not in ("id_number", "category", "text", "decimal")
              and c.field != "category_form_version"]
    distinct = distinct_values(frame, mapped)

    def read_distinct(f: str, read: Callable[[str], tuple[Any, str | None]],
                      dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
        return _map_distinct(frame, f, read, dtype, distinct)

    for column in roster.COLUMNS:
        f, kind = column.field, column.kind
        if kind in ("id_number", "category") or f == "category_form_version":
            continue
        if kind == "text":
            text = _compact(frame, f) if f in COMPACT_TEXT else pl.col(f).str.strip_chars()
            exprs.append(pl.when(text.is_null() | (text == "")).then(None if column.required else pl.lit(""))
                         .otherwise(text).alias(f))
            continue
        if kind == "decimal":
            continue
        if kind == "bool":
            value, error = read_distinct(f, _read_bool, pl.Boolean)
            value = value.fill_null(BOOL_DEFAULTS.get(f, False))
        elif kind == "int":
            value, error = read_distinct(f, _read_int, pl.Int64)
            if f in INT_DEFAULTS:
                value = value.fill_null(INT_DEFAULTS[f])
        elif kind.startswith("code:"):
            code_list = codes.ALL_LISTS[kind.split(":", 1)[1]]
            value, error = read_distinct(f, _code_reader(code_list, SEX_EXTRA if f == "sex_check" else None),
                                         pl.Utf8)
            if not column.required:
                value = value.fill_null(CODE_DEFAULTS.get(f, ""))
            if f == "sex_check":
                value = pl.when(value != "").then(value)
        elif kind.startswith("codes:"):
            joined, error = read_distinct(f, _read_causes, pl.Utf8)
            parts = joined.fill_null("").str.split(",")
            exprs += [parts.list.get(0, null_on_oob=True).fill_null("").alias("other_cause_1"),
                      parts.list.get(1, null_on_oob=True).fill_null("").alias("other_cause_2")]
            exprs.append(error.alias(f"err:{f}:read"))
            continue
        elif kind == "dilapidated":
            value, error = read_distinct(f, _read_dilapidated, pl.Utf8)
            value = value.fill_null("")
        elif kind == "region_name":
            reader = _read_village_name if f == "village_name" else _read_region_name
            value, error = read_distinct(f, reader, pl.Utf8)
            value = value.fill_null("")
        elif kind == "region_code":
            value, error = read_distinct(f, _read_region_code, pl.Utf8)
        else:  # pragma: no cover - a new kind in roster.COLUMNS
            raise ValueError(f"unknown roster column kind {kind}")
        exprs += [value.alias(f), error.alias(f"err:{f}:read")]
    exprs += _category_exprs(frame, default_form_version)
    out = frame.with_columns(exprs)
    out = add_id_columns(out, "id_number", "_id_numeric", today=today).rename({"_id_reason": "err:id_number:id"})
    out = add_decimal_columns(out, [c.field for c in roster.COLUMNS if c.kind == "decimal"])
    return out.with_columns(
        pl.coalesce(pl.col("_category_version"), pl.lit(default_form_version)).alias("category_form_version"),
    ).drop("_id_numeric", "_category_version")


def _category_exprs(frame: pl.DataFrame, default_version: str) -> list[pl.Expr]:
    """贫困户属性 + 属性版本 read on their distinct pairs → ``category``, ``_category_version`` and the
    error; when 属性版本 is empty throughout, the lookup is keyed on 贫困户属性 alone."""
    with_version = frame.get_column("category_form_version").null_count() < frame.height
    pairs = frame.select("category", "category_form_version").unique() if with_version else \
        frame.select("category").unique().with_columns(pl.lit(None, dtype=pl.Utf8).alias("category_form_version"))
    keys, values, versions, errors = [], [], [], []
    for category, version in pairs.iter_rows():
        value: str | None = None
        error: str | None = None
        if category is None or category.strip() == "":
            if version and key(version).removesuffix("版") not in codes.HOUSEHOLD_CATEGORY_BY_VERSION:
                error = f"未知的贫困户属性版本: {version} / unknown form version"
        else:
            value, error = category_reader(version, default_version)(category)
        keys.append(f"{category}\x1f{version}" if with_version else category)
        values.append(value.split("|")[0] if value else None)
        versions.append(value.split("|")[1] if value else None)
        errors.append(error)
    if with_version:
        lookup = pl.concat_str([pl.col("category").fill_null("None"), pl.col("category_form_version").fill_null("None")],
                               separator="\x1f")
    else:
        lookup = pl.col("category")

    def mapped(targets: list[str | None]) -> pl.Expr:
        pairs_ = [(k, t) for k, t in zip(keys, targets, strict=True) if k is not None]
        if not any(t is not None for _, t in pairs_):
            return pl.lit(None, dtype=pl.Utf8)
        return lookup.replace_strict([k for k, _ in pairs_], [t for _, t in pairs_], default=None, return_dtype=pl.Utf8)
    return [mapped(values).alias("category"), mapped(versions).alias("_category_version"),
            mapped(errors).alias("err:category:read")]
