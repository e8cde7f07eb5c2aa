"""Fixtures of the monitoring tests: users of 明溪县 (in scope) and 宁化县 (out), hand-built households,
department data files, and a helper that takes an object through the procedure.

The day of the runs is :data:`ON` (30 June 2024): 明溪县 is in Fujian, whose 2023 line (10,560 yuan)
is the line of 2024 (no newer one). A household with :data:`POOR` income (2,500 a person) is below it,
one with :data:`RICH` income (20,000 a person, 60,000 net) above it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fupin.monitoring import data_import, services
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for, member_data

ON = dt.date(2024, 6, 30)
FUJIAN_2024_LINE = 10560
POOR = {"income_wage": "6000", "income_business": "1500"}  # 7,500 ÷ 3 = 2,500 a person
RICH = {"income_wage": "60000", "income_business": "0"}  # 60,000 ÷ 3 = 20,000 a person
EXITED = {"poverty_status": "1", "exit_year": 2020, "planned_exit_year": 2020}
SURVEY = {"surveyor": "驻村队员", "surveyed_on": "2024-07-01", "findings": "因病支出大 / large medical costs"}
MEETING = {"held_on": "2024-07-02", "representatives_total": 15, "representatives_present": 12, "votes_for": 10,
           "votes_against": 1}
OPINION = {"reviewer": "审核人", "opinion": "同意 / agreed"}


def day(n: int) -> dt.date:
    """``n`` days after 1 July 2024 (the procedure's dates)."""
    return dt.date(2024, 7, 1) + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path_factory):
    settings.DATA_DIR = tmp_path_factory.mktemp("data")


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    from fupin.monitoring.policies import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def village(db) -> str:
    return first_village(MINGXI)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def people(make_user, village) -> dict[str, Any]:
    return {
        "village": make_user("village", village),
        "township": make_user("township", village[:9] + "000"),
        "county": make_user("county", MINGXI),
        "ninghua_county": make_user("county", NINGHUA),
        "city": make_user("city", "350400000000"),
        "admin": make_user("admin", MINGXI),
    }


@pytest.fixture
def household(village) -> Callable[..., Any]:
    """``household(exited=True, rich=False, labour="1", village_code=None, **fields)`` — 3 persons."""

    def build(*, exited: bool = True, rich: bool = False, labour: str = "1", village_code: str | None = None,
              **fields: Any):
        values = {**(EXITED if exited else {}), **(RICH if rich else POOR), **fields}
        overrides = [{"labour_skill": labour, "health": "1" if labour in ("1", "2") else "3"} for _ in range(3)]
        return make_household_for(village_code or village, members=3, member_overrides=overrides, **values)

    return build


@pytest.fixture
def edge_household(people, village) -> Callable[..., Any]:
    """``edge_household(rich=False, causes=(), **fields)`` — a 监测户 (not registered) recorded by hand, as
    the monitoring app records one; returns its monitoring object."""

    def build(*, rich: bool = False, causes: tuple[str, ...] = ("income_below_line",), note: str = "", **fields: Any):
        from fupin.testing import household_data

        data = household_data(**(RICH if rich else POOR), **fields)
        members = [member_data("01"), member_data("02"), member_data("03")]
        return services.record_edge_household(actor=people["village"], village_code=village, data=data,
                                              members=members, causes=causes, note=note or "test", on=ON,
                                              source="test")

    return build


def write_csv(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def import_data(people, tmp_path) -> Callable[..., Any]:
    """``import_data(kind, rows, headers=None)`` → a loaded list of 明溪县 (as of :data:`ON`)."""
    default_headers = {
        "medical": ["参保人身份证号码", "参保人姓名", "个人自付金额(元)", "结算日期"],
        "disaster": ["身份证号码", "户主姓名", "损失金额(元)", "受灾日期"],
        "death": ["死者身份证号码", "死者姓名", "死亡日期"],
    }
    counter = iter(range(1, 1000))

    def load(kind: str, rows: list[list[Any]], headers: list[str] | None = None, as_of: dt.date = ON):
        path = write_csv(tmp_path / f"{kind}-{next(counter)}.csv", headers or default_headers[kind], rows)
        return data_import.import_data(actor=people["county"], kind=kind, region_code=MINGXI, as_of=as_of,
                                       file_name=path.name, path=path, source="test", today=dt.date(2026, 1, 1))

    return load


@pytest.fixture
def to_monitored(people) -> Callable[..., Any]:
    """Take a flagged object through the whole procedure (notice of exactly 5 days); returns it monitored."""

    def run(obj: Any) -> Any:
        v, t, c = people["village"], people["township"], people["county"]
        services.start_identification(actor=v, object_id=obj.pk, evidence=SURVEY, on=day(0), source="test")
        services.perform_step(actor=v, object_id=obj.pk, step="democratic_review", evidence=MEETING, on=day(1),
                              source="test")
        services.perform_step(actor=v, object_id=obj.pk, step="village_publicity", on=day(6), source="test")
        services.perform_step(actor=t, object_id=obj.pk, step="township_review", evidence=OPINION, on=day(7),
                              source="test")
        services.perform_step(actor=c, object_id=obj.pk, step="registration", evidence=OPINION, on=day(8),
                              source="test")
        obj.refresh_from_db()
        return obj

    return run
