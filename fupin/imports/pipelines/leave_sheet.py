"""减员原因表 — the persons a batch marks as left, as a sheet to fill in away from the system, and the
filled sheet read back (issue 3, where it is silent).

A county's monthly roster can leave hundreds of persons without a reason in the file (they are not in
it). The villages know why — died, married out — and answer on paper or in a spreadsheet, not in the
county's browser. So the list goes out as an xlsx (:func:`sheet_frame`, a drop-down of the reasons on
减员原因) and comes back, filled, through the same reader as the department lists
(:func:`fupin.screening.pipelines.read_list.read_list` with :data:`LEAVE_SHEET`: title rows, headers
spelled with spaces or full-width characters, xlsx/xls/ods/CSV in UTF-8 or GBK). A village may also
send a list of its own: the columns are found by their headers, and a person is named by the
system's member number (成员编号) or by the full ID number.

:func:`read_filled` decides, row by row and as column work:

- A row whose 减员原因 is empty changes nothing (a reason given earlier stays; the page takes one back).
  A comment without a reason is an error: it would be lost.
- The person: by 成员编号 when given (the ID number, when also given in full, must be theirs), else by
  the full ID number — a masked one (``3504**********1234``, from a sheet downloaded by a role without
  full numbers) or one a spreadsheet stored as a number (digits lost) cannot name anyone. The person
  must be among the batch's persons leaving.
- The reason: code, Chinese or English label (``death``, ``死亡``, ``Death``), one that can be given
  (:data:`~.leave_reasons.GIVEN_REASONS`; 分户 only the file can say). For a person whose reason the
  file gives (分户, 迁至户) the row is ignored when it repeats that reason and an error otherwise.
- The comment (说明): at most :data:`COMMENT_MAX` characters.
- The same person twice: an error on the later row unless it says the same.
- A workbook of several sheets (a township's villages, a sheet each) is read whole, as department
  lists are; each error names its sheet (:func:`by_sheet`).

The service applies the sheet all or nothing: one error refuses it, every error named by row, column
and reason. Pure column work, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fupin.policy import codes
from fupin.policy.department_lists import ListColumn

from . import zip_rosters
from .leave_reasons import FILE_SILENT, GIVEN_REASONS
from .normalise_roster import code_index

COMMENT_MAX = 200


@dataclass(frozen=True)
class SheetColumns:
    """The columns of a sheet read by the department lists' reader (its ``kind``)."""

    id: str
    columns: tuple[ListColumn, ...]

    def header(self, field: str) -> str:
        return next(c.header for c in self.columns if c.field == field)


LEAVE_SHEET = SheetColumns("leave_reasons", (
    ListColumn("member_id", "成员编号", "Member number", aliases=("系统编号", "成员id", "member id")),
    ListColumn("household_number", "户编号", "Household number"),
    ListColumn("name", "姓名", "Name"),
    ListColumn("id_number", "证件号码", "ID number", aliases=("身份证号码", "身份证号", "公民身份号码", "证件号")),
    ListColumn("relation", "与户主关系", "Relation to head"),
    ListColumn("file_reason", "文件所定原因", "Reason in the file"),
    ListColumn("reason", "减员原因", "Reason for leaving", aliases=("减少原因", "成员减少原因", "reason")),
    ListColumn("comment", "说明", "Comment", aliases=("原因说明", "备注")),
))
#: The sheet's headers in order (the download writes them; the reader finds them in any order).
HEADERS = tuple(c.header for c in LEAVE_SHEET.columns)
REASON_HEADER, COMMENT_HEADER = LEAVE_SHEET.header("reason"), LEAVE_SHEET.header("comment")
#: The drop-down of 减员原因: the reasons that can be given, as their Chinese labels.
REASON_LABELS = tuple(codes.MEMBER_LEAVE_REASON.label(r) for r in GIVEN_REASONS)


def _labels(column: str, code_list: codes.CodeList) -> pl.Expr:
    return pl.col(column).replace_strict([i.code for i in code_list.items], [i.zh for i in code_list.items],
                                         default=pl.col(column), return_dtype=pl.Utf8)


def sheet_frame(persons: pl.DataFrame) -> pl.DataFrame:
    """The download: ``persons`` (:data:`fupin.imports.leaving.LEAVING_COLUMNS`, ID numbers already masked
    or not) under :data:`HEADERS`. 减员原因 holds the reason the merge will write where it is decided
    (given, or read from the file) and is empty where nobody has said; 文件所定原因 names the file's
    reason and household (``迁出(迁至户 …)``) for the rows the sheet cannot change."""
    silent = pl.col("file_reason") == FILE_SILENT
    file_reason = _labels("file_reason", codes.MEMBER_LEAVE_REASON)
    return persons.select(
        pl.col("member_id").cast(pl.Int64).alias(LEAVE_SHEET.header("member_id")),
        pl.col("household_number").alias(LEAVE_SHEET.header("household_number")),
        pl.col("name").alias(LEAVE_SHEET.header("name")),
        pl.col("id_number").alias(LEAVE_SHEET.header("id_number")),
        _labels("relation", codes.RELATION).alias(LEAVE_SHEET.header("relation")),
        pl.when(silent).then(pl.lit(""))
        .when(pl.col("moved_to").fill_null("") != "")
        .then(pl.concat_str([file_reason, pl.lit("(迁至户 "), pl.col("moved_to"), pl.lit(")")]))
        .otherwise(file_reason).alias(LEAVE_SHEET.header("file_reason")),
        pl.when(silent & ~pl.col("given")).then(pl.lit("")).otherwise(_labels("reason", codes.MEMBER_LEAVE_REASON))
        .alias(REASON_HEADER),
        pl.when(silent).then(pl.col("comment").fill_null("")).otherwise(pl.lit("")).alias(COMMENT_HEADER),
    )


@dataclass(frozen=True)
class FilledSheet:
    """What a filled sheet says: ``reasons`` to give (``member_id``, ``reason``, ``comment``; one row per
    person), ``errors`` (``row``, ``column``, ``reason``; in row order), and how many rows were read,
    left empty or ignored (a reason the file already gives, repeated)."""

    reasons: pl.DataFrame
    errors: pl.DataFrame
    rows: int
    empty: int
    ignored: int

    def reason_map(self) -> dict[int, tuple[str, str]]:
        return {r["member_id"]: (r["reason"], r["comment"]) for r in self.reasons.iter_rows(named=True)}


ERROR_SCHEMA = {"row": pl.Int64, "column": pl.Utf8, "reason": pl.Utf8}
_ALLOWED = "、".join(REASON_LABELS)


def _clean(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Utf8).str.strip_chars().fill_null("")


def read_filled(sheet: pl.DataFrame, leaving: pl.DataFrame) -> FilledSheet:
    """Read a filled 减员原因表. ``sheet``: the reader's frame (``_row``, ``_id_numeric`` and the fields
    of :data:`LEAVE_SHEET`, strings, null where empty); ``leaving``: the batch's persons leaving with
    full ID numbers (``member_id``, ``id_number``, ``file_reason``). See the module docstring."""
    reason_index = code_index(codes.MEMBER_LEAVE_REASON)
    id_text = _clean("id_number").str.normalize("NFKC").str.replace_all(r"\s+", "").str.to_uppercase()
    member_text = _clean("member_id").str.normalize("NFKC").str.replace_all(r"\s+", "")
    rows = sheet.select(
        pl.col("_row").cast(pl.Int64), pl.col("_id_numeric").fill_null(False).alias("numeric"),
        member_text.alias("member_text"), id_text.alias("id_text"),
        _clean("reason").alias("reason_text"), _clean("comment").alias("comment"),
    ).with_columns(
        pl.col("member_text").str.replace(r"\.0+$", "").str.to_integer(strict=False).alias("member_key"),
        pl.col("reason_text").str.normalize("NFKC").str.replace_all(r"\s+", "").str.to_lowercase()
        .replace_strict(reason_index, default=None, return_dtype=pl.Utf8).alias("code"),
    )
    people = leaving.select(pl.col("member_id").cast(pl.Int64), pl.col("id_number").cast(pl.Utf8),
                            pl.col("file_reason").cast(pl.Utf8))
    by_number = people.select(pl.col("id_number").alias("id_text"), pl.col("member_id").alias("by_id"))
    rows = (rows.join(people.select(pl.col("member_id").alias("member_key"), pl.col("id_number").alias("member_id_number")),
                      on="member_key", how="left", maintain_order="left")
            .join(by_number.unique("id_text", keep="first"), on="id_text", how="left", maintain_order="left")
            .with_columns(pl.coalesce("member_key", "by_id").alias("member_id"))
            .join(people.select("member_id", "file_reason"), on="member_id", how="left", maintain_order="left"))
    filled = rows.filter(pl.col("reason_text") != "")
    member_header, id_header = LEAVE_SHEET.header("member_id"), LEAVE_SHEET.header("id_number")
    given_member = pl.col("member_text") != ""
    full_id = pl.col("id_text").str.contains(r"^[0-9]{17}[0-9X]$|^[0-9]{15}$")
    error = (
        pl.when(given_member & pl.col("member_key").is_null())
        .then(pl.struct(column=pl.lit(member_header), reason=pl.concat_str([
            pl.lit("不是成员编号: "), pl.col("member_text"), pl.lit(" / not a member number")])))
        .when(given_member & pl.col("file_reason").is_null())
        .then(pl.struct(column=pl.lit(member_header), reason=pl.lit(
            "该成员不在本批次的减员名单中 / this member is not among the persons the batch marks as left")))
        .when(given_member & full_id & ~pl.col("numeric") & (pl.col("id_text") != pl.col("member_id_number")))
        .then(pl.struct(column=pl.lit(id_header), reason=pl.lit(
            "证件号码与成员编号不是同一人 / the ID number is not that member's")))
        .when(~given_member & (pl.col("id_text") == ""))
        .then(pl.struct(column=pl.lit(id_header), reason=pl.lit(
            "没有成员编号或证件号码,不知是谁 / neither a member number nor an ID number names the person")))
        .when(~given_member & pl.col("numeric"))
        .then(pl.struct(column=pl.lit(id_header), reason=pl.lit(
            "证件号码被存成数字,末几位已丢失,请以文本填写 / the ID number was stored as a number and lost digits: "
            "enter it as text")))
        .when(~given_member & pl.col("id_text").str.contains(r"\*"))
        .then(pl.struct(column=pl.lit(id_header), reason=pl.lit(
            "证件号码已隐去,无法辨认;请保留成员编号列 / the ID number is masked and names nobody: keep the member "
            "number column")))
        .when(~given_member & pl.col("by_id").is_null())
        .then(pl.struct(column=pl.lit(id_header), reason=pl.lit(
            "该证件号码不在本批次的减员名单中 / this ID number is not among the persons the batch marks as left")))
        .when(pl.col("code").is_null())
        .then(pl.struct(column=pl.lit(REASON_HEADER), reason=pl.concat_str([
            pl.lit("不是减员原因: "), pl.col("reason_text"), pl.lit(f"(可填:{_ALLOWED}) / not a reason for leaving")])))
        .when((pl.col("file_reason") != FILE_SILENT) & (pl.col("code") != pl.col("file_reason")))
        .then(pl.struct(column=pl.lit(REASON_HEADER), reason=pl.concat_str([
            pl.lit("该人的减员原因由文件决定("),
            _labels("file_reason", codes.MEMBER_LEAVE_REASON),
            pl.lit(")/ the file gives this person's reason")])))
        .when((pl.col("file_reason") == FILE_SILENT) & ~pl.col("code").is_in(list(GIVEN_REASONS)))
        .then(pl.struct(column=pl.lit(REASON_HEADER), reason=pl.lit(
            "分户只能由文件中的户说明,不能填写 / a split is said by the file's households, it cannot be given")))
        .when(pl.col("comment").str.len_chars() > COMMENT_MAX)
        .then(pl.struct(column=pl.lit(COMMENT_HEADER), reason=pl.lit(
            f"说明超过{COMMENT_MAX}字 / the comment is longer than {COMMENT_MAX} characters")))
    )
    checked = filled.with_columns(error.alias("error"))
    ok = checked.filter(pl.col("error").is_null())
    wanted = ok.filter(pl.col("file_reason") == FILE_SILENT)
    first = wanted.group_by("member_id", maintain_order=True).agg(
        pl.col("_row").first().alias("first_row"), pl.col("code").first().alias("first_code"),
        pl.col("comment").first().alias("first_comment"))
    clashes = (wanted.join(first, on="member_id", how="left", maintain_order="left")
               .filter((pl.col("_row") != pl.col("first_row"))
                       & ((pl.col("code") != pl.col("first_code")) | (pl.col("comment") != pl.col("first_comment"))))
               .select(pl.col("_row").alias("row"), pl.lit(REASON_HEADER).alias("column"),
                       pl.concat_str([pl.lit("与第"), pl.col("first_row").cast(pl.Utf8),
                                      pl.lit("行是同一人,但原因或说明不同 / the same person as row "),
                                      pl.col("first_row").cast(pl.Utf8), pl.lit(" with another reason")])
                       .alias("reason")))
    comment_only = rows.filter((pl.col("reason_text") == "") & (pl.col("comment") != "")).select(
        pl.col("_row").alias("row"), pl.lit(REASON_HEADER).alias("column"),
        pl.lit("填了说明但没有减员原因 / a comment without a reason for leaving").alias("reason"))
    errors = pl.concat([
        checked.filter(pl.col("error").is_not_null()).select(
            pl.col("_row").alias("row"), pl.col("error").struct.field("column"), pl.col("error").struct.field("reason")),
        clashes, comment_only,
    ], how="vertical_relaxed").cast(ERROR_SCHEMA).sort("row", maintain_order=True)
    reasons = first.select("member_id", pl.col("first_code").alias("reason"), pl.col("first_comment").alias("comment"))
    return FilledSheet(reasons=reasons, errors=errors, rows=sheet.height,
                       empty=rows.filter((pl.col("reason_text") == "") & (pl.col("comment") == "")).height,
                       ignored=ok.filter(pl.col("file_reason") != FILE_SILENT).height)


def by_sheet(errors: pl.DataFrame, sheets: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """The errors with a ``sheet`` column: for a workbook whose sheets were read together (``sheets``:
    their names; a village's sheet each), each row's sheet and its own row, and another row named in a
    reason as "第2个工作表第5行"; null for a file read as one list."""
    if not sheets:
        return errors.with_columns(pl.lit(None, pl.Utf8).alias("sheet"))
    name, own = zip_rosters.file_and_row(pl.col("row"), sheets)
    return errors.with_columns(name.alias("sheet"), own.alias("row"),
                               zip_rosters.reason_rows(pl.col("reason"), sheets=True).alias("reason"))


def error_lines(errors: pl.DataFrame, limit: int | None = None) -> list[str]:
    """``第5行 减员原因: …`` (``城关镇 第5行 …`` with its sheet, :func:`by_sheet`) for each error (the
    first ``limit``)."""
    frame = errors if limit is None else errors.head(limit)
    return [f"{r['sheet'] + ' ' if r.get('sheet') else ''}第{r['row']}行 {r['column']}: {r['reason']}"
            for r in frame.iter_rows(named=True)]
