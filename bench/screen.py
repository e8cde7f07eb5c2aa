"""Benchmark of the cross-department screening (数据比对, issue 4): 1M persons × five lists of 1M records.

    .venv/bin/python bench/screen.py [--persons 1000000] [--lists 5] [--records-per-list N]
                                     [--overlap 0.005] [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

The issue's target: screening 1,000,000 persons against five lists of 1,000,000 records each ≤ 10 s on
a 2-core machine. Steps:

1. generate (Polars, vectorised) a registry of N persons in ~N/3 households spread over Sanming's
   real villages, with valid unique ID numbers, and ``--lists`` department lists (vehicle, real_estate,
   business, payroll, village_cadre …) of ``--records-per-list`` records each (default N): in list L
   exactly the persons with ``(7·i + 13·L) mod 200 = 0`` (``--overlap`` 0.5 %, a different set per
   list), the rest strangers whose ID numbers are not in the registry. The expected hits are known;
2. **join** — the Polars join alone (:func:`fupin.screening.pipelines.screen.match` + new hits +
   hit rows) on the frames in memory, timed in this process;
3. create the scratch database ``fupin_bench_screen_<pid>``, ``fupin migrate``, ``fupin load_regions
   --prefix 3504``, then load the registry and the lists with COPY (:func:`fupin.core.bulk.copy_frame`)
   and ``ANALYZE`` — untimed (printed for information);
4. **db_run** — :func:`fupin.screening.services.run_screening` over 三明市 end to end in a fresh
   process: read the members and the records from the database, join, write the hits (COPY), update
   the run and the audit row. Per-stage seconds come from the service.

Both timed stages must find exactly the expected hits (the script fails otherwise). Peak memory is the
largest resident set of this process and its children (``ru_maxrss``). The last line holds the figures
as key=value pairs.
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

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FUPIN = str(Path(sys.executable).with_name("fupin"))
SCRATCH = f"fupin_bench_screen_{os.getpid()}"  # per process: two runs never share a database
REGIONS_CSV = ROOT / "fupin" / "data" / "regions-fujian.csv"
CITY = "350400000000"  # 三明市: every generated household lies in it
KINDS = ("vehicle", "real_estate", "business", "payroll", "village_cadre", "death")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DAYS = 27_000  # birth dates 1940-01-01 + 0..26,999 days; (day, sequence) is a bijection of the index


# --- generating (Polars, vectorised) ----------------------------------------------------------------

def _id_numbers(index, address6):
    """Unique valid 18-character ID numbers for a column of non-negative integers (< 27M)."""
    import polars as pl

    birth = pl.date(1940, 1, 1) + pl.duration(days=index % DAYS)
    first17 = address6 + birth.dt.strftime("%Y%m%d") + (index // DAYS).cast(pl.Utf8).str.zfill(3)
    total = pl.sum_horizontal([first17.str.slice(k, 1).cast(pl.Int64) * w for k, w in enumerate(WEIGHTS)])
    return first17 + pl.lit(pl.Series(list("10X98765432"))).get((total % 11).cast(pl.Int64))


def generate(persons: int, lists: int, records_per_list: int, overlap_mod: int = 200):
    """(households, members, [records of each list], expected hits)."""
    import polars as pl

    villages = (pl.read_csv(REGIONS_CSV, schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8})
                .filter(pl.col("code").str.starts_with("3504") & (pl.col("level") == 5))["code"].sort())
    n_households = (persons + 2) // 3
    households = pl.DataFrame({"id": pl.int_range(1, n_households + 1, eager=True, dtype=pl.Int64)}).with_columns(
        pl.lit(villages).get(((pl.col("id") * 7919) % villages.len()).cast(pl.Int64)).alias("village_code"))
    households = households.with_columns(
        (pl.col("village_code") + (pl.col("id") % 100_000).cast(pl.Utf8).str.zfill(5)
         + (pl.col("id") // 100_000).cast(pl.Utf8)).alias("household_number"))
    members = pl.DataFrame({"i": pl.int_range(0, persons, eager=True, dtype=pl.Int64)}).with_columns(
        (pl.col("i") // 3 + 1).alias("household_id"), (pl.col("i") + 1).alias("id"))
    members = members.join(households.select("id", "village_code").rename({"id": "household_id"}),
                           on="household_id", how="left").sort("i")
    members = members.with_columns(_id_numbers(pl.col("i"), pl.col("village_code").str.slice(0, 6)).alias("id_number"))
    records = []
    expected = 0
    for lst in range(lists):
        planted = members.filter((pl.col("i") * 7 + lst * 13) % overlap_mod == 0).select("id_number")
        planted = planted.head(records_per_list)
        expected += planted.height
        strangers = pl.DataFrame({"j": pl.int_range(0, records_per_list - planted.height, eager=True,
                                                    dtype=pl.Int64)}).select(
            _id_numbers(pl.col("j") + lst * records_per_list, pl.lit("110101")).alias("id_number"))
        records.append(pl.concat([planted, strangers]).with_columns(
            pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("row_number")))
    return households, members.drop("i"), records, expected


def time_join(members, records, expected: int) -> float:
    """The Polars join alone on the frames in memory (ids as the database would give them)."""
    import polars as pl

    from fupin.screening.pipelines import screen

    frame_members = members.select(pl.col("id").alias("member_id"), "household_id", "id_number", "village_code")
    offset = 0
    frames = []
    for lst, rec in enumerate(records):
        frames.append(rec.select((pl.int_range(0, pl.len(), dtype=pl.Int64) + offset + 1).alias("record_id"),
                                 pl.lit(lst + 1, pl.Int64).alias("list_id"), "id_number"))
        offset += rec.height
    all_records = pl.concat(frames)
    kinds = {lst + 1: KINDS[lst % len(KINDS)] for lst in range(len(records))}
    start = time.perf_counter()
    matches = screen.match(frame_members, all_records, kinds)
    new = screen.new_hits(matches, pl.DataFrame(schema={"member_id": pl.Int64, "record_id": pl.Int64}))
    rows = screen.hit_rows(new, run_id=1, rules={k: f"ex_{k}" for k in KINDS})
    seconds = time.perf_counter() - start
    if rows.height != expected:
        raise SystemExit(f"join found {rows.height} hits, expected {expected}")
    return seconds


# --- database stages (subprocesses with django.setup) ----------------------------------------------

def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def worker_load(folder: str) -> dict:
    """COPY the generated registry and lists into the scratch database (untimed for the target)."""
    _setup()
    from datetime import date

    import polars as pl
    from django.db import connection, transaction

    from fupin.core.bulk import copy_frame
    from fupin.registry.models import Household, Member
    from fupin.screening.models import DepartmentList, DepartmentRecord

    base = Path(folder)
    start = time.perf_counter()
    households = pl.read_parquet(base / "households.parquet")
    village = pl.col("village_code")
    with transaction.atomic():
        copy_frame(Household, households.select(
            "id", "household_number", village.alias("village_id"),
            (village.str.slice(0, 2) + pl.lit("0" * 10)).alias("province_code"),
            (village.str.slice(0, 4) + pl.lit("0" * 8)).alias("city_code"),
            (village.str.slice(0, 6) + pl.lit("0" * 6)).alias("county_code"),
            (village.str.slice(0, 9) + pl.lit("000")).alias("township_code"), village,
            pl.lit("1").alias("main_cause"), pl.lit(2016).alias("identification_year"), pl.lit(3).alias("size")))
        members = pl.read_parquet(base / "members.parquet")
        copy_frame(Member, members.select(
            "id", "household_id", pl.lit("成员").alias("name"), "id_number", pl.lit("resident").alias("id_kind"),
            pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int64) % 2 == 1).then(pl.lit("1"))
            .otherwise(pl.lit("2")).alias("sex"),
            pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d").alias("birth_date"),
            pl.when(pl.col("id") % 3 == 1).then(pl.lit("01")).otherwise(pl.lit("03")).alias("relation")))
    t_registry = time.perf_counter()
    files = sorted(base.glob("records-*.parquet"))
    for n, path in enumerate(files):
        records = pl.read_parquet(path)
        kind = KINDS[n % len(KINDS)]
        with transaction.atomic():
            dept = DepartmentList.objects.create(
                kind=kind, source_department="bench", as_of=date(2024, 6, 30), region_code=CITY, status="loaded",
                file_name=path.name, file_sha256=f"{n:064d}", source="bench", rows_read=records.height,
                rows_accepted=records.height)
            copy_frame(DepartmentRecord, records.select(
                pl.lit(dept.pk, pl.Int64).alias("department_list_id"), "row_number", "id_number",
                pl.lit("").alias("name"), pl.lit("{}").alias("detail")))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    end = time.perf_counter()
    return {"load_registry_s": t_registry - start, "load_lists_s": end - t_registry}


def worker_run(_folder: str) -> dict:
    """ScreeningRun end to end over 三明市, in a fresh process (as a web request would be)."""
    _setup()
    from fupin.screening import services
    from fupin.screening.models import DepartmentList

    list_ids = list(DepartmentList.objects.filter(source="bench").values_list("pk", flat=True))
    stages: dict[str, float] = {}
    start = time.perf_counter()
    run = services.run_screening(actor=None, region_code=CITY, list_ids=list_ids, source="bench", stages=stages)
    seconds = time.perf_counter() - start
    if run.status != "done":
        raise SystemExit(f"run failed: {run.error}")
    return {"db_run_s": seconds, **{f"{k}_s": v for k, v in stages.items()}, "hits": run.hits_new,
            "persons_screened": run.persons_screened, "lists_used": run.lists.count(),
            "run_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


WORKERS = {"load": worker_load, "run": worker_run}


def run_worker(name: str, folder: Path, env: dict[str, str]) -> dict:
    done = subprocess.run([PYTHON, __file__, "--worker", name, "--folder", str(folder)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fupin(env: dict[str, str], *args: str) -> None:
    subprocess.run([FUPIN, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def peak_mb() -> int:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(self_kb, children_kb) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--lists", type=int, default=5)
    parser.add_argument("--records-per-list", type=int, default=None, help="default: --persons")
    parser.add_argument("--overlap", type=float, default=0.005, help="share of persons planted in each list")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.folder)))
        return

    sys.path.insert(0, str(ROOT))
    records_per_list = args.records_per_list or args.persons
    overlap_mod = max(1, round(1 / args.overlap))
    figures: dict[str, object] = {"persons": args.persons, "lists": args.lists,
                                  "records_per_list": records_per_list}
    with tempfile.TemporaryDirectory(prefix="fupin-bench-screen-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        households, members, records, expected = generate(args.persons, args.lists, records_per_list, overlap_mod)
        households.write_parquet(folder / "households.parquet")
        members.write_parquet(folder / "members.parquet")
        for n, rec in enumerate(records):
            rec.write_parquet(folder / f"records-{n:02d}.parquet")
        print(f"generated {args.persons} persons in {households.height} households and {args.lists} lists of "
              f"{records_per_list} records ({expected} planted) in {time.perf_counter() - t0:.1f} s", flush=True)
        join_s = time_join(members, records, expected)
        print(f"join (Polars, frames in memory): {join_s:.2f} s → {expected} hits", flush=True)
        del households, members, records

        target = args.pg_url.rsplit("/", 1)[0] + "/" + SCRATCH
        import psycopg

        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
            admin.execute(f"CREATE DATABASE {SCRATCH}")
        try:
            env = {**os.environ, "FUPIN_DATABASE_URL": target, "FUPIN_DATA_DIR": str(folder / "data")}
            fupin(env, "migrate", "--no-input")
            fupin(env, "load_regions", "--prefix", "3504")
            load = run_worker("load", folder, env)
            print(f"load with COPY (untimed): registry {load['load_registry_s']:.1f} s, lists "
                  f"{load['load_lists_s']:.1f} s", flush=True)
            run = run_worker("run", folder, env)
        finally:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    if run["hits"] != expected or run["persons_screened"] != args.persons or run["lists_used"] != args.lists:
        raise SystemExit(f"the run found {run['hits']} hits over {run['persons_screened']} persons and "
                         f"{run['lists_used']} lists; expected {expected}, {args.persons}, {args.lists}")
    print(f"ScreeningRun end to end (PostgreSQL): {run['db_run_s']:.2f} s (read members "
          f"{run['read_members_s']:.2f}, read records {run['read_records_s']:.2f}, join {run['join_s']:.2f}, "
          f"write hits {run['write_s']:.2f}; peak {run['run_peak_mb']} MB)", flush=True)
    figures.update(hits=expected, join_s=round(join_s, 2), db_run_s=round(run["db_run_s"], 2),
                   read_members_s=round(run["read_members_s"], 2), read_records_s=round(run["read_records_s"], 2),
                   db_join_s=round(run["join_s"], 2), write_s=round(run["write_s"], 2), peak_mb=peak_mb())
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
