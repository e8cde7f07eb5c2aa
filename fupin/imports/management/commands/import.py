"""``fupin import FILE`` — import a roster (花名册导入) through the staged pipeline (FILE may be a ZIP of
rosters, e.g. the villages' files: one batch, rows named by file and row).

``fupin import FILE [--village CODE | --region CODE] [--members-only | --household-columns-only]
[--hold CODE[,CODE…]] [--dry-run]
[--report errors.xlsx]
[--changes changes.xlsx] [--rows-to-fix FILE.xlsx] [--leaving-sheet FILE.xlsx] [--leave-reasons SHEET]
[--allow-leaving] [--as USERNAME] [--comment TEXT]``:
lands the file, validates every row, shows the counts and merges in one transaction (the CLI is its own
reviewer). A file that lists a registered household without some of its members would mark them as
left: the command then stops before the merge (the batch left at review; ``--changes`` is written
from the batch, so they can be checked in it) unless ``--allow-leaving`` says that was checked (核对减员).
Without ``--as`` the command
acts as the system (every region); with it, as that user (their region only; rows for other villages
are rejected). ``--dry-run`` lands nothing and writes nothing: it prints what the import would do.
``--report`` writes the rejected rows, ``--changes`` the list of changes (变更明细: each changed field of a
registered household or member with its old and new value, persons joining, persons leaving — what the
merge wrote, or with ``--dry-run`` what it would write); both as xlsx, ID numbers and bank accounts
masked unless the acting user may see them, and both recorded as exports (导出记录). ``--rows-to-fix``
writes 待改正的行: the rejected rows as the file held them (原行号, 错误原因, then the roster columns;
sheet 花名册), to correct and import again — from the batch's landed file after the check and before
the merge, or with ``--dry-run`` from the file as it is; nothing is written when no row was rejected; masked and recorded like the others (kind ``rows_to_fix``). A progress bar
goes to stderr; the last line on stdout is ``read=N imported=N rejected=N``.

减员原因 from the command line: ``--leaving-sheet FILE.xlsx`` writes the batch's persons leaving as the
sheet to fill in (减员原因表, as the page's download; recorded as an export), and ``--leave-reasons
SHEET`` gives the reasons a filled sheet holds before the merge — all or nothing: a sheet with errors
stops the command listing every row, the batch left at review. The usual round: import without
``--allow-leaving`` and with ``--leaving-sheet``; the villages fill the sheet; import the same file again
with ``--leave-reasons`` and ``--allow-leaving``. Neither option goes with ``--dry-run`` (no batch).

只更新所列成员: ``--members-only`` imports the file as a list of some persons (:mod:`fupin.imports.pipelines.
diff_members`): only their own columns are updated, household columns are not read, nobody is added, moved or
leaves; rows that do not name a registered member of a registered household are rejected.
只更新户信息: ``--household-columns-only`` reads one row per household (the 户花名册 export, or a person
roster) and updates the households' own columns (:mod:`fupin.imports.pipelines.diff_household_columns`).

暂缓导入 from the command line: ``--hold CODE`` (repeatable, or codes separated by commas) holds back
those villages of the file, as the review page's ticks do (:mod:`fupin.imports.holding`): their rows are
rejected ("该村在审核时暂缓导入") and the rest is imported; a code that is not a village of the import's
region stops the command before the file is read; a held village the file does not hold is named; holding
every village of the file stops the command (the batch left at review).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.core.xlsx_sheet import TooManyRows
from fupin.imports import holding, leaving, services
from fupin.imports.choices import BatchStatus, ExportChannel, ImportMode
from fupin.imports.exports import CHANGES, LEAVING, REJECTIONS, ROWS_TO_FIX, record_report
from fupin.imports.management.acting import acting_user, default_region
from fupin.imports.models import leaving_share, many_leaving
from fupin.imports.pipelines import change_list, leave_sheet
from fupin.imports.pipelines.read_roster import read_roster


class ProgressBar:
    def __init__(self, stream: Any, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled

    def __call__(self, percent: int, label: str) -> None:
        if not self.enabled:
            return
        filled = percent * 30 // 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% {label[:50]:<50}")
        if percent >= 100:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "导入花名册 / import a roster file (xlsx, xls, ods, CSV or tab-delimited text, or a ZIP of them)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--village", default="", help="只导入该村 / only this village (12-digit code)")
        where.add_argument("--region", default="", help="只导入该区域 / only this region (code)")
        parser.add_argument("--dry-run", action="store_true", help="只校验不入库 / check only, write nothing")
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--household-columns-only", action="store_true",
                          help="只更新户信息:文件每户一行(户花名册),只改户的信息,成员、户主、人口不变,收入重算 / update only "
                               "the households' own columns (one row per household, the household roster); members, "
                               "head and size stay, incomes are computed again")
        only.add_argument("--members-only", action="store_true",
                            help="只更新所列成员:只改文件中所列人员的成员信息,不读户信息,不增减成员 / update only the "
                                 "persons listed (their own columns); household columns are not read, nobody is "
                                 "added, moved or leaves")
        parser.add_argument("--report", default="", help="把错误行写入该xlsx / write rejected rows to this xlsx")
        parser.add_argument("--changes", default="", help="把变更明细写入该xlsx / write the list of changes to "
                                                          "registered households to this xlsx")
        parser.add_argument("--rows-to-fix", default="", metavar="FILE.xlsx",
                            help="把错误行按原样写入该xlsx(含原行号、错误原因),改正后可再导入 / write the rejected rows "
                                 "as the file held them to this xlsx, to correct and import again")
        parser.add_argument("--leaving-sheet", default="", metavar="FILE.xlsx",
                            help="把减员名单写成待填写减员原因的xlsx / write the persons leaving as the sheet to fill in "
                                 "with their reasons")
        parser.add_argument("--leave-reasons", default="", metavar="SHEET",
                            help="入库前按已填写的减员原因表填写减员原因 / give the reasons a filled sheet holds before "
                                 "the merge")
        parser.add_argument("--allow-leaving", action="store_true",
                            help="允许注销文件中该户没有的在册成员(核对减员) / let the merge mark registered members "
                                 "missing from their household in the file as left")
        parser.add_argument("--hold", action="append", default=[], metavar="CODE[,CODE…]",
                            help="暂缓导入这些村(12位村代码,可重复):其行不入库,其余照常 / hold back these villages "
                                 "(12-digit codes, repeatable): their rows are rejected, the rest is imported")
        parser.add_argument("--as", dest="as_user", default="", help="以该用户身份 / act as this user")
        parser.add_argument("--comment", default="", help="入库说明 / merge comment")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在: {path} / no such file")
        if opts["rows_to_fix"] and Path(opts["rows_to_fix"]).suffix.lower() != ".xlsx":
            raise CommandError("--rows-to-fix 写出 xlsx 文件,请给 .xlsx 文件名 / --rows-to-fix writes an xlsx: "
                               "give a FILE.xlsx")
        if opts["leaving_sheet"] and Path(opts["leaving_sheet"]).suffix.lower() != ".xlsx":
            raise CommandError("--leaving-sheet 写出 xlsx 文件,请给 .xlsx 文件名 / --leaving-sheet writes an xlsx: "
                               "give a FILE.xlsx")
        if opts["dry_run"] and (opts["leaving_sheet"] or opts["leave_reasons"]):
            raise CommandError("--leaving-sheet 与 --leave-reasons 需要导入批次,不能与 --dry-run 同用 / "
                               "--leaving-sheet and --leave-reasons need a batch: not with --dry-run")
        if opts["leave_reasons"] and not Path(opts["leave_reasons"]).is_file():
            raise CommandError(f"文件不存在: {opts['leave_reasons']} / no such file")
        user = acting_user(opts["as_user"])
        region = opts["village"] or opts["region"] or default_region(user)
        bar = ProgressBar(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr,
                          not opts["no_progress"])
        full = services.may_see_full_numbers(user)
        mode = (ImportMode.MEMBERS if opts["members_only"] else ImportMode.HOUSEHOLD_COLUMNS
                if opts["household_columns_only"] else ImportMode.HOUSEHOLDS)
        if mode == ImportMode.MEMBERS:
            self.stdout.write("导入方式:只更新所列成员(不读取户信息,不新增、迁移或减少成员)/ import mode: listed persons "
                              "only (household columns not read; nobody added, moved or leaving)")
        elif mode == ImportMode.HOUSEHOLD_COLUMNS:
            self.stdout.write("导入方式:只更新户信息(成员、户主、人口不变,收入按登记人口重算)/ import mode: household "
                              "columns only (members, head and size unchanged; incomes computed again)")
        try:
            held = holding.villages_to_hold([c for given in opts["hold"] for c in given.split(",")],
                                            region or None)
            if opts["dry_run"]:
                checked, diff, counts = services.preview_file(path, actor=user, region_code=region, progress=bar,
                                                              held=held, mode=mode)
                self._parts(checked.parts, checked.encoding)
                self._held(held, {v["village_code"] for v in counts["by_village"]
                                  if any(v.get(k, 0) for k in ("new", "changed", "unchanged", "rejected"))}, None)
                if opts["report"]:
                    rejections = services.all_rejections(checked, diff)
                    self._report(user, region or "", services.rejections_frame_xlsx(rejections, full=full,
                                                                                    parts=checked.parts,
                                                                                    sheets=checked.encoding != "zip"),
                                 rejections.height, opts["report"], REJECTIONS)
                if opts["changes"]:
                    changes = change_list.change_list(diff)
                    self._report(user, region or "", services.changes_frame_xlsx(changes, full=full), changes.height,
                                 opts["changes"], CHANGES)
                if opts["rows_to_fix"]:
                    rejections = services.all_rejections(checked, diff)
                    self._rows_to_fix(user, region or "", opts["rows_to_fix"], rejected=rejections.height, full=full,
                                      make=lambda: _dry_rows_to_fix(path, rejections, full=full, region=region))
                self._summary(counts, dry=True)
                return
            batch = services.land_file(actor=user, file_name=path.name, path=path, region_code=region, source="cli",
                                       mode=mode)
            if held:
                holding.hold_before_check(actor=user, batch_id=batch.pk, villages=held, source="cli")
            batch = services.validate_batch(batch.pk, progress=bar)
            if batch.status == BatchStatus.FAILED:
                raise CommandError(f"校验失败 / validation failed: {batch.error}")
            self._parts(batch.source_files or (), batch.encoding)
            self._held(held, holding.villages_with_rows(batch), batch.pk)
            if opts["report"]:
                self._report(user, batch.region_code, services.rejections_xlsx(batch.pk, full=full),
                             batch.rejections.count(), opts["report"], REJECTIONS)
            if opts["rows_to_fix"]:
                fix = batch
                self._rows_to_fix(user, batch.region_code, opts["rows_to_fix"], rejected=batch.rows_rejected,
                                  full=full, make=lambda: services.rows_to_fix_xlsx(fix, full=full),
                                  batch_id=batch.pk)
            if batch.persons_left and opts["leave_reasons"]:
                self._leave_reasons(user, batch.pk, Path(opts["leave_reasons"]))
            if batch.persons_left and opts["leaving_sheet"]:
                content, rows = leaving.sheet_xlsx(batch, full=full)
                self._report(user, batch.region_code, content, rows, opts["leaving_sheet"], LEAVING)
                self.stdout.write(f"减员名单 {rows} 人已写入 {opts['leaving_sheet']} / {rows} persons leaving written "
                                  f"to {opts['leaving_sheet']}")
            if batch.persons_left and not opts["allow_leaving"]:
                self._summary(self._counts(batch), dry=True)
                if opts["changes"]:  # the list to check them in, as reviewed (nothing merged)
                    content, rows = services.changes_xlsx(batch, full=full)
                    self._report(user, batch.region_code, content, rows, opts["changes"], CHANGES)
                raise CommandError(
                    f"入库将注销 {batch.persons_left} 名成员(文件中该户无此人):用 --dry-run --changes 核对后加 --allow-leaving "
                    f"再导入(减员原因:--leaving-sheet 写出减员原因表,填好后以 --leave-reasons 给出);批次 #{batch.pk} 未入库,待审核,"
                    f"可在 /imports/{batch.pk}/leaving/ 填写减员原因后确认入库 / the "
                    f"merge would mark {batch.persons_left} registered persons as left (not in their household in the "
                    "file): check them (--dry-run --changes) and import again with --allow-leaving (their reasons: "
                    "--leaving-sheet writes the sheet, --leave-reasons gives it back filled); batch "
                    f"#{batch.pk} not merged, left at review, where /imports/{batch.pk}/leaving/ takes the reasons "
                    "for leaving before it is merged")
            batch = services.merge_batch(actor=user, batch_id=batch.pk, comment=opts["comment"], progress=bar,
                                         persons_left_confirmed=batch.persons_left)
            if opts["changes"]:  # after the merge: a list made again at the merge holds the values written
                content, rows = services.changes_xlsx(batch, full=full)
                self._report(user, batch.region_code, content, rows, opts["changes"], CHANGES)
        except services.ImportRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"批次 / batch #{batch.pk} {batch.get_status_display()}")
        self._summary(self._counts(batch), dry=False)

    def _parts(self, parts: Sequence[str], encoding: str) -> None:
        """Name the parts read (a ZIP's files, a workbook's roster sheets), the first ten of them."""
        if not parts:
            return
        shown = "、".join(parts[:10]) + (f" …(共{len(parts)}个)" if len(parts) > 10 else "")
        if encoding == "zip":
            self.stdout.write(f"压缩包中的文件 {len(parts)} 个:{shown} / files in the ZIP: {len(parts)}")
        else:
            self.stdout.write(f"读取的工作表 {len(parts)} 个:{shown} / sheets read: {len(parts)}")

    def _held(self, held: list[str], with_rows: set[str], batch_id: int | None) -> None:
        """Report the villages held back (``--hold``): those the file does not hold are named; holding
        every village the file holds stops the command (a batch is left at review, nothing merged)."""
        if not held:
            return
        absent = [v for v in held if v not in with_rows]
        if absent:
            self.stdout.write(f"文件中没有村 {', '.join(absent)},无需暂缓 / the file holds no rows of "
                              f"{', '.join(absent)}: nothing to hold back there")
        if with_rows and with_rows <= set(held):
            left = f";批次 #{batch_id} 未入库,待审核 / batch #{batch_id} not merged, left at review" if batch_id else ""
            raise CommandError("不能暂缓全部的村:整个文件都不入库则无需导入 / every village of the file would be held "
                               f"back: nothing would be imported{left}")
        present = [v for v in held if v in with_rows]
        if present:
            self.stdout.write(f"暂缓导入的村 / villages held back: {', '.join(present)}")

    def _leave_reasons(self, user: Any, batch_id: int, sheet: Path) -> None:
        """Give the reasons of a filled 减员原因表; a refused sheet stops the command with every error."""
        try:
            applied = leaving.give_reasons_from_sheet(actor=user, batch_id=batch_id, path=sheet, file_name=sheet.name,
                                                      source="cli")
        except leaving.LeaveSheetRefused as exc:
            lines = "\n".join(leave_sheet.error_lines(exc.errors))
            raise CommandError(f"减员原因表 {sheet.name} 有 {exc.errors.height} 处错误,未填写任何原因;批次 #{batch_id} 未入库,"
                               f"待审核 / the sheet has {exc.errors.height} errors: no reason given; batch #{batch_id} "
                               f"not merged, left at review\n{lines}") from exc
        self.stdout.write(f"减员原因表:{applied.reasons} 人填写了原因({applied.changed} 项变更),{applied.empty} 行未填,"
                          f"{applied.ignored} 行为文件所定原因 / sheet: reasons for {applied.reasons} persons "
                          f"({applied.changed} changed), {applied.empty} rows empty, {applied.ignored} rows with the "
                          "file's own reason")

    @staticmethod
    def _counts(batch: Any) -> dict[str, Any]:
        return {k: getattr(batch, k) for k in (
            "rows_read", "rows_imported", "rows_rejected", "households_new", "households_changed",
            "households_unchanged", "persons_new", "persons_changed", "persons_unchanged", "persons_left",
            "persons_moved", "households_absent", "rows_hidden")}

    def _report(self, user: Any, region_code: str, content: bytes, rows: int, path: str, kind: str) -> None:
        """Write a batch's report (the rejected rows, or the list of changes) and record it (导出记录: it
        names people)."""
        Path(path).write_bytes(content)
        record_report(user, region_code, kind, content, rows=rows, channel=ExportChannel.CLI,
                      file_name=Path(path).name)

    def _rows_to_fix(self, user: Any, region_code: str, path: str, *, rejected: int, full: bool,
                     make: Callable[[], tuple[bytes, int]], batch_id: int | None = None) -> None:
        """Write 待改正的行 (``make``: the xlsx and its rows; a batch's before its merge, or a dry run's) and
        record it; no rejected row: nothing written. The landed file missing or changed, or more rows than
        a sheet holds: the command stops (a batch is left at review, nothing merged)."""
        if not rejected:
            self.stdout.write(f"没有错误行,未写入 {path} / no rejected rows: {path} not written")
            return
        try:
            content, rows = make()
        except (services.ImportRefused, TooManyRows) as exc:
            message = exc.message if isinstance(exc, services.ImportRefused) else str(exc)
            if batch_id is not None:
                message += f"\n批次 #{batch_id} 未入库,待审核 / batch #{batch_id} not merged, left at review"
            raise CommandError(message) from exc
        self._report(user, region_code, content, rows, path, ROWS_TO_FIX)
        self.stdout.write(f"待改正的行 {rows} 行已写入 {path} / {rows} rows to correct written to {path}")
        if not full:
            self.stdout.write("证件号码与银行账号已隐去,该文件不能原样再导入 / ID numbers and bank accounts are masked: "
                              "the file cannot be imported again as it is")

    def _summary(self, c: dict[str, Any], *, dry: bool) -> None:
        head = "试运行,未写入 / dry run, nothing written: " if dry else ""
        self.stdout.write(
            f"{head}户 households new={c['households_new']} changed={c['households_changed']} "
            f"unchanged={c['households_unchanged']}; 人 persons new={c['persons_new']} "
            f"changed={c['persons_changed']} unchanged={c['persons_unchanged']}")
        if c.get("persons_left"):
            if dry:
                self.stdout.write(f"成员减少 {c['persons_left']} 人(文件中该户无此人,入库后将注销)/ persons leaving "
                                  f"(not in their household in the file; the merge marks them as left): "
                                  f"left={c['persons_left']}")
            else:
                self.stdout.write(f"成员减少 {c['persons_left']} 人(文件中该户无此人,已注销)/ persons leaving "
                                  f"(not in their household in the file; marked as left): left={c['persons_left']}")
        if c.get("persons_left") and many_leaving(c["persons_left"], c["persons_changed"], c["persons_unchanged"]):
            share = round(100 * leaving_share(c["persons_left"], c["persons_changed"], c["persons_unchanged"]))
            self.stdout.write(f"注意:减员占文件中已登记户成员的{share}%,该文件可能不是完整的花名册(如按人员筛选导出的名单;只更新所列人员请加 "
                              f"--members-only)/ warning: {share} % of the registered persons of the file's households "
                              "would leave; the file may not be a whole roster (e.g. a list exported with person "
                              "filters; to update only the persons listed, add --members-only)")
        if c.get("persons_moved"):
            self.stdout.write(f"其中 {c['persons_moved']} 人在文件的另一户中(分户或迁至他户)/ of them, listed in another "
                              f"household of the file (split off or moved): moved={c['persons_moved']}")
        if c.get("rows_hidden"):
            self.stdout.write(f"其中 {c['rows_hidden']} 行在表格中是隐藏的(如筛选后),已一并读取和校验 / of the rows read, "
                              f"hidden in the sheet (e.g. by a filter), read and checked like the others: "
                              f"hidden={c['rows_hidden']}")
        if c.get("households_absent"):
            self.stdout.write(f"在册但文件中没有的户(不变) / registered households of the file's villages not in the file "
                              f"(left as they are): absent={c['households_absent']}")
        self.stdout.write(f"read={c['rows_read']} imported={c['rows_imported']} rejected={c['rows_rejected']}")


def _dry_rows_to_fix(path: Path, rejections: pl.DataFrame, *, full: bool, region: str | None) -> tuple[bytes, int]:
    """待改正的行 of a dry run: the file read again as it is, with the preview's rejections (and the
    region's place names, when the command was given one)."""
    raw = read_roster(path)
    frame = services.rows_to_fix_frame(raw.frame, rejections, full=full, parts=raw.parts,
                                       sheets=raw.encoding != "zip")
    return services.rows_to_fix_frame_xlsx(frame, region_code=region), frame.height
