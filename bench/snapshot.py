"""Benchmark of the year-end snapshot and the flow report (动态调整, issue 6): 1M persons ≤ 10 s.

    .venv/bin/python bench/snapshot.py [--persons 1000000] [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Steps (each timed stage runs in a fresh subprocess with ``django.setup()`` on a scratch database):

1. generate (Polars, vectorised) a registry of N persons in ~N/3 households spread over the villages of
   宁化县 (350424, one county: a snapshot is a county's), with valid unique ID numbers; 75 % of the
   households are poor (未脱贫), 20 % exited, 5 % returned;
2. create the scratch database ``fupin_bench_snapshot_<pid>``, ``fupin migrate``, ``fupin load_regions
   --prefix 3504``, load the registry with COPY (:func:`fupin.core.bulk.copy_frame`) and ``ANALYZE``,
   take the baseline snapshot of 2015 and change the registry in bulk as a year would (10 % of the poor
   exit, 1 % of the exited return, 0.5 % removed with their members, 1 % new households, 0.5 % of the
   other members die, 0.3 % births) — all untimed (printed for information);
3. **snapshot** — :func:`fupin.review.services.take_snapshot` of 2016 end to end (read the registry as
   frames, COPY the household and person rows, the header and the audit row), in a fresh process;
4. **flows** — :func:`fupin.review.selectors.flow_view` of the county for 2016 as the county officer
   (scoped reads of both snapshots, the classification at county level and by township, the reasons),
   in a fresh process. It must reconcile exactly with the two snapshots (the script fails otherwise).

Peak memory is the largest resident set of this process and its children (``ru_maxrss``). The last line
holds the figures as key=value pairs.
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
SCRATCH = f"fupin_bench_snapshot_{os.getpid()}"  # per process: two runs never share a database
REGIONS_CSV = ROOT / "fupin" / "data" / "regions-fujian.csv"
COUNTY = "350424000000"  # 宁化县
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DAYS = 27_000


# --- generating (Polars, vectorised) ----------------------------------------------------------------

def _id_numbers(index, address6):
    """Unique valid 18-character ID numbers for a column of non-negative integers (< 27M)."""
    import polars as pl

    birth = pl.date(1940, 1, 1) + pl.duration(days=index % DAYS)
    first17 = address6 + birth.dt.strftime("%Y%m%d") + (index // DAYS).cast(pl.Utf8).str.zfill(3)
    total = pl.sum_horizontal([first17.str.slice(k, 1).cast(pl.Int64) * w for k, w in enumerate(WEIGHTS)])
    return first17 + pl.lit(pl.Series(list("10X98765432"))).get((total % 11).cast(pl.Int64))


def _villages():
    import polars as pl

    return (pl.read_csv(REGIONS_CSV, schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8})
            .filter(pl.col("code").str.starts_with(COUNTY[:6]) & (pl.col("level") == 5))["code"].sort())


def _household_rows(ids, villages, *, status, year):
    """Registry household rows (the columns COPY needs) for a frame of ids."""
    import polars as pl

    v = pl.col("village_code")
    frame = ids.with_columns(pl.lit(villages).get(((pl.col("id") * 7919) % villages.len()).cast(pl.Int64))
                             .alias("village_code"))
    return frame.select(
        "id", (v + pl.lit("-") + pl.col("id").cast(pl.Utf8)).alias("household_number"), pl.lit("户主").alias("head_name"),
        v.alias("village_id"), (v.str.slice(0, 2) + pl.lit("0" * 10)).alias("province_code"),
        (v.str.slice(0, 4) + pl.lit("0" * 8)).alias("city_code"), (v.str.slice(0, 6) + pl.lit("0" * 6)).alias("county_code"),
        (v.str.slice(0, 9) + pl.lit("000")).alias("township_code"), v, pl.lit("1").alias("main_cause"),
        pl.lit(year).alias("identification_year"), pl.lit(3).alias("size"), status.alias("poverty_status"))


def _member_rows(first_id, household_ids, index_offset):
    """Three members per household (head first), ids from ``first_id``."""
    import polars as pl

    n = household_ids.height * 3
    frame = pl.DataFrame({"i": pl.int_range(0, n, eager=True, dtype=pl.Int64)}).with_columns(
        (pl.col("i") + first_id).alias("id"),
        pl.col("i").floordiv(3).alias("_k"))
    frame = frame.join(household_ids.with_row_index("_k").with_columns(pl.col("_k").cast(pl.Int64))
                       .rename({"id": "household_id"}), on="_k", how="left")
    return frame.select(
        "id", "household_id", pl.lit("成员").alias("name"),
        _id_numbers(pl.col("i") + index_offset, pl.lit(COUNTY[:6])).alias("id_number"),
        pl.lit("resident").alias("id_kind"),
        pl.when((pl.col("i") + index_offset) % 2 == 0).then(pl.lit("1")).otherwise(pl.lit("2")).alias("sex"),
        (pl.date(1940, 1, 1) + pl.duration(days=(pl.col("i") + index_offset) % DAYS)).alias("birth_date"),
        pl.when(pl.col("i") % 3 == 0).then(pl.lit("01")).otherwise(pl.lit("03")).alias("relation"))


# --- database stages (subprocesses with django.setup) ----------------------------------------------

def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def worker_load(persons: str) -> dict:
    """Load the registry, take the 2015 baseline, change the registry as a year would (untimed)."""
    _setup()
    import polars as pl
    from django.db import connection, transaction

    from fupin.core.bulk import copy_frame, now_text, update_frame
    from fupin.registry.models import Household, Member
    from fupin.review import services

    n = int(persons)
    villages = _villages()
    t0 = time.perf_counter()
    n_households = (n + 2) // 3
    ids = pl.DataFrame({"id": pl.int_range(1, n_households + 1, eager=True, dtype=pl.Int64)})
    h = pl.col("id").hash(11) % 100
    status = pl.when(h < 75).then(pl.lit("0")).when(h < 95).then(pl.lit("1")).otherwise(pl.lit("3"))
    with transaction.atomic():
        copy_frame(Household, _household_rows(ids, villages, status=status, year=2014))
        copy_frame(Member, _member_rows(1, ids, 0).head(n))
    # Households whose members were cut by head(n) hold fewer than 3: fix their size in one statement.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_household h SET size = m.n FROM (SELECT household_id, count(*) AS n "
                       "FROM registry_member GROUP BY household_id) m WHERE m.household_id = h.id AND h.size <> m.n")
        cursor.execute("ANALYZE")
    t_load = time.perf_counter()
    services.take_snapshot(actor=None, county_code=COUNTY, year=2015, source="bench")
    t_base = time.perf_counter()
    # A year of changes, in bulk.
    left_at = now_text()
    hh = pl.DataFrame({"id": pl.int_range(1, n_households + 1, eager=True, dtype=pl.Int64)}).with_columns(
        (pl.col("id").hash(11) % 100).alias("h"), (pl.col("id").hash(23) % 1000).alias("r"))
    exits = hh.filter((pl.col("h") < 75) & (pl.col("r") < 100)).select("id", pl.lit("1").alias("poverty_status"),
                                                                       pl.lit(2016, dtype=pl.Int64).alias("exit_year"))
    returns = hh.filter((pl.col("h") >= 75) & (pl.col("h") < 95) & (pl.col("r") < 10)).select(
        "id", pl.lit("3").alias("poverty_status"), pl.lit(None, dtype=pl.Int64).alias("exit_year"))
    removed = hh.filter((pl.col("h") < 75) & (pl.col("r") >= 995)).select(
        "id", pl.lit("left").alias("status"), pl.lit("removed").alias("left_reason"),
        pl.lit("清退 bench").alias("left_comment"), pl.lit(left_at).alias("left_at"))
    new = pl.DataFrame({"id": pl.int_range(n_households + 1, n_households + 1 + n_households // 100, eager=True,
                                           dtype=pl.Int64)})
    with transaction.atomic():
        update_frame(Household, pl.concat([exits, returns]))
        update_frame(Household, removed)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE registry_member SET status = 'left', left_reason = 'other', left_at = h.left_at "
                           "FROM registry_household h WHERE h.id = registry_member.household_id AND h.status = 'left' "
                           "AND registry_member.status = 'active'")
            cursor.execute("UPDATE registry_member SET status = 'left', left_reason = 'death', left_at = %s "
                           "WHERE status = 'active' AND relation <> '01' AND id %% 200 = 7", [left_at])
            cursor.execute("SELECT max(id) FROM registry_member")
            last_member = cursor.fetchone()[0]
        copy_frame(Household, _household_rows(new, villages, status=pl.lit("0"), year=2016))
        copy_frame(Member, _member_rows(last_member + 1, new, 20_000_000))
        births = hh.filter(pl.col("r") % 333 == 5).select(pl.col("id").alias("household_id")).head(max(1, n * 3 // 1000))
        born = pl.DataFrame({"i": pl.int_range(0, births.height, eager=True, dtype=pl.Int64)}).with_columns(
            (pl.col("i") + last_member + 1 + new.height * 3).alias("id"))
        born = born.hstack(births).select(
            "id", "household_id", pl.lit("新生儿").alias("name"),
            _id_numbers(pl.col("i") + 25_000_000, pl.lit(COUNTY[:6])).alias("id_number"),
            pl.lit("resident").alias("id_kind"), pl.lit("1").alias("sex"), pl.lit("2016-03-01").str.to_date()
            .alias("birth_date"), pl.lit("07").alias("relation"))
        copy_frame(Member, born)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE registry_household h SET size = m.n FROM (SELECT household_id, count(*) AS n "
                           "FROM registry_member WHERE status = 'active' GROUP BY household_id) m "
                           "WHERE m.household_id = h.id AND h.size <> m.n")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"load_s": t_load - t0, "baseline_s": t_base - t_load, "changes_s": time.perf_counter() - t_base}


def worker_snapshot(_arg: str) -> dict:
    _setup()
    from fupin.review import services

    stages: dict[str, float] = {}
    start = time.perf_counter()
    snap = services.take_snapshot(actor=None, county_code=COUNTY, year=2016, source="bench", stages=stages)
    seconds = time.perf_counter() - start
    return {"snapshot_s": seconds, "read_s": stages.get("read", 0.0), "write_s": stages.get("write", 0.0),
            "households": snap.households, "persons": snap.persons,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def worker_flows(_arg: str) -> dict:
    _setup()
    from fupin.accounts.models import User
    from fupin.regions.models import Region
    from fupin.review import selectors
    from fupin.review.models import Snapshot

    user = User.objects.filter(username="bench_county").first() or User.objects.create(
        username="bench_county", role="county", region=Region.objects.get(code=COUNTY))
    start = time.perf_counter()
    view = selectors.flow_view(user, COUNTY, 2016)
    seconds = time.perf_counter() - start
    s0, s1 = Snapshot.objects.get(region_code=COUNTY, year=2015), Snapshot.objects.get(region_code=COUNTY, year=2016)
    ok = (view.balanced and view.households.start == s0.poor_households and view.persons.start == s0.poor_persons
          and view.households.end == s1.poor_households and view.persons.end == s1.poor_persons
          and all(c.balanced for c in view.children))
    return {"flows_s": seconds, "ok": ok, "households": view.households.as_dict(), "persons": view.persons.as_dict(),
            "children": len(view.children), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


WORKERS = {"load": worker_load, "snapshot": worker_snapshot, "flows": worker_flows}


def run_worker(name: str, arg: str, env: dict[str, str]) -> dict:
    done = subprocess.run([PYTHON, __file__, "--worker", name, "--arg", arg], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"worker {name} failed")
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
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--arg", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.arg)))
        return

    import psycopg

    target = args.pg_url.rsplit("/", 1)[0] + "/" + SCRATCH
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin.execute(f"CREATE DATABASE {SCRATCH}")
    try:
        with tempfile.TemporaryDirectory(prefix="fupin-bench-snapshot-") as tmp:
            env = {**os.environ, "FUPIN_DATABASE_URL": target, "FUPIN_DATA_DIR": str(Path(tmp) / "data")}
            fupin(env, "migrate", "--no-input")
            fupin(env, "load_regions", "--prefix", "3504")
            load = run_worker("load", str(args.persons), env)
            print(f"registry of {args.persons} persons loaded with COPY in {load['load_s']:.1f} s, baseline "
                  f"snapshot 2015 {load['baseline_s']:.1f} s, a year of changes {load['changes_s']:.1f} s "
                  "(untimed)", flush=True)
            snap = run_worker("snapshot", "", env)
            print(f"snapshot 2016 (PostgreSQL, end to end): {snap['snapshot_s']:.2f} s (read registry "
                  f"{snap['read_s']:.2f}, write rows {snap['write_s']:.2f}; {snap['households']} household rows, "
                  f"{snap['persons']} person rows; peak {snap['peak_mb']} MB)", flush=True)
            flows = run_worker("flows", "", env)
            h, p = flows["households"], flows["persons"]
            print(f"flow report 2016 (county + {flows['children']} townships): {flows['flows_s']:.2f} s; "
                  f"households {h['start']} +{h['new']} +{h['returned']} −{h['exited']} −{h['removed']} "
                  f"+{h['natural_in']} −{h['natural_out']} = {h['end']}; persons {p['start']} +{p['new']} "
                  f"+{p['returned']} −{p['exited']} −{p['removed']} +{p['natural_in']} −{p['natural_out']} = "
                  f"{p['end']} (peak {flows['peak_mb']} MB)", flush=True)
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    if not flows["ok"]:
        raise SystemExit("the flow report does not reconcile with the snapshots")
    total = snap["snapshot_s"] + flows["flows_s"]
    figures = {"persons": args.persons, "households": snap["households"], "person_rows": snap["persons"],
               "snapshot_s": round(snap["snapshot_s"], 2), "snapshot_read_s": round(snap["read_s"], 2),
               "snapshot_write_s": round(snap["write_s"], 2), "flows_s": round(flows["flows_s"], 2),
               "total_s": round(total, 2), "peak_mb": peak_mb()}
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
