"""Benchmark of the roster import (issue 3): 1M persons CSV → PostgreSQL, and the comparisons.

    .venv/bin/python bench/import.py [--persons 1000000] [--xlsx-persons 100000] [--skip-orm]
                                     [--pg-url postgres://postgres@127.0.0.1:5432/postgres] [--sqlite/--no-sqlite]
                                     [--reimport/--no-reimport] [--reimport-changed/--no-reimport-changed]
                                     [--export/--no-export] [--members-list/--no-members-list]

Steps (each timed stage runs in a subprocess with ``django.setup()`` pointed at a scratch database):

1. generate (in a process of its own) a roster of N persons with Polars (vectorised; real Sanming villages; ~1 % bad rows:
   wrong ID check characters, unknown codes, bad years) as CSV, and one of ``--xlsx-persons`` as xlsx;
   with ``--reimport-changed`` also a changed copy of the CSV (:func:`change_roster`: a new 联系电话 for ~10 %
   of households, another 文化程度 for ~10 % of persons, incomes untouched) and the list of the households it
   changed;
2. create the scratch database ``fupin_bench_import_<pid>``, ``fupin migrate``, ``fupin load_regions
   --prefix 3504``;
3. **raw**: Polars ``read_csv`` + ``COPY`` of the same rows into a plain text table — the floor;
4. **orm**: the same pipeline but the load through Django ``bulk_create`` (in a rolled-back
   transaction; on a subset of at most ``--orm-persons`` rows, extrapolated linearly, labelled);
5. **xlsx**: the xlsx roster end to end (rolled back); then (``--no-zip`` skips it) the same persons as
   a ZIP of one CSV per village (分村文件打包), end to end and rolled back (``zip100k_s``; the benchmark
   stops unless it imports and rejects what the xlsx did);
6. **pg**: the CSV end to end through the services — land, validate (read + normalise + check,
   diff, store rejections), merge (re-diff, COPY, audit) — committed; validate and merge run in two
   processes as on the web (the upload job, then the reviewer's merge request), and the time is the
   sum of the stages;
   then **export** (``--no-export`` skips it): the loaded registry exported by the system as CSV and as
   xlsx, at once, as a county exports what it has just imported, through the recorded export the page
   and the API use (temporary file, SHA-256 read back, 导出记录) (``export_csv_s``, ``export_xlsx_s``; the
   benchmark stops unless the CSV holds every imported person);
7. **reimport** (``--no-reimport`` skips it): the same CSV again into the registry step 6 loaded — every
   household unchanged, nothing written but the batch (the county's next import of its roster reads
   and compares the registry side; the benchmark stops if anything changed);
8. **reimport-changed** (``--no-reimport-changed`` skips it): the changed copy into the same registry, split
   as step 6 — the county's monthly re-import that changes part of its roster (update of changed members and
   households, their audit rows). The benchmark stops if a household is new, if none changed, or if the
   households and persons changed differ from those the generator changed among the households the
   registry holds (the accepted ones: a change never makes a row invalid, so both files reject the same
   households), or if the registry does not show the writes (the households with the new phone, one
   ``update`` audit row per household whose own values changed and per changed person);
9. **members-list** (``--no-members-list`` skips it): a list of every tenth person (by a hash of 证件号码) with
   the columns 户编号, 证件号码 and 务工状况 — 务工状况 filled where it was empty and emptied where it was
   not — imported with the import mode 只更新所列成员 (``members``) into the same registry, split as step 6
   (``members_list_s``). The benchmark stops unless every accepted row changes one person, nobody is added
   or leaves, and the rows rejected are exactly the list's persons the registry does not hold as
   active members of that household (the generator's bad rows);
10. **sqlite**: the same CSV end to end on a fresh SQLite file.

Before each timed PostgreSQL run the scratch database is checkpointed (:func:`settle`), so that no
run pays for writing out what the one before left behind.

The merge's CPU time is printed beside its wall time: this process's (``client_cpu_s``: Polars, the
binary encoder, psycopg) and, where the server runs on this machine, PostgreSQL's (every ``postgres``
process's time read from ``/proc``, parallel index-build workers included; ``pg_merge_server_cpu_s`` in
the last line). On two cores a merge whose server time is close to its wall time is waiting on the
server's single backend, not on fupin.

Peak memory (``peak_mb``) is the largest resident set of the import's own processes (the validate
and merge workers of every split run on both databases and the xlsx run), read from ``VmHWM`` in ``/proc/self/status``.
Not ``ru_maxrss``: on Linux a child started by ``fork`` + ``exec`` keeps the parent's high-water
mark, so every worker reported this generator's ~4.4 GB. The last line holds every figure as
key=value pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FUPIN = str(Path(sys.executable).with_name("fupin"))
SCRATCH = f"fupin_bench_import_{os.getpid()}"  # per process: two runs never share a database
REGIONS_CSV = ROOT / "fupin" / "data" / "regions-fujian.csv"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰志强文斌海燕红梅小红金凤春花德福永生明亮")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# --- generating a roster (Polars, vectorised) ----------------------------------------------------------

def _pick(values: list[str], h) -> object:
    import polars as pl

    return pl.lit(pl.Series(values)).get((h % len(values)).cast(pl.Int64))


def generate(persons: int, *, seed: int = 1, household_offset: int = 0):
    """A roster frame of ``persons`` rows (roster headers), ~1 % bad rows. ``household_offset`` shifts
    household numbers and ID sequences so two generated files never share a household or person."""
    import polars as pl

    regions = pl.read_csv(REGIONS_CSV, schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8})
    regions = regions.filter(pl.col("code").str.starts_with("3504"))
    names = dict(zip(regions["code"], regions["name"], strict=True))
    villages = regions.filter(pl.col("level") == 5)["code"].sort().to_list()

    n_households = persons // 3 + 10
    hh = pl.DataFrame({"hh": pl.int_range(n_households, eager=True)}).with_columns(
        pl.col("hh").hash(seed).alias("_h"))
    size_table = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6]
    hh = hh.with_columns(
        _pick([str(s) for s in size_table], pl.col("_h")).cast(pl.Int64).alias("size"),
        pl.lit(pl.Series(villages)).get(((pl.col("_h") // 17) % len(villages)).cast(pl.Int64)).alias("village_code"),
    ).with_columns(
        (pl.int_range(pl.len()).over("village_code") + 1 + household_offset).alias("_seq"),
    ).with_columns(
        (pl.col("village_code") + pl.col("_seq").cast(pl.Utf8).str.zfill(5)).alias("户编号"),
    )
    p = (hh.select("hh", "size", "village_code", "户编号", "_h")
         .with_columns(pl.int_ranges(0, pl.col("size")).alias("pos")).explode("pos", empty_as_null=True).head(persons)
         .with_row_index("i"))
    p = p.with_columns(pl.col("i").cast(pl.Int64) + household_offset * 1000)
    # Household size as the file has it (the last household may be cut by head(persons)).
    p = p.with_columns(pl.len().over("hh").alias("size"))
    days = 27_393  # 1940-01-01 .. 2014-12-31
    # Unique ID numbers: heads and spouses (adults, born 1940–1989) use sequences 000–499, the others
    # 500–999; within each pool (birth day, sequence) is a bijection of the row index.
    adult_days = 18_000
    adult = pl.col("pos") < 2
    p = p.with_columns(
        pl.when(adult).then((pl.col("i") * 7919) % adult_days).otherwise((pl.col("i") * 7919) % days).alias("_d"),
        pl.when(adult).then((pl.col("i") // adult_days) % 500)
        .otherwise(500 + (pl.col("i") // days) % 500).alias("_s"),
        pl.col("i").hash(seed + 1).alias("_ph"),
    )
    birth = pl.date(1940, 1, 1) + pl.duration(days=pl.col("_d"))
    p = p.with_columns(birth.alias("_birth"))
    first17 = (pl.col("village_code").str.slice(0, 6) + pl.col("_birth").dt.strftime("%Y%m%d")
               + pl.col("_s").cast(pl.Utf8).str.zfill(3))
    p = p.with_columns(first17.alias("_f17"))
    total = pl.sum_horizontal([pl.col("_f17").str.slice(k, 1).cast(pl.Int64) * w for k, w in enumerate(WEIGHTS)])
    p = p.with_columns((pl.col("_f17") + pl.lit(pl.Series(list("10X98765432"))).get((total % 11).cast(pl.Int64)))
                       .alias("证件号码"))
    male = (pl.col("_s") % 2) == 1
    ph = pl.col("_ph")
    yuan = lambda h, lo, hi: ((h % ((hi - lo) * 100)) + lo * 100).cast(pl.Float64) / 100  # noqa: E731
    hhh = pl.col("_h")
    yes_no = lambda h, k: pl.when((h // k) % 4 == 0).then(pl.lit("是")).otherwise(pl.lit("否"))  # noqa: E731
    wage, business, prop = yuan(hhh // 3, 0, 12000), yuan(hhh // 5, 0, 4000), yuan(hhh // 7, 0, 300)
    dibao = pl.when((hhh // 11) % 5 == 0).then(yuan(hhh // 13, 600, 3000)).otherwise(0.0)
    pension = pl.when((hhh // 19) % 3 == 0).then(yuan(hhh // 23, 0, 1500)).otherwise(0.0)
    expense = yuan(hhh // 29, 0, 1500)
    net = wage + business + prop + dibao + pension - expense
    ident_year = 2014 + (hhh // 31) % 3
    out = p.select(
        pl.col("village_code").str.slice(0, 4).add(pl.lit("0" * 8)).replace_strict(names, default="").alias("市"),
        pl.col("village_code").str.slice(0, 6).add(pl.lit("0" * 6)).replace_strict(names, default="").alias("县"),
        pl.col("village_code").str.slice(0, 9).add(pl.lit("000")).replace_strict(names, default="").alias("乡镇"),
        pl.col("village_code").replace_strict(names, default="").alias("行政村"),
        pl.col("village_code").alias("行政区划代码"),
        (pl.lit("第") + ((hhh // 37) % 9 + 1).cast(pl.Utf8) + pl.lit("组")).alias("自然村(组)"),
        pl.col("户编号"),
        (pl.lit("13") + (hhh % 1_000_000_000).cast(pl.Utf8).str.zfill(9)).alias("联系电话"),
        _pick(["农村信用社", "邮储银行", "农业银行"], hhh // 41).alias("开户银行"),
        (pl.lit("6230") + (hhh % 10**12).cast(pl.Utf8).str.zfill(12)).alias("银行账号"),
        pl.lit("国家标准").alias("识别标准"),
        _pick(["一般贫困户", "一般贫困户", "低保贫困户", "特困供养贫困户"], hhh // 43).alias("贫困户属性"),
        pl.lit("2016").alias("属性版本"),
        _pick(["因病", "因残", "因学", "缺技术", "缺劳力", "缺资金"], hhh // 47).alias("主要致贫原因"),
        _pick(["", "", "因灾", "交通条件落后"], hhh // 53).alias("其他致贫原因"),
        yes_no(hhh, 59).alias("军烈属"), yes_no(hhh, 61).alias("独生子女户"), yes_no(hhh, 67).alias("双女户"),
        pl.lit("未脱贫").alias("脱贫属性"),
        ident_year.cast(pl.Utf8).alias("识别年度"),
        (ident_year + 1 + (hhh // 71) % 3).cast(pl.Utf8).alias("计划脱贫年度"),
        pl.lit("").alias("脱贫年度"),
        _pick(["否", "否", "否", "C", "D"], hhh // 73).alias("危房户"),
        pl.lit("是").alias("饮水安全"), pl.lit("否").alias("饮水困难"), pl.lit("是").alias("通生活用电"),
        yes_no(hhh, 79).alias("有无卫生厕所"),
        _pick(["柴草", "煤炭", "清洁能源"], hhh // 83).alias("主要燃料类型"),
        _pick(["泥土路", "砂石路", "水泥路"], hhh // 89).alias("入户路类型"),
        (((hhh // 97) % 50).cast(pl.Float64) / 10).round(1).cast(pl.Utf8).alias("距村主干路(公里)"),
        yuan(hhh // 101, 30, 150).round(2).cast(pl.Utf8).alias("住房面积(平方米)"),
        yuan(hhh // 103, 0, 5).round(2).cast(pl.Utf8).alias("耕地面积(亩)"),
        pl.lit("0").alias("有效灌溉面积(亩)"),
        yuan(hhh // 107, 0, 10).round(2).cast(pl.Utf8).alias("林地面积(亩)"),
        wage.round(2).cast(pl.Utf8).alias("工资性收入"),
        business.round(2).cast(pl.Utf8).alias("生产经营性收入"),
        prop.round(2).cast(pl.Utf8).alias("财产性收入"),
        dibao.round(2).cast(pl.Utf8).alias("低保金"),
        pl.lit("0").alias("五保金"),
        pension.round(2).cast(pl.Utf8).alias("养老保险金"),
        pl.lit("0").alias("生态补偿金"), pl.lit("0").alias("其他转移性收入"),
        expense.round(2).cast(pl.Utf8).alias("生产经营性支出"),
        (net / pl.col("size")).round(2).cast(pl.Utf8).alias("年人均纯收入"),
        (_pick(SURNAMES, hhh) + _pick(GIVEN, ph) + _pick(GIVEN, ph // 97)).alias("姓名"),
        pl.col("证件号码"),
        pl.when(pl.col("pos") == 0).then(pl.lit("户主")).when(pl.col("pos") == 1).then(pl.lit("配偶"))
        .when(male).then(pl.lit("之子")).otherwise(pl.lit("之女")).alias("与户主关系"),
        pl.when(male).then(pl.lit("男")).otherwise(pl.lit("女")).alias("性别"),
        _pick(["汉族"] * 9 + ["畲族"], ph // 7).alias("民族"),
        _pick(["小学", "初中", "高中", "文盲或半文盲"], ph // 11).alias("文化程度"),
        pl.lit("非在校生").alias("在校生状况"),
        _pick(["健康", "健康", "健康", "长期慢性病"], ph // 13).alias("健康状况"),
        pl.lit("普通劳动力").alias("劳动技能"),
        pl.lit("").alias("务工状况"), pl.lit("0").alias("务工时间"),
        pl.lit("否").alias("现役军人"), yes_no(ph, 17).alias("参加大病医疗"), pl.lit("是").alias("参加城乡居民基本医疗保险"),
        yes_no(ph, 19).alias("参加城乡居民基本养老保险"), yes_no(ph, 23).alias("享受低保"), pl.lit("否").alias("特困供养"),
        pl.col("_ph").alias("_bad"),
    )
    # ~1 % bad rows: wrong check character, an unknown code, a bad year.
    bad = pl.col("_bad") % 100 == 0
    kind = (pl.col("_bad") // 100) % 3
    out = out.with_columns(
        pl.when(bad & (kind == 0)).then(pl.col("证件号码").str.slice(0, 17) + pl.lit("Y"))
        .otherwise(pl.col("证件号码")).alias("证件号码"),
        pl.when(bad & (kind == 1)).then(pl.lit("因穷")).otherwise(pl.col("主要致贫原因")).alias("主要致贫原因"),
        pl.when(bad & (kind == 2)).then(pl.lit("20X4")).otherwise(pl.col("识别年度")).alias("识别年度"),
    ).drop("_bad")
    return out


PHONE_CHANGED = "13800000000"


def write_village_zip(roster: pl.DataFrame, path: Path) -> int:
    """The roster as a ZIP of one CSV per village (分村文件打包, as a county gets its villages' files back);
    returns the number of files."""
    import io
    import zipfile

    parts = roster.partition_by("行政区划代码", maintain_order=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            buffer = io.BytesIO()
            part.write_csv(buffer)
            village = part.get_column("行政区划代码")[0]
            archive.writestr(f"{part.get_column('行政村')[0]}-{village}.csv", buffer.getvalue())
    return len(parts)


def change_roster(roster: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A changed copy of ``roster`` (Polars, vectorised) and the households it changed.

    ~10 % of households (by a hash of 户编号) get 联系电话 ``PHONE_CHANGED``; ~10 % of persons (by a hash
    of 证件号码) another 文化程度 (高中, or 初中 for who has 高中). Income columns are untouched
    (年人均纯收入 is checked against the lines ÷ size). The second frame has one row per household with
    a real difference (``phone_changed``, ``persons_changed``)."""
    import polars as pl

    new_phone = (pl.when(pl.col("户编号").hash(11) % 10 == 0).then(pl.lit(PHONE_CHANGED))
                 .otherwise(pl.col("联系电话")))
    new_education = (pl.when(pl.col("证件号码").hash(13) % 10 == 0)
                     .then(pl.when(pl.col("文化程度") == "高中").then(pl.lit("初中")).otherwise(pl.lit("高中")))
                     .otherwise(pl.col("文化程度")))
    changed = roster.with_columns(new_phone.alias("联系电话"), new_education.alias("文化程度"))
    households = (
        pl.DataFrame({"户编号": roster["户编号"], "_phone": roster["联系电话"] != changed["联系电话"],
                      "_education": roster["文化程度"] != changed["文化程度"]})
        .group_by("户编号", maintain_order=True)
        .agg(pl.col("_phone").any().alias("phone_changed"), pl.col("_education").sum().alias("persons_changed"))
        .filter(pl.col("phone_changed") | (pl.col("persons_changed") > 0))
    )
    return changed, households


def members_list(roster: pl.DataFrame) -> pl.DataFrame:
    """Every tenth person of ``roster`` (by a hash of 证件号码) as a list of 户编号, 证件号码 and 务工状况, the
    务工状况 changed: 省外务工 where it was empty, empty where it was not (a village's 务工 list)."""
    import polars as pl

    return roster.filter(pl.col("证件号码").hash(17) % 10 == 3).select(
        "户编号", "证件号码",
        pl.when(pl.col("务工状况").fill_null("") == "").then(pl.lit("省外务工")).otherwise(pl.lit("")).alias("务工状况"))


# --- timed stages (run in subprocesses) --------------------------------------------------------------

def _hwm_mb() -> int:
    """This process's peak resident set since it started (its own ``exec``), in MB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _server_cpu_s() -> float | None:
    """CPU seconds used so far by the local PostgreSQL server: every ``postgres`` process's own time
    plus what its exited children used (parallel index-build workers, backends that ended: the
    postmaster reaps them). None when the import runs on SQLite or no server process can be read here
    (a remote server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    tick, total, found = os.sysconf("SC_CLK_TCK"), 0, False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == "postgres":
            found = True
            total += sum(int(v) for v in rest[11:15])  # utime, stime, cutime, cstime
    return total / tick if found else None


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_during(before: tuple[float | None, float]) -> dict[str, float]:
    """The server's and this process's CPU seconds since ``before`` (``(_server_cpu_s(), _own_cpu_s())``)."""
    server = _server_cpu_s()
    out = {"client_cpu_s": round(_own_cpu_s() - before[1], 2)}
    if server is not None and before[0] is not None:
        out["server_cpu_s"] = round(server - before[0], 2)
    return out


def _setup(rollback: bool):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def worker_e2e(file: str, rollback: bool) -> dict:
    """Land, validate and merge ``file`` as the system; per-stage times."""
    _setup(rollback)
    from django.db import transaction

    from fupin.imports import services

    marks: list[tuple[float, str]] = []
    stamp = lambda p, label: marks.append((time.perf_counter(), label))  # noqa: E731

    class Rollback(Exception):
        pass

    result: dict = {}
    start = time.perf_counter()
    try:
        with transaction.atomic() if rollback else _null():
            batch = services.land_file(actor=None, file_name=Path(file).name, path=Path(file),
                                       region_code="350400000000", source="bench")
            t_land = time.perf_counter()
            marks.clear()
            batch = services.validate_batch(batch.pk, progress=stamp)
            if batch.status != "review":
                raise RuntimeError(batch.error)
            t_valid = time.perf_counter()
            validate_marks = list(marks)
            rss_validate = _hwm_mb()
            steps = _MergeSteps()
            cpu = (_server_cpu_s(), _own_cpu_s())
            batch = services.merge_batch(actor=None, batch_id=batch.pk, progress=lambda p, label: None,
                                         step=steps)
            t_merge = time.perf_counter()
            merge_cpu = _cpu_during(cpu)
            result = {
                "total_s": t_merge - start, "land_s": t_land - start,
                "check_s": validate_marks[1][0] - validate_marks[0][0],
                "diff_s": validate_marks[2][0] - validate_marks[1][0],
                "store_rejections_s": t_valid - validate_marks[2][0],
                "merge_s": t_merge - t_valid,
                "read": batch.rows_read, "imported": batch.rows_imported, "rejected": batch.rows_rejected,
                "households_new": batch.households_new, "peak_mb_validate": rss_validate,
                "peak_mb": _hwm_mb(),
                "merge_steps": steps.seconds(t_merge), "merge_cpu": merge_cpu,
            }
            if rollback:
                raise Rollback
    except Rollback:
        pass
    return result


class _MergeSteps:
    """The merge's ``step`` hook: what its time went to. Each label names the work from it to the
    next ("compare": the lock and the reviewed diff; "done": the batch saved, the commit and the
    statistics of the tables written)."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, str]] = [(time.perf_counter(), "compare")]

    def __call__(self, label: str) -> None:
        self.marks.append((time.perf_counter(), label))

    def seconds(self, end: float) -> dict[str, float]:
        ends = [at for at, _ in self.marks[1:]] + [end]
        return {label: round(stop - at, 2) for (at, label), stop in zip(self.marks, ends, strict=True)}


def worker_validate(file: str, mode: str = "households") -> dict:
    """Land and validate ``file`` (committed): the web's upload job; ``mode``: the import mode."""
    _setup(False)
    from fupin.imports import services

    marks: list[float] = []
    start = time.perf_counter()
    batch = services.land_file(actor=None, file_name=Path(file).name, path=Path(file),
                               region_code="350400000000", source="bench", mode=mode)
    t_land = time.perf_counter()
    batch = services.validate_batch(batch.pk, progress=lambda p, label: marks.append(time.perf_counter()))
    if batch.status != "review":
        raise RuntimeError(batch.error)
    end = time.perf_counter()
    return {"batch": batch.pk, "land_s": t_land - start, "check_s": marks[1] - marks[0],
            "diff_s": marks[2] - marks[1], "store_rejections_s": end - marks[2],
            "validate_peak_mb": _hwm_mb()}


def worker_merge(batch_id: str) -> dict:
    """Merge a validated batch (committed): the reviewer's 'merge' request."""
    _setup(False)
    from fupin.imports import services

    start = time.perf_counter()
    steps = _MergeSteps()
    cpu = (_server_cpu_s(), _own_cpu_s())
    batch = services.merge_batch(actor=None, batch_id=int(batch_id), step=steps)
    end = time.perf_counter()
    return {"merge_s": end - start, "merge_steps": steps.seconds(end), "merge_cpu": _cpu_during(cpu),
            "read": batch.rows_read, "imported": batch.rows_imported,
            "rejected": batch.rows_rejected, "households_new": batch.households_new,
            "households_changed": batch.households_changed, "households_unchanged": batch.households_unchanged,
            "persons_new": batch.persons_new, "persons_changed": batch.persons_changed,
            "persons_unchanged": batch.persons_unchanged, "persons_left": batch.persons_left, "changes_by_field": batch.changes_by_field, "merge_peak_mb": _hwm_mb()}


def worker_expect(file: str) -> dict[str, int]:
    """What the changed re-import must report: the households of ``file`` (the generator's list of the
    households it changed) that the registry holds — the accepted ones — and their changed persons;
    and what the registry shows of the writes (households with the new phone, ``update`` audit rows),
    read before and after the timed run."""
    _setup(False)
    import polars as pl

    from fupin.core.models import ChangeAction, ChangeRecord
    from fupin.registry.models import Household, Member

    changed = pl.read_csv(file, schema_overrides={"户编号": pl.Utf8, "persons_changed": pl.Int64})
    registered = pl.DataFrame({"户编号": list(Household.objects.values_list("household_number", flat=True))},
                              schema={"户编号": pl.Utf8})
    kept = changed.join(registered, on="户编号", how="semi")
    updates = ChangeRecord.objects.filter(action=ChangeAction.UPDATE)
    return {"households": kept.height, "persons": int(kept["persons_changed"].sum()),
            "phone_households": kept.filter(pl.col("phone_changed")).height, "registered": registered.height,
            "education_households": kept.filter(pl.col("persons_changed") > 0).height,
            "registry_phone": Household.objects.filter(phone=PHONE_CHANGED).count(),
            "household_updates": updates.filter(model=Household._meta.label_lower).count(),
            "member_updates": updates.filter(model=Member._meta.label_lower).count()}


def worker_listed(file: str) -> dict[str, int]:
    """Of a members list: its rows, and those naming an active member of the household they name."""
    _setup(False)
    import polars as pl

    from fupin.registry.models import Member

    listed = pl.read_csv(file, infer_schema=False)
    active = pl.DataFrame(list(Member.objects.filter(status="active").values_list(
        "household__household_number", "id_number")), schema={"户编号": pl.Utf8, "证件号码": pl.Utf8}, orient="row")
    return {"rows": listed.height, "registered": listed.join(active, on=["户编号", "证件号码"], how="semi").height}


def run_split(file: Path, env: dict[str, str], mode: str = "households") -> dict:
    """Validate and merge in two processes, as the web does (upload job, then the merge request);
    the times are those of the stages, not of starting Python."""
    validated = run_worker("validate", file, env, mode=mode)
    merged = run_worker("merge", Path(str(validated["batch"])), env)
    total = sum(validated[k] for k in ("land_s", "check_s", "diff_s", "store_rejections_s")) + merged["merge_s"]
    return {**validated, **merged, "total_s": total}


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def worker_raw(file: str) -> dict:
    """The floor: Polars read_csv + COPY of the same rows into a plain text table."""
    _setup(False)
    import io

    import polars as pl
    from django.db import connection

    start = time.perf_counter()
    frame = pl.read_csv(file, infer_schema=False)
    t_read = time.perf_counter()
    with connection.cursor() as cursor:
        cols = ", ".join(f'c{i} text' for i in range(frame.width))
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute(f"CREATE TABLE bench_raw ({cols})")
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False)
        with cursor.cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("DROP TABLE bench_raw")
    return {"raw_s": time.perf_counter() - start, "raw_read_s": t_read - start, "rows": frame.height}


def worker_orm(file: str) -> dict:
    """The same check and diff, then the load through Django ``bulk_create`` (rolled back)."""
    _setup(True)
    from django.db import transaction

    from fupin.core.models import ChangeRecord
    from fupin.imports import services
    from fupin.imports.pipelines.diff_roster import HOUSEHOLD_COMPARED, MEMBER_COMPARED
    from fupin.policy.regions import LEVEL_FIELD, ancestor_codes
    from fupin.registry.models import Household, Member

    class Rollback(Exception):
        pass

    start = time.perf_counter()
    out: dict = {}
    try:
        with transaction.atomic():
            context = services.build_context(None, "350400000000")
            checked = services.check_file(Path(file), context)
            diff = services.diff_checked(checked.valid, context, checked.rejections, holders=checked.holders,
                                         rejected_persons=checked.rejected_persons)
            t_diff = time.perf_counter()

            def value(model, name, v):
                f = model._meta.get_field(name)
                if v == "":
                    return None if f.null and not f.get_internal_type() == "CharField" else ("" if f.get_internal_type() == "CharField" else f.get_default())
                if f.get_internal_type() == "BooleanField":
                    return v == "1"
                return f.to_python(v)

            households = []
            for row in diff.households.iter_rows(named=True):
                h = Household(household_number=row["household_number"], village_id=row["village_code"],
                              **{LEVEL_FIELD[lv]: c for lv, c in ancestor_codes(row["village_code"]).items()},
                              **{c: value(Household, c, row[c]) for c in HOUSEHOLD_COMPARED},
                              head_name=row["head_name"], size=int(row["size"]), income_net=row["income_net"],
                              income_per_capita=row["income_per_capita"] or None,
                              income_rule_version=row["income_rule_version"])
                households.append(h)
            Household.objects.bulk_create(households, batch_size=2000)
            ids = {h.household_number: h.pk for h in households}
            members = [Member(household_id=ids[r["household_number"]], sex=r.get("sex") or "1",
                              birth_date=r.get("birth_date"), id_kind=r.get("id_kind") or "resident",
                              **{c: value(Member, c, r[c]) for c in MEMBER_COMPARED})
                       for r in diff.members.iter_rows(named=True)]
            Member.objects.bulk_create(members, batch_size=2000)
            ChangeRecord.objects.bulk_create([
                ChangeRecord(actor_name="system", action="create", model="registry.household", object_id=str(h.pk),
                             household_id=h.pk, region_code=h.village_code, changes={"household_number": [None, h.household_number]},
                             source="import") for h in households], batch_size=2000)
            out = {"orm_s": time.perf_counter() - start, "orm_load_s": time.perf_counter() - t_diff,
                   "rows": diff.members.height}
            raise Rollback
    except Rollback:
        pass
    return out


def worker_export(fmt: str) -> dict:
    """The system's export of the whole loaded registry (the city 350400000000) as ``fmt``, right after
    the merge, as a county exports what it just imported: through :func:`fupin.imports.exports.spooled_export`
    as the page and the API export (a temporary file, its SHA-256 read back, the export record written).
    The CSV's lines are counted in the file, apart from the record's count."""
    _setup(False)
    from fupin.imports.exports import spooled_export

    start = time.perf_counter()
    out, record = spooled_export(None, "350400000000", fmt, "persons", channel="cli")
    seconds = time.perf_counter() - start
    with out:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 24), b"")) if fmt == "csv" else None
    if lines is not None and lines - 1 != record.rows:
        raise SystemExit(f"the CSV holds {lines - 1} rows, its export record {record.rows}")
    return {"export_s": seconds, "bytes": record.file_size, "rows": record.rows, "peak_mb": _hwm_mb()}


WORKERS = {"e2e": worker_e2e, "raw": worker_raw, "orm": worker_orm, "validate": worker_validate,
           "merge": worker_merge, "expect": worker_expect, "export": worker_export, "listed": worker_listed}


def run_worker(name: str, file: Path, env: dict[str, str], *, rollback: bool = False,
               mode: str = "households") -> dict:
    cmd = ([PYTHON, __file__, "--worker", name, "--file", str(file)] + (["--rollback"] if rollback else [])
           + (["--mode", mode] if mode != "households" else []))
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def settle(url: str) -> None:
    """Start a timed run from a quiet database: ``VACUUM`` clears the dead rows the previous runs left
    (the rolled-back ORM and xlsx loads), which autovacuum would otherwise clear during the next run,
    and ``CHECKPOINT`` writes out what they left dirty (measured: the 1M check stage took 9.2–9.6 s
    after the earlier runs, 6.7 s on its own)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM")
        conn.execute("CHECKPOINT")


def fupin(env: dict[str, str], *args: str) -> None:
    subprocess.run([FUPIN, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict[str, str]) -> None:
    fupin(env, "migrate", "--no-input")
    fupin(env, "load_regions", "--prefix", "3504")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--xlsx-persons", type=int, default=100_000)
    parser.add_argument("--orm-persons", type=int, default=100_000,
                        help="ORM path on at most this many persons, extrapolated linearly")
    parser.add_argument("--skip-orm", action="store_true")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--reimport", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the same file imported again into the loaded registry (0 changed)")
    parser.add_argument("--reimport-changed", action=argparse.BooleanOptionalAction, default=True,
                        help="also time a changed copy (~10 %% households, ~10 %% persons) imported into it")
    parser.add_argument("--export", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the export of the loaded registry as CSV and as xlsx")
    parser.add_argument("--members-list", action=argparse.BooleanOptionalAction, default=True,
                        help="time a list of every tenth person imported as 只更新所列成员 (import mode members)")
    parser.add_argument("--mode", default="households", help=argparse.SUPPRESS)
    parser.add_argument("--zip", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the --xlsx-persons roster as a ZIP of one CSV per village (rolled back)")
    parser.add_argument("--worker", choices=sorted([*WORKERS, "generate"]), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--rollback", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "generate":
        folder = Path(args.file)
        roster = generate(args.persons)
        roster.write_csv(folder / "roster.csv")
        roster.head(args.orm_persons).write_csv(folder / "roster-orm.csv")
        if args.members_list:
            members_list(roster).write_csv(folder / "members-list.csv")
        if args.reimport_changed:
            changed_roster, changed_households = change_roster(roster)
            changed_roster.write_csv(folder / "roster-changed.csv")
            changed_households.write_csv(folder / "roster-changed-households.csv")
            del changed_roster, changed_households
        del roster
        small = generate(args.xlsx_persons, seed=7, household_offset=50_000)
        small.write_excel(folder / "roster.xlsx", worksheet="花名册", autofit=False)
        if args.zip:
            write_village_zip(small, folder / "villages.zip")
        return
    if args.worker:
        fn = WORKERS[args.worker]
        result = (fn(args.file, args.rollback) if args.worker == "e2e"
                  else fn(args.file, args.mode) if args.worker == "validate" else fn(args.file))
        print(json.dumps(result))
        return

    import polars as pl
    import psycopg

    figures: dict[str, object] = {"persons": args.persons}
    with tempfile.TemporaryDirectory(prefix="fupin-bench-") as tmp:
        tmpdir = Path(tmp)
        t0 = time.perf_counter()
        csv_path, xlsx_path, orm_path = tmpdir / "roster.csv", tmpdir / "roster.xlsx", tmpdir / "roster-orm.csv"
        changed_path, changed_households_path = tmpdir / "roster-changed.csv", tmpdir / "roster-changed-households.csv"
        orm_persons = min(args.persons, args.orm_persons)
        # In a process of its own: the generator's frames (~4 GB at 1M persons, which Polars' allocator
        # keeps) must not stay resident beside the timed runs — measured: the check stage of 1M persons
        # took 9.3 s instead of 6.0 s while another process held 4.5 GB on this machine.
        subprocess.run([PYTHON, __file__, "--worker", "generate", "--file", str(tmpdir),
                        "--persons", str(args.persons), "--xlsx-persons", str(args.xlsx_persons),
                        "--orm-persons", str(orm_persons),
                        "--reimport-changed" if args.reimport_changed else "--no-reimport-changed",
                        "--members-list" if args.members_list else "--no-members-list",
                        "--zip" if args.zip else "--no-zip"], check=True)
        print(f"generated {args.persons} persons CSV ({csv_path.stat().st_size / 1e6:.0f} MB) and "
              f"{args.xlsx_persons} persons xlsx in {time.perf_counter() - t0:.1f} s", flush=True)

        target = args.pg_url.rsplit("/", 1)[0] + "/" + SCRATCH
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
            admin.execute(f"CREATE DATABASE {SCRATCH}")
        try:
            env = {**os.environ, "FUPIN_DATABASE_URL": target, "FUPIN_DATA_DIR": str(tmpdir / "pg-data")}
            prepare(env)
            settle(target)
            raw = run_worker("raw", csv_path, env)
            print(f"raw (Polars read_csv + COPY, {raw['rows']} rows): {raw['raw_s']:.2f} s", flush=True)
            figures["raw_s"] = round(raw["raw_s"], 2)
            if not args.skip_orm:
                settle(target)
                orm = run_worker("orm", orm_path, env, rollback=True)
                scale = args.persons / max(orm_persons, 1)
                figures["orm_s"] = round(orm["orm_s"] * scale, 1)
                label = "" if scale == 1 else f" (measured {orm['orm_s']:.2f} s on {orm_persons}, ×{scale:g})"
                print(f"orm bulk_create path: {figures['orm_s']} s{label}", flush=True)
                if scale != 1:
                    figures["orm_extrapolated_from"] = orm_persons
            settle(target)
            xlsx = run_worker("e2e", xlsx_path, env, rollback=True)
            figures_xlsx = round(xlsx["total_s"], 2)
            print(f"xlsx {args.xlsx_persons} persons end to end: {figures_xlsx} s {_stages(xlsx)}", flush=True)
            if args.zip:
                settle(target)
                zipped = run_worker("e2e", tmpdir / "villages.zip", env, rollback=True)
                if (zipped["imported"], zipped["rejected"]) != (xlsx["imported"], xlsx["rejected"]):
                    raise SystemExit(f"the village ZIP imported {zipped['imported']} and rejected {zipped['rejected']}, "
                                     f"its roster as one xlsx {xlsx['imported']} and {xlsx['rejected']}")
                print(f"the same {args.xlsx_persons} persons as a ZIP of village CSV files end to end: "
                      f"{zipped['total_s']:.2f} s {_stages(zipped)}", flush=True)
                figures[f"zip{args.xlsx_persons // 1000}k_s" if args.xlsx_persons % 1000 == 0
                        else f"zip{args.xlsx_persons}_s"] = round(zipped["total_s"], 2)
            settle(target)
            pg = run_split(csv_path, env)
            print(f"PostgreSQL end to end: {pg['total_s']:.2f} s {_stages(pg)}", flush=True)
            print(f"  read={pg['read']} imported={pg['imported']} rejected={pg['rejected']} "
                  f"(peak MB: validate {pg['validate_peak_mb']}, merge {pg['merge_peak_mb']})", flush=True)
            figures["pg_s"] = round(pg["total_s"], 2)
            figures["ratio"] = round(pg["total_s"] / raw["raw_s"], 2)
            figures["pg_merge_s"] = round(pg["merge_s"], 2)
            if "server_cpu_s" in pg["merge_cpu"]:
                figures["pg_merge_server_cpu_s"] = pg["merge_cpu"]["server_cpu_s"]
            if args.export:
                exports = {fmt: run_worker("export", Path(fmt), env) for fmt in ("csv", "xlsx")}
                print(f"export of the loaded registry ({pg['imported']} persons): CSV "
                      f"{exports['csv']['export_s']:.2f} s ({exports['csv']['bytes'] / 1e6:.0f} MB), xlsx "
                      f"{exports['xlsx']['export_s']:.2f} s ({exports['xlsx']['bytes'] / 1e6:.0f} MB; peak MB "
                      f"{exports['xlsx']['peak_mb']})", flush=True)
                if exports["csv"]["rows"] != pg["imported"] or exports["xlsx"]["rows"] != pg["imported"]:
                    raise SystemExit(f"the exports hold {exports['csv']['rows']} / {exports['xlsx']['rows']} rows, "
                                     f"the import {pg['imported']}")
                figures["export_csv_s"] = round(exports["csv"]["export_s"], 2)
                figures["export_xlsx_s"] = round(exports["xlsx"]["export_s"], 2)
                figures["export_peak_mb"] = max(e["peak_mb"] for e in exports.values())
            if args.reimport:
                settle(target)
                again = run_split(csv_path, env)
                print(f"PostgreSQL re-import of the same file: {again['total_s']:.2f} s {_stages(again)}", flush=True)
                print(f"  households new={again['households_new']} changed={again['households_changed']} "
                      f"unchanged={again['households_unchanged']} persons new={again['persons_new']} "
                      f"changed={again['persons_changed']}", flush=True)
                if again["households_new"] or again["households_changed"] or again["persons_new"] \
                        or again["persons_changed"]:
                    raise SystemExit("the re-import of the same file changed the registry")
                figures["reimport_s"] = round(again["total_s"], 2)
            if args.reimport_changed:
                expect = run_worker("expect", changed_households_path, env)
                settle(target)
                changed = run_split(changed_path, env)
                print(f"PostgreSQL re-import with changes: {changed['total_s']:.2f} s {_stages(changed)}", flush=True)
                print(f"  households new={changed['households_new']} changed={changed['households_changed']} "
                      f"unchanged={changed['households_unchanged']} persons changed={changed['persons_changed']} "
                      f"(expected households {expect['households']} persons {expect['persons']}: changed by the "
                      f"generator among the {expect['registered']} registered households)", flush=True)
                if changed["households_new"] or changed["persons_new"]:
                    raise SystemExit("the re-import with changes added households or persons")
                if not changed["households_changed"]:
                    raise SystemExit("the re-import with changes changed no household")
                if changed["households_changed"] + changed["households_unchanged"] != expect["registered"]:
                    raise SystemExit("the re-import with changes accepted other households than the first import")
                if (changed["households_changed"], changed["persons_changed"]) != (expect["households"],
                                                                                   expect["persons"]):
                    raise SystemExit("the re-import with changes changed other households or persons than the "
                                     "generator did")
                # What was written: the new phones and one update audit row per changed household
                # (its own values) and per changed person.
                written = run_worker("expect", changed_households_path, env)
                wrote = {k: written[k] - expect[k] for k in ("registry_phone", "household_updates", "member_updates")}
                print(f"  written: phone {wrote['registry_phone']} households, update audit rows "
                      f"{wrote['household_updates']} households {wrote['member_updates']} persons", flush=True)
                if wrote != {"registry_phone": expect["phone_households"],
                             "household_updates": expect["phone_households"], "member_updates": expect["persons"]}:
                    raise SystemExit("the re-import with changes did not write what its batch counted")
                # What the reviewer was shown (变更明细): exactly the phones and the 文化程度 the generator
                # changed (size and incomes unchanged), and nobody leaving.
                listed = {(c["change"], c["field"]): (c["rows"], c["households"]) for c in changed["changes_by_field"]}
                print(f"  listed changes: {listed} persons_left={changed['persons_left']}", flush=True)
                if changed["persons_left"] or listed != {
                        ("household", "phone"): (expect["phone_households"], expect["phone_households"]),
                        ("member_changed", "education"): (expect["persons"], expect["education_households"])}:
                    raise SystemExit("the re-import's list of changes is not what the generator changed")
                figures["reimport_changed_s"] = round(changed["total_s"], 2)
                figures["reimport_changed_merge_s"] = round(changed["merge_s"], 2)
                figures["reimport_changed_households"] = changed["households_changed"]
            if args.members_list:
                list_path = tmpdir / "members-list.csv"
                expect_list = run_worker("listed", list_path, env)
                settle(target)
                listed_run = run_split(list_path, env, mode="members")
                print(f"PostgreSQL members list (只更新所列成员, {expect_list['rows']} persons): "
                      f"{listed_run['total_s']:.2f} s {_stages(listed_run)}", flush=True)
                print(f"  persons changed={listed_run['persons_changed']} unchanged={listed_run['persons_unchanged']} "
                      f"new={listed_run['persons_new']} left={listed_run['persons_left']} rejected="
                      f"{listed_run['rejected']} (expected {expect_list['registered']} changed, "
                      f"{expect_list['rows'] - expect_list['registered']} rejected)", flush=True)
                if (listed_run["persons_changed"], listed_run["persons_unchanged"], listed_run["persons_new"],
                        listed_run["persons_left"], listed_run["households_new"], listed_run["rejected"]) != (
                        expect_list["registered"], 0, 0, 0, 0, expect_list["rows"] - expect_list["registered"]):
                    raise SystemExit("the members list did not change exactly the registered persons it lists")
                figures["members_list_s"] = round(listed_run["total_s"], 2)
                figures["members_list_persons"] = expect_list["rows"]
                peaks_extra = [listed_run["validate_peak_mb"], listed_run["merge_peak_mb"]]
            if "orm_s" in figures:
                figures["orm_vs_pg"] = round(float(figures["orm_s"]) / pg["total_s"], 1)
        finally:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        if args.sqlite:
            env = {**os.environ, "FUPIN_DATA_DIR": str(tmpdir / "sqlite-data")}
            env.pop("FUPIN_DATABASE_URL", None)
            prepare(env)
            lite = run_split(csv_path, env)
            print(f"SQLite end to end: {lite['total_s']:.2f} s {_stages(lite)}", flush=True)
            figures["sqlite_s"] = round(lite["total_s"], 2)
        figures["xlsx_persons"] = args.xlsx_persons
        figures["xlsx100k_s" if args.xlsx_persons == 100_000 else f"xlsx{args.xlsx_persons}_s"] = figures_xlsx
        figures["rows_read"], figures["rows_imported"], figures["rows_rejected"] = pg["read"], pg["imported"], pg["rejected"]
    peaks = [pg["validate_peak_mb"], pg["merge_peak_mb"], xlsx.get("peak_mb", 0)]
    if args.reimport:
        peaks += [again["validate_peak_mb"], again["merge_peak_mb"]]
    if args.reimport_changed:
        peaks += [changed["validate_peak_mb"], changed["merge_peak_mb"]]
    if args.sqlite:
        peaks += [lite["validate_peak_mb"], lite["merge_peak_mb"]]
    if args.members_list:
        peaks += peaks_extra
    figures["peak_mb"] = max(peaks)
    del pl
    if args.persons == 1_000_000:
        _at_issue_floor(figures)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


# The issue measured the raw floor (Polars parse + COPY of 1M persons) at about 2.7 s on the CI machine
# kind, and set its absolute targets on that machine. This VM's floor varies from run to run (6.3 to
# 14.7 s measured across sessions), so each figure is also given divided by this run's factor
# (raw_s / 2.7): what it would be on a machine with the issue's floor, if everything scaled like the
# floor. It is a derived figure, printed beside the measured one, never instead of it. PostgreSQL's
# figure scales with the floor best (the floor is itself a PostgreSQL load); the xlsx import is CPU work
# in calamine and Polars and scaled less across sessions (xlsx100k 5.37 -> 8.47 s while the floor went
# 6.26 -> 14.72 s), so its derived figure flatters it.
ISSUE_RAW_S = 2.7
ISSUE_TARGETS_S = {"pg_s": 8.0, "sqlite_s": 20.0, "xlsx100k_s": 5.0}


def _at_issue_floor(figures: dict[str, object]) -> None:
    """Adds machine_factor and <figure>_at_issue_floor for each timed target, and prints them."""
    factor = float(figures["raw_s"]) / ISSUE_RAW_S  # type: ignore[arg-type]
    figures["machine_factor"] = round(factor, 2)
    verdicts = []
    for key, target in ISSUE_TARGETS_S.items():
        if key not in figures:
            continue
        scaled = float(figures[key]) / factor  # type: ignore[arg-type]
        figures[f"{key[:-2]}_at_issue_floor_s"] = round(scaled, 2)
        verdicts.append(f"{key[:-2]} {scaled:.2f} s ({'within' if scaled <= target else 'over'} {target:g} s)")
    print(f"at the issue's raw floor ({ISSUE_RAW_S} s; this run's floor is {factor:.2f}× that): "
          + ", ".join(verdicts), flush=True)


def _stages(r: dict) -> str:
    stages = "(" + ", ".join(f"{k[:-2]} {r[k]:.2f}" for k in ("land_s", "check_s", "diff_s", "store_rejections_s",
                                                               "merge_s")) + ")"
    if r.get("merge_steps"):
        stages += "; merge: " + ", ".join(f"{label} {s:.2f}" for label, s in r["merge_steps"].items())
    cpu = r.get("merge_cpu") or {}
    if cpu:
        stages += f"; merge CPU: fupin {cpu['client_cpu_s']:.2f} s" + (
            f", PostgreSQL {cpu['server_cpu_s']:.2f} s" if "server_cpu_s" in cpu else "")
    return stages


if __name__ == "__main__":
    main()
