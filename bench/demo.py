"""Benchmark: `fupin demo --no-serve` from an empty database (issue: "it finishes in under 30 s").

Runs the real command in a fresh data folder (SQLite) and, with --postgres, in a fresh PostgreSQL
database, and prints the wall time and what was loaded. The last line holds every figure as
key=value pairs.

    .venv/bin/python bench/demo.py [--postgres postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUPIN = str(Path(sys.executable).with_name("fupin"))
COUNTS = (
    "SELECT (SELECT count(*) FROM registry_household), (SELECT count(*) FROM registry_member),"
    " (SELECT count(*) FROM regions_region), (SELECT count(*) FROM core_changerecord)"
)


def run_demo(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([FUPIN, "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_sqlite() -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "FUPIN_DATA_DIR": data_dir}
        env.pop("FUPIN_DATABASE_URL", None)
        seconds = run_demo(env)
        with sqlite3.connect(Path(data_dir) / "fupin.sqlite3") as conn:
            households, members, regions, changes = conn.execute(COUNTS).fetchone()
    return {"sqlite_s": round(seconds, 2), "households": households, "persons": members, "regions": regions,
            "audit_rows": changes}


def bench_postgres(url: str) -> dict[str, float | int]:
    import psycopg

    name = f"fupin_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        target = url.rsplit("/", 1)[0] + "/" + name
        with tempfile.TemporaryDirectory() as data_dir:
            seconds = run_demo({**os.environ, "FUPIN_DATA_DIR": data_dir, "FUPIN_DATABASE_URL": target})
        with psycopg.connect(target) as conn:
            households = conn.execute("SELECT count(*) FROM registry_household").fetchone()[0]
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
    return {"pg_s": round(seconds, 2), "pg_households": households}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to also time the demo there")
    args = parser.parse_args()
    figures: dict[str, float | int] = {"cores": os.cpu_count() or 0}
    figures.update(bench_sqlite())
    print(f"SQLite: demo in {figures['sqlite_s']} s — {figures['households']} households, "
          f"{figures['persons']} persons, {figures['regions']} regions, {figures['audit_rows']} audit rows")
    if args.postgres:
        figures.update(bench_postgres(args.postgres))
        print(f"PostgreSQL: demo in {figures['pg_s']} s — {figures['pg_households']} households")
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
