"""Seed 002 (靖宇县) reproduced in the database: a registry of ~9,000 households written in bulk, changed in
bulk year by year, snapshotted by the service, and the flow report: 8353户15960人 → 7329户13660人 →
5767户10473人, with 1579户3182人 exited in 2016 (fupin/policy/tests/seed002_scenario.py says which figures
are the seed's and which are illustrative)."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import transaction
from django.utils import timezone

from fupin.core.bulk import copy_frame, now_text, update_frame
from fupin.policy.tests.seed002_scenario import EXPECTED, SEED_STOCK, build, frames_of
from fupin.regions.models import Region
from fupin.registry.models import Household, Member
from fupin.review import selectors, services
from fupin.testing import MINGXI

pytestmark = pytest.mark.django_db


def _households(frame: pl.DataFrame, left_at: str) -> pl.DataFrame:
    v = pl.col("village_code")
    return frame.select(
        pl.col("household_id").alias("id"), "household_number", "head_name", v.alias("village_id"),
        (v.str.slice(0, 2) + pl.lit("0" * 10)).alias("province_code"), (v.str.slice(0, 4) + pl.lit("0" * 8)).alias("city_code"),
        (v.str.slice(0, 6) + pl.lit("0" * 6)).alias("county_code"), (v.str.slice(0, 9) + pl.lit("000")).alias("township_code"),
        v, pl.lit("1").alias("main_cause"), "identification_year", "exit_year", "size", "status", "poverty_status",
        "left_reason", pl.when(pl.col("status") == "left").then(pl.lit(left_at)).alias("left_at"))


def _members(frame: pl.DataFrame, left_at: str) -> pl.DataFrame:
    return frame.select(
        pl.col("member_id").alias("id"), "household_id", pl.lit("成员").alias("name"),
        (pl.lit("T") + pl.col("member_id").cast(pl.Utf8).str.zfill(17)).alias("id_number"),
        pl.lit("resident").alias("id_kind"), "sex", "birth_date", "relation", "status", "left_reason",
        pl.when(pl.col("status") == "left").then(pl.lit(left_at)).alias("left_at"))


def _apply(previous: tuple[pl.DataFrame, pl.DataFrame] | None, state: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Write a year's registry state: new rows by COPY, changed rows by one UPDATE … FROM (bulk)."""
    left_at = now_text()
    households, members = _households(state[0], left_at), _members(state[1], left_at)
    with transaction.atomic():
        if previous is None:
            copy_frame(Household, households)
            copy_frame(Member, members)
            return
        old_h, old_m = _households(previous[0], left_at), _members(previous[1], left_at)
        new_h = households.join(old_h.select("id"), on="id", how="anti")
        copy_frame(Household, new_h)
        changed_h = households.join(old_h, on="id", how="inner", suffix="_old").filter(
            (pl.col("status") != pl.col("status_old")) | (pl.col("poverty_status") != pl.col("poverty_status_old"))
            | (pl.col("size") != pl.col("size_old")))
        update_frame(Household, changed_h.select("id", "status", "poverty_status", "exit_year", "size", "left_reason",
                                                 "left_at"))
        copy_frame(Member, members.join(old_m.select("id"), on="id", how="anti"))
        changed_m = members.join(old_m, on="id", how="inner", suffix="_old").filter(
            pl.col("status") != pl.col("status_old"))
        update_frame(Member, changed_m.select("id", "status", "left_reason", "left_at"))


def test_seed002_series_through_snapshots(make_user):
    villages = list(Region.objects.filter(level=5, code__startswith="350421").order_by("code")
                    .values_list("code", flat=True)[:12])
    _builder, states = build(villages)
    county = make_user("county", MINGXI)
    previous = None
    for year in (2014, 2015, 2016):
        state = frames_of(states[year], villages)
        _apply(previous, state)
        previous = state
        snap = services.take_snapshot(actor=county, county_code=MINGXI, year=year, source="test")
        assert (snap.poor_households, snap.poor_persons) == SEED_STOCK[year]
        assert snap.as_of <= timezone.now()
    for year in (2015, 2016):
        view = selectors.flow_view(county, MINGXI, year)
        h, p = view.households.as_dict(), view.persons.as_dict()
        assert {k: (h[k], p[k]) for k in h} == EXPECTED[year]
        assert view.balanced and all(row.balanced for row in view.children)
    view = selectors.flow_view(county, MINGXI, 2016)
    assert (view.households.exited, view.persons.exited) == (1579, 3182)
    assert (view.households.start, view.persons.start, view.households.end, view.persons.end) == (7329, 13660, 5767, 10473)
