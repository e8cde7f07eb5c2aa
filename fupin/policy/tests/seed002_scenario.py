"""The seed-002 series (靖宇县) as a scenario at reduced detail: registry states at the end of 2014, 2015, 2016.

From the seed: 建档立卡贫困对象 at the start of 2015 8353户15960人, of 2016 7329户13660人, of 2017 5767户10473人
(i.e. the stock at the end of 2014, 2015, 2016), and 1579户3182人 exited in 2016. Everything else below —
how 2015's change splits into exits, removals, new identifications …, and how 2016's +17 households and
−5 persons (after the exits) split — is illustrative, chosen so the seed's figures come out exactly.

Households are built in named blocks of given households and persons (sizes as even as possible);
member-level events (births, deaths, marriages) happen in the ``stay`` block only. A test fixture: plain
Python over ~9,000 households is fine here (product code works on frames).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

SEED_STOCK = {2014: (8353, 15960), 2015: (7329, 13660), 2016: (5767, 10473)}
SEED_EXITED_2016 = (1579, 3182)

#: Expected flows per year, households and persons (2016 exits from the seed, the rest illustrative).
EXPECTED: dict[int, dict[str, tuple[int, int]]] = {
    2015: {"start": (8353, 15960), "new": (120, 250), "returned": (20, 45), "exited": (1100, 2400),
           "removed": (60, 130), "natural_in": (0, 35 + 20), "natural_out": (4, 4 + 86 + 30), "end": (7329, 13660)},
    2016: {"start": (7329, 13660), "new": (30, 62), "returned": (8, 17), "exited": (1579, 3182),
           "removed": (20, 41), "natural_in": (0, 20 + 12), "natural_out": (1, 1 + 40 + 34), "end": (5767, 10473)},
}
#: Member-level events per year in the stay block: (births, marriages in, deaths, marriages out).
MEMBER_EVENTS = {2015: (35, 20, 86, 30), 2016: (20, 12, 40, 34)}


def sizes(households: int, persons: int) -> list[int]:
    """Household sizes summing to ``persons``, as even as possible (each at least 1)."""
    if persons < households:
        raise ValueError("fewer persons than households")
    base, extra = divmod(persons, households)
    return [base + (1 if i < extra else 0) for i in range(households)]


@dataclass
class Builder:
    villages: list[str]
    household_offset: int = 0
    households: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    blocks: dict[str, list[int]] = field(default_factory=dict)
    _next_h: int = 0
    _next_m: int = 0

    def _member(self, hid: int, relation: str, birth: dt.date) -> int:
        self._next_m += 1
        mid = self.household_offset * 10 + self._next_m
        self.members[mid] = {"member_id": mid, "household_id": hid, "relation": relation, "birth_date": birth,
                             "status": "active", "left_reason": "", "left_with_household": False,
                             "sex": "1" if mid % 2 else "2"}
        return mid

    def block(self, name: str, households: int, persons: int, *, poverty_status: str = "0", year: int = 2014,
              exit_year: int | None = None) -> list[int]:
        ids = []
        for size in sizes(households, persons):
            self._next_h += 1
            hid = self.household_offset + self._next_h
            village = self.villages[hid % len(self.villages)]
            self.households[hid] = {
                "household_id": hid, "household_number": f"{village}{hid:05d}"[:17], "head_name": f"户主{hid}",
                "village_code": village, "status": "active", "poverty_status": poverty_status,
                "identification_year": year, "exit_year": exit_year, "left_reason": ""}
            for k in range(size):
                self._member(hid, "01" if k == 0 else "03", dt.date(1960 + hid % 30, 1 + k, 1))
            ids.append(hid)
        self.blocks[name] = ids
        return ids

    def set_households(self, name: str, **values: Any) -> None:
        for hid in self.blocks[name]:
            self.households[hid].update(values)
            if values.get("status") == "left":
                for m in self.members.values():
                    if m["household_id"] == hid and m["status"] == "active":
                        m.update(status="left", left_reason="other", left_with_household=True)

    def member_events(self, year: int) -> None:
        births, marriages_in, deaths, marriages_out = MEMBER_EVENTS[year]
        stay = self.blocks["stay"]
        stay_set = set(stay)
        for i in range(births):
            self._member(stay[(7 * i + year) % len(stay)], "07", dt.date(year, 3, 1))
        for i in range(marriages_in):
            self._member(stay[(11 * i + year + 1) % len(stay)], "05", dt.date(1995, 5, 1))
        leaving = [m for m in self.members.values()
                   if m["household_id"] in stay_set and m["status"] == "active" and m["relation"] != "01"
                   and m["birth_date"].year < 2014]
        leaving.sort(key=lambda m: (m["household_id"] * 7919 + year) % 100_003)
        for m in leaving[:deaths]:
            m.update(status="left", left_reason="death")
        for m in leaving[deaths:deaths + marriages_out]:
            m.update(status="left", left_reason="marriage_out")

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(households, persons) in snapshot shape; ``size`` is the count of active members."""
        persons = pl.DataFrame(list(self.members.values()), schema={
            "member_id": pl.Int64, "household_id": pl.Int64, "relation": pl.Utf8, "birth_date": pl.Date,
            "status": pl.Utf8, "left_reason": pl.Utf8, "left_with_household": pl.Boolean, "sex": pl.Utf8})
        households = pl.DataFrame(list(self.households.values()), schema={
            "household_id": pl.Int64, "household_number": pl.Utf8, "head_name": pl.Utf8, "village_code": pl.Utf8,
            "status": pl.Utf8, "poverty_status": pl.Utf8, "identification_year": pl.Int64, "exit_year": pl.Int64,
            "left_reason": pl.Utf8})
        size = persons.filter(pl.col("status") == "active").group_by("household_id").len("size")
        households = households.join(size, on="household_id", how="left").with_columns(
            pl.col("size").fill_null(0).cast(pl.Int64))
        villages = households.select("household_id", "village_code")
        return households, persons.join(villages, on="household_id", how="left")

    def state(self) -> dict[str, Any]:
        return {"households": copy.deepcopy(self.households), "members": copy.deepcopy(self.members)}


def build(villages: list[str], *, household_offset: int = 0) -> tuple[Builder, dict[int, dict[str, Any]]]:
    """The builder and the registry state (households, members: dicts by id) at the end of each year."""
    b = Builder(villages, household_offset=household_offset)
    # Stock at the end of 2014: 8353户15960人, in blocks by what happens to them later.
    b.block("exit2015", 1092, 2383)
    b.block("exit2015_return2016", 8, 17)
    b.block("removed2015", 60, 130)
    b.block("extinct2015", 4, 4)
    b.block("exit2016", 1579, 3182)
    b.block("removed2016", 20, 41)
    b.block("extinct2016", 1, 1)
    stock = SEED_STOCK[2014]
    used_h = 1092 + 8 + 60 + 4 + 1579 + 20 + 1
    used_p = 2383 + 17 + 130 + 4 + 3182 + 41 + 1
    b.block("stay", stock[0] - used_h, stock[1] - used_p)
    # Exited before 2015 (not in the stock): the pool some return from.
    b.block("exited_before", 480, 955, poverty_status="1", exit_year=2014)
    b.block("return2015", 20, 45, poverty_status="1", exit_year=2014)
    states = {2014: b.state()}

    # 2015
    b.set_households("exit2015", poverty_status="1", exit_year=2015)
    b.set_households("exit2015_return2016", poverty_status="1", exit_year=2015)
    b.set_households("removed2015", status="left", left_reason="removed")
    b.set_households("extinct2015", status="left", left_reason="extinct")
    b.set_households("return2015", poverty_status="3")
    b.block("new2015", 120, 250, year=2015)
    b.member_events(2015)
    states[2015] = b.state()

    # 2016
    b.set_households("exit2016", poverty_status="1", exit_year=2016)
    b.set_households("removed2016", status="left", left_reason="entry_error")
    b.set_households("extinct2016", status="left", left_reason="extinct")
    b.set_households("exit2015_return2016", poverty_status="3")
    b.block("new2016", 30, 62, year=2016)
    b.member_events(2016)
    states[2016] = b.state()
    return b, states


def frames_of(state: dict[str, Any], villages: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Snapshot-shaped frames of one saved state."""
    b = Builder(villages)
    b.households, b.members = state["households"], state["members"]
    return b.frames()
