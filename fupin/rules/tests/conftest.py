"""Fixtures of the rules tests: 明溪县 (in scope) and 宁化县 (out of scope), households built through the
registry services, the decision date, and a way to plant other departments' confirmed hits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest

from fupin.rules import frames
from fupin.testing import MINGXI, NINGHUA, first_village

#: Every decision in these tests is made on this date: 2016's national line is 2,952 yuan.
ON = date(2016, 6, 1)
LINE_2016 = 2952.0


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def household(make_household, mingxi_village) -> Callable[..., Any]:
    """``household(per_capita=2500, members=3, village=…, **fields)``: a household whose income per
    person is ``per_capita`` (all of it wages), registered through the service."""

    def make(per_capita: float = 2500, members: int = 3, village: str | None = None, **fields: Any):
        fields.setdefault("income_wage", str(per_capita * members))
        fields.setdefault("income_business", "0")
        return make_household(village or mingxi_village, members=members, **fields)

    return make


@pytest.fixture
def plant_matches(monkeypatch) -> Callable[[list[tuple[str, str]]], None]:
    """``plant_matches([(id_number, kind), …])``: the confirmed screening hits the rule engine sees."""

    def plant(rows: list[tuple[str, str]]) -> None:
        frame = pl.DataFrame(rows, schema=frames.MATCHES_SCHEMA, orient="row")
        monkeypatch.setattr(frames, "_confirmed_matches", lambda region_code, **_: frame)

    return plant


@pytest.fixture(autouse=True)
def _sync_jobs(settings):
    settings.FUPIN_IMPORT_SYNC = True
