"""Benchmark of the classification (issue 4): eligibility, exclusions and N个一批 on 1M persons, in Polars.

    .venv/bin/python bench/classify.py [--persons 1000000] [--seed 1] [--threads N]

No database: the registry is generated as Polars frames in the shape :mod:`fupin.rules.frames` reads
from the database (the Django field names of ``fupin.registry.models``, typed), over Sanming's real
villages (``fupin/data/regions-fujian.csv``), ~3 persons per household, with ~1 % of persons hit by
other departments' lists (数据比对). Then, timed stage by stage with the shipped national policy:

1. **view** — ``household_view`` + ``person_view`` (member aggregates, ages, category groups, hits,
   poverty line by 识别标准, income recomputed with the counted transfers);
2. **eligibility** — ``decide``: the income test and the 八不入 exclusions over every household;
3. **sanming9** — Sanming's 九个一批 (households) classified, then counted per pathway at every region
   level (``count_by_region``);
4. **xianning5** — Xianning's 五个一批 (persons, first-match with 移民安置 overlapping), classified and
   counted the same way.

Peak memory is this process's largest resident set (``ru_maxrss``). The last line holds every figure
as key=value pairs.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REGIONS_CSV = ROOT / "fupin" / "data" / "regions-fujian.csv"
AS_OF = date(2016, 6, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def villages() -> list[str]:
    with REGIONS_CSV.open(encoding="utf-8") as f:
        return sorted(r["code"] for r in csv.DictReader(f) if r["code"].startswith("3504") and r["level"] == "5")


def _pick(values: list[str], h):  # h: an unsigned hash expression
    import polars as pl

    return pl.lit(pl.Series(values)).get((h % len(values)).cast(pl.Int64))


def generate(persons: int, seed: int = 1):
    """``(households, members, matches)`` frames of about ``persons`` persons."""
    import polars as pl

    codes = villages()
    n_households = max(1, persons // 3)
    h = pl.DataFrame({"id": pl.int_range(1, n_households + 1, eager=True, dtype=pl.Int64)})
    h = h.with_columns(pl.col("id").hash(seed).alias("_h"))
    hh = pl.col("_h")
    size_table = ["1", "2", "2", "3", "3", "3", "4", "4", "4", "5"]
    h = h.with_columns(
        _pick(size_table, hh).cast(pl.Int64).alias("size"),
        pl.lit(pl.Series(codes)).get(((hh // 17) % len(codes)).cast(pl.Int64)).alias("village_code"),
    ).with_columns(
        (pl.col("village_code") + (pl.int_range(pl.len()).over("village_code") + 1).cast(pl.Utf8).str.zfill(5))
        .alias("household_number"),
        (pl.col("village_code").str.slice(0, 9) + "000").alias("township_code"),
        (pl.col("village_code").str.slice(0, 6) + "000000").alias("county_code"),
    )
    yuan = lambda x, lo, hi: ((x % ((hi - lo) * 100)) + lo * 100).cast(pl.Float64) / 100  # noqa: E731
    flag = lambda x, k: ((x // k) % k) == 0  # noqa: E731  (1 in k)
    causes = ["1", "1", "1", "2", "2", "3", "4", "5", "6", "7", "7", "8", "9", "10", "11"]
    households = h.select(
        "id", "household_number", "village_code", "township_code", "county_code", pl.lit("active").alias("status"),
        pl.lit("1").alias("identification_standard"),
        _pick(["1", "1", "1", "1", "2", "2", "3"], hh // 43).alias("category"),
        pl.lit("2016").alias("category_form_version"),
        _pick(causes, hh // 47).alias("main_cause"),
        _pick(["", "", "", "3", "4", "7", "10"], hh // 53).alias("other_cause_1"),
        pl.lit("").alias("other_cause_2"),
        flag(hh, 59).alias("is_military_family"), flag(hh, 61).alias("is_only_child"),
        flag(hh, 67).alias("is_two_daughters"),
        yuan(hh // 71, 0, 8).alias("arable_mu"), yuan(hh // 73, 0, 5).alias("irrigated_mu"),
        yuan(hh // 79, 0, 20).alias("forest_mu"), pl.lit(0.0).alias("grain_to_green_mu"),
        pl.lit(0.0).alias("fruit_forest_mu"), pl.lit(0.0).alias("pasture_mu"), pl.lit(0.0).alias("water_surface_mu"),
        flag(hh, 5).alias("is_coop_member"), ~flag(hh, 97).alias("has_electricity"),
        flag(hh, 3).alias("has_production_power"), yuan(hh // 83, 0, 12).alias("road_distance_km"),
        _pick(["1", "2", "3", "3"], hh // 89).alias("road_type"), yuan(hh // 101, 20, 160).alias("housing_area_m2"),
        _pick(["", "", "", "", "C", "D"], hh // 103).alias("dilapidated_grade"),
        ~flag(hh, 7).alias("drinking_water_safe"), flag(hh, 9).alias("drinking_water_difficult"),
        _pick(["1", "2", "3"], hh // 107).alias("fuel_type"), flag(hh, 2).alias("has_sanitary_toilet"),
        yuan(hh // 3, 0, 12000).alias("income_wage"), yuan(hh // 5, 0, 4000).alias("income_business"),
        yuan(hh // 7, 0, 300).alias("income_property"),
        pl.when(flag(hh, 11)).then(yuan(hh // 13, 600, 3000)).otherwise(0.0).alias("transfer_dibao"),
        pl.lit(0.0).alias("transfer_wubao"),
        pl.when(flag(hh, 4)).then(yuan(hh // 23, 0, 1500)).otherwise(0.0).alias("transfer_pension"),
        pl.lit(0.0).alias("transfer_eco"), pl.lit(0.0).alias("transfer_other"),
        yuan(hh // 29, 0, 1500).alias("business_expense"),
        pl.lit(None, pl.Float64).alias("income_net"), pl.lit(None, pl.Float64).alias("income_per_capita"),
        pl.lit(True).alias("food_secure"), pl.lit(True).alias("clothing_secure"), pl.lit(True).alias("education_secure"),
        pl.lit(True).alias("medical_secure"), ~flag(hh, 6).alias("housing_secure"),
        pl.lit("0").alias("poverty_status"), (2014 + (hh // 31) % 3).cast(pl.Int64).alias("identification_year"),
        pl.lit(None, pl.Int64).alias("planned_exit_year"), pl.lit(None, pl.Int64).alias("exit_year"), "size",
    )
    m = (h.select(pl.col("id").alias("household_id"), "size", "village_code")
         .with_columns(pl.int_ranges(0, pl.col("size")).alias("pos")).explode("pos", empty_as_null=True).head(persons)
         .with_row_index("i", offset=1).with_columns(pl.col("i").cast(pl.Int64)))
    mh = pl.col("i").hash(seed + 1)
    adult_days, days = 18_000, 27_393  # born 1940–1989 (heads, spouses) or 1940–2014 (the others)
    adult = pl.col("pos") < 2
    m = m.with_columns(
        pl.when(adult).then((pl.col("i") * 7919) % adult_days).otherwise((pl.col("i") * 7919) % days).alias("_d"),
        pl.when(adult).then((pl.col("i") // adult_days) % 500).otherwise(500 + (pl.col("i") // days) % 500).alias("_s"),
        mh.alias("_mh"),
    ).with_columns((pl.date(1940, 1, 1) + pl.duration(days=pl.col("_d"))).alias("birth_date"))
    f17 = pl.col("village_code").str.slice(0, 6) + pl.col("birth_date").dt.strftime("%Y%m%d") + \
        pl.col("_s").cast(pl.Utf8).str.zfill(3)
    m = m.with_columns(f17.alias("_f17"))
    total = pl.sum_horizontal([pl.col("_f17").str.slice(k, 1).cast(pl.Int64) * w for k, w in enumerate(WEIGHTS)])
    x = pl.col("_mh")
    members = m.select(
        pl.col("i").alias("id"), "household_id",
        (pl.col("_f17") + pl.lit(pl.Series(list("10X98765432"))).get((total % 11).cast(pl.Int64))).alias("id_number"),
        "birth_date", pl.when(pl.col("_s") % 2 == 1).then(pl.lit("1")).otherwise(pl.lit("2")).alias("sex"),
        pl.when(pl.col("pos") == 0).then(pl.lit("01")).when(pl.col("pos") == 1).then(pl.lit("02"))
        .otherwise(pl.lit("03")).alias("relation"),
        _pick(["1", "2", "3", "3", "4"], x // 3).alias("education"),
        _pick(["1", "1", "1", "3", "5", "8"], x // 5).alias("schooling"),
        _pick(["1", "1", "1", "1", "2", "3", "4"], x // 7).alias("health"),
        _pick(["1", "1", "1", "2", "3", "4"], x // 11).alias("labour_skill"),
        _pick(["", "", "1", "2", "3", "4"], x // 13).alias("migrant_work"),
        ((x // 17) % 13).cast(pl.Int64).alias("migrant_months"),
        pl.lit(False).alias("is_active_soldier"), ((x // 19) % 9 == 0).alias("is_dibao"),
        ((x // 23) % 40 == 0).alias("is_tekun"), pl.lit("active").alias("status"),
    )
    households = households.filter(pl.col("id").is_in(members["household_id"].unique().implode()))
    kinds = ["vehicle", "real_estate", "business", "payroll", "village_cadre", "death"]
    matches = (members.filter((pl.col("id").hash(seed + 2) % 100) == 0)
               .select("id_number", _pick(kinds, pl.col("id").hash(seed + 3)).alias("kind")))
    return households, members, matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="POLARS_MAX_THREADS (0: Polars' default)")
    args = parser.parse_args()
    if args.threads:
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)

    import polars as pl

    from fupin.policy.analytic_view import household_view, person_view
    from fupin.policy.eligibility import decide
    from fupin.policy.pathways import classify, count_by_region
    from fupin.policy.policy_sets import load_default_policy

    policy = load_default_policy()
    figures: dict[str, object] = {}

    t = time.perf_counter()
    households, members, matches = generate(args.persons, args.seed)
    figures["generate_s"] = round(time.perf_counter() - t, 2)
    print(f"generate: {figures['generate_s']} s ({members.height} persons, {households.height} households, "
          f"{matches.height} department hits)", flush=True)

    t = time.perf_counter()
    lines = policy.poverty_lines_by_standard(year=AS_OF.year)
    hv = household_view(households, members, as_of=AS_OF, poverty_line=lines, matches=matches,
                        income_settings=policy.income)
    pv = person_view(households, members, as_of=AS_OF, matches=matches, income_settings=policy.income)
    figures["view_s"] = round(time.perf_counter() - t, 2)
    print(f"view: {figures['view_s']} s ({hv.height} household rows, {pv.height} person rows)", flush=True)

    t = time.perf_counter()
    decided = decide(hv, policy)
    eligible = int(decided["eligible"].sum())
    excluded = int(decided["excluded"].sum())
    figures["eligibility_s"] = round(time.perf_counter() - t, 2)
    print(f"eligibility: {figures['eligibility_s']} s ({eligible} eligible, {excluded} excluded)", flush=True)

    for scheme_id, key in (("sanming9", "sanming9_s"), ("xianning5", "xianning5_s")):
        scheme = policy.schemes[scheme_id]
        t = time.perf_counter()
        classified = classify(scheme, hv, pv)
        counts = count_by_region(scheme, classified, hv, with_total=True)
        figures[key] = round(time.perf_counter() - t, 2)
        figures[f"{scheme_id}_rows"] = classified.height
        print(f"{scheme_id}: {figures[key]} s ({classified.height} assignments, {counts.height} count rows)", flush=True)

    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    summary = {"persons": members.height, "households": households.height, "view_s": figures["view_s"],
               "eligibility_s": figures["eligibility_s"], "sanming9_s": figures["sanming9_s"],
               "xianning5_s": figures["xianning5_s"], "peak_mb": peak_mb, "generate_s": figures["generate_s"],
               "eligible": eligible, "excluded": excluded, "sanming9_rows": figures["sanming9_rows"],
               "xianning5_rows": figures["xianning5_rows"], "threads": pl.thread_pool_size()}
    print(" ".join(f"{k}={v}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
