"""``fupin export --region CODE --format xlsx|csv [--kind persons|households] OUT [--as USERNAME]
[--poverty-status CODES] [--identified YEAR[-YEAR]] [--exited YEAR[-YEAR]] [--planned-exit YEAR[-YEAR]] [--cause CODES]
[--category VERSION:CODE] [--shortfall GUARANTEES] [--dilapidated C,D|yes] [--sex CODES] [--ethnicity CODES]
[--education CODES] [--schooling CODES]
[--health CODES] [--labour-skill CODES] [--migrant-work CODES] [--age AGES] [--split township|village]`` — the roster (花名册导出).

Person rows in the import's own columns (``--kind households``: the household roster, 户花名册, one
row per household). ``--poverty-status`` (脱贫状态: codes or labels, ``0,3``, ``未脱贫,返贫``, or
``not-exited``), ``--identified`` (识别年度), ``--exited`` (脱贫年度), ``--planned-exit`` (计划脱贫年度), ``--cause`` (致贫原因, main or other)
``--category`` (贫困户属性, ``2016:2`` or a label) and ``--shortfall`` (两不愁三保障未达标: ``housing,water``,
labels, or ``any``) and ``--dilapidated`` (危房户: ``C,D`` or ``yes``) take only the households they name (导出筛选, :mod:`fupin.imports.roster_filter`; kept with the record).
``--sex``, ``--ethnicity`` (``少数民族``), ``--education``, ``--schooling`` (``在校生``), ``--health``, ``--labour-skill`` (``劳动力``), ``--migrant-work``
(``未务工``) and ``--age`` (``16-60``, ``60以上``) take only the members they name (人员筛选): the person
roster holds only them, the household roster their households, whole. ``--split township|village``
writes a ZIP of one file per township or village (分乡镇/分村导出; OUT ends in ``.zip``; the files are xlsx
unless ``--format csv``). Without ``--as`` the command acts as the
system (full IDs, every region); with it, as that user (their scope, IDs masked unless their role
may see them). Each export is recorded (导出记录, channel ``cli``: :mod:`fupin.imports.exports`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.core.xlsx_sheet import TooManyRows
from fupin.imports.choices import ExportChannel
from fupin.imports.exports import export_roster_to
from fupin.imports.management.acting import acting_user
from fupin.imports.pipelines.export_roster import FORMATS, KINDS, SHEETS, SPLITS
from fupin.imports.roster_filter import PERSON_FIELDS, FilterError, parse_filter
from fupin.policy.regions import RegionCodeError


class Command(BaseCommand):
    help = "导出花名册 / export the roster of a region"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out")
        parser.add_argument("--region", required=True, help="区划代码 / region code")
        parser.add_argument("--format", choices=FORMATS, default="", help="xlsx or csv (default: from OUT)")
        parser.add_argument("--kind", choices=tuple(KINDS), default="persons",
                            help="persons 花名册(每人一行) | households 户花名册(每户一行)")
        parser.add_argument("--as", dest="as_user", default="", help="以该用户身份 / act as this user")
        parser.add_argument("--poverty-status", default="", metavar="CODES",
                            help="只导出这些脱贫状态的户(代码或名称,逗号分隔;not-exited=未脱贫口径 0,2,3) / only households "
                                 "of these poverty statuses (codes or labels; not-exited = 0,2,3)")
        parser.add_argument("--identified", default="", metavar="YEAR[-YEAR]",
                            help="只导出该识别年度的户 / only households identified in this year (or range)")
        parser.add_argument("--exited", default="", metavar="YEAR[-YEAR]",
                            help="只导出该脱贫年度的户 / only households that exited in this year (or range)")
        parser.add_argument("--planned-exit", default="", metavar="YEAR[-YEAR]",
                            help="只导出该计划脱贫年度的户 / only households planned to exit in this year (or range)")
        parser.add_argument("--cause", default="", metavar="CODES",
                            help="只导出这些致贫原因(主要或其他)的户 / only households with one of these causes (main or other)")
        parser.add_argument("--category", default="", metavar="VERSION:CODE",
                            help="只导出这些贫困户属性的户(如 2016:2 或 低保贫困户)/ only households of these categories "
                                 "(2016:2 or a label)")
        parser.add_argument("--shortfall", default="", metavar="GUARANTEES",
                            help="只导出两不愁三保障有未达标项的户(food,clothing,education,medical,housing,water 或其名称;"
                                 "any=任一项)/ only households falling short on any of these guarantees (any: all six)")
        parser.add_argument("--dilapidated", default="", metavar="GRADES",
                            help="只导出危房户(C、D 级,是=两级)/ only households whose house is graded C or D (yes: both)")
        for person in PERSON_FIELDS:  # 人员筛选: --education, --schooling, --health, --labour-skill, --migrant-work
            words = "".join(f";{w[0]}" for w, _codes in person.groups)
            parser.add_argument(f"--{person.field.replace('_', '-')}", default="", metavar="CODES",
                                help=f"人员筛选 {person.zh}(代码或名称{words})/ only members with these "
                                     f"{person.field.replace('_', ' ')} codes")
        parser.add_argument("--age", default="", metavar="AGES",
                            help="人员筛选 年龄,按导出当日周岁(16-60、60以上、18以下)/ only members of these ages "
                                 "(whole years on the day)")
        parser.add_argument("--split", choices=tuple(SPLITS), default="",
                            help="按乡镇或行政村拆分为多个文件,打包为zip;sheets:一个xlsx,每村一个工作表(分村分表)/ one file "
                                 "per township or village, in a ZIP; sheets: one xlsx, a sheet per village")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["out"])
        if opts["split"] == SHEETS:
            if out.suffix.lower() != ".xlsx" or opts["format"] not in ("", "xlsx"):
                raise CommandError("--split sheets 写出一个 xlsx 文件,请给 .xlsx 文件名 / --split sheets writes one xlsx: "
                                   "give an OUT.xlsx")
        elif opts["split"] and out.suffix.lower() != ".zip":
            raise CommandError("--split 写出 zip 文件,请给 .zip 文件名 / --split writes a ZIP: give an OUT.zip")
        # a split export's parts are xlsx unless --format says csv
        fmt = opts["format"] or ("xlsx" if opts["split"] else out.suffix.lstrip(".").lower())
        if fmt not in FORMATS:
            raise CommandError("请用 --format xlsx|csv / give --format xlsx or csv")
        try:
            roster_filter = parse_filter(poverty_status=opts["poverty_status"], identification_year=opts["identified"],
                                         exit_year=opts["exited"], causes=opts["cause"], categories=opts["category"],
                                         planned_exit_year=opts["planned_exit"], shortfall=opts["shortfall"],
                                         dilapidated=opts["dilapidated"], age=opts["age"],
                                         **{person.field: opts[person.field] for person in PERSON_FIELDS})
        except FilterError as exc:
            raise CommandError(str(exc)) from exc
        # Written beside OUT and renamed when whole: a refused or failed export leaves OUT as it was.
        part = out.with_name(f".{out.name}.part")
        try:
            with part.open("w+b") as fh:  # read back for the record's SHA-256
                record = export_roster_to(acting_user(opts["as_user"]), opts["region"], fmt, opts["kind"], fh,
                                          channel=ExportChannel.CLI, file_name=out.name, roster_filter=roster_filter,
                                          split=opts["split"])
            part.replace(out)
        except (RegionCodeError, TooManyRows) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            part.unlink(missing_ok=True)
        chosen = f" filters={record.filters_text}" if record.filters else ""
        self.stdout.write(f"{out} {out.stat().st_size} bytes rows={record.rows} sha256={record.file_sha256}{chosen} "
                          f"(导出记录 #{record.pk})")
