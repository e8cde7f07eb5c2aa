"""The registry side of an import is read for the file's 户编号 and ID numbers only, once."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.imports.pipelines import registry_frames
from fupin.imports.pipelines.diff_roster import canonical
from fupin.registry.models import Household, Member

pytestmark = pytest.mark.django_db


def _ids(household: Household) -> list[str]:
    return list(household.members.order_by("pk").values_list("id_number", flat=True))


def test_holders_are_read_for_the_given_ids_only(make_household):
    households = [make_household(members=2) for _ in range(3)]
    wanted = _ids(households[0])[:1] + _ids(households[2])
    frame = registry_frames.active_members_frame(pl.Series([*wanted, "110101199001011237"]))
    assert sorted(frame["id_number"].to_list()) == sorted(wanted)
    numbers = dict(zip(frame["id_number"], frame["household_number"], strict=True))
    assert numbers[wanted[0]] == households[0].household_number
    assert registry_frames.active_members_frame([]).height == 0


def test_a_registry_no_larger_than_the_list_gives_the_same_rows(make_household, monkeypatch):
    households = [make_household(members=2) for _ in range(2)]
    everyone = Member.objects.filter(status="active").count()
    wanted = _ids(households[1])[:1]
    many = wanted + [f"11010119900101{i:04d}" for i in range(everyone)]
    numbers = [households[0].household_number] + [f"N{i}" for i in range(Household.objects.count())]
    counted = "FROM registry_member WHERE status = 'active'"
    assert registry_frames._count_upto(counted, len(many)) == everyone
    assert registry_frames._count_upto(counted, everyone - 1) == everyone  # stops at n + 1
    read = (registry_frames.active_members_frame(many), registry_frames.registry_households(numbers),
            registry_frames.registry_members(numbers))
    assert read[0]["id_number"].to_list() == wanted  # read whole, then cut to the list
    assert read[1]["household_number"].to_list() == [households[0].household_number]
    monkeypatch.setattr(registry_frames, "_whole_is_cheaper", lambda rows, values: False)  # the list path
    listed = (registry_frames.active_members_frame(many), registry_frames.registry_households(numbers),
              registry_frames.registry_members(numbers))
    for a, b in zip(read, listed, strict=True):
        assert a.sort(a.columns).equals(b.sort(b.columns))


def test_an_empty_registry_is_not_matched_against_the_list(monkeypatch):
    """The first import into an empty registry: one bounded count per frame, no list sent, no
    distinct values made, and frames with the same columns as a read."""
    reads: list[str] = []
    real = registry_frames.read_frame
    monkeypatch.setattr(registry_frames, "read_frame", lambda sql, *a: reads.append(sql) or real(sql, *a))
    monkeypatch.setattr(registry_frames, "rows_in", lambda *a: pytest.fail("matched against the list"))
    ids = pl.Series(["110101199001011237", None, "110101199001011237"])
    rows = pl.DataFrame({"household_number": ["N1", "N1", None], "id_number": ids})
    read = registry_frames.registry_rows(rows)
    assert all(sql.endswith("AND 1 = 0") for sql in reads) and len(reads) == 3
    assert read.holders.columns == ["id_number", "household_number"] and read.holders.height == 0
    assert read.households.height == 0 and {"id", "household_number", "status"} <= set(read.households.columns)
    assert read.members.height == 0 and "household_id" in read.members.columns


def test_json_parameter_takes_any_text(make_household):
    household = make_household(members=1)
    odd = ['a"b', "c\\d", "逗号,值", "", household.household_number]
    frame = registry_frames.registry_households(odd)
    assert frame["household_number"].to_list() == [household.household_number]


def test_registry_rows_for_a_subset_equal_a_fresh_read(make_household):
    households = [make_household(members=2) for _ in range(3)]
    rows = pl.DataFrame({"household_number": [h.household_number for h in households for _ in range(2)],
                         "id_number": [i for h in households for i in _ids(h)]})
    everything = registry_frames.registry_rows(rows)
    subset = rows.filter(pl.col("household_number") != households[1].household_number)
    cut, fresh = everything.for_rows(subset), registry_frames.registry_rows(subset)
    for part in ("households", "members", "holders"):
        a, b = getattr(cut, part), getattr(fresh, part)
        assert a.sort(a.columns).equals(b.sort(b.columns)), part
    assert cut.households.height == 2 and cut.members.height == 4 and cut.holders.height == 4


@pytest.mark.parametrize("values", [[True, False, None], [0, 7, None]])
def test_typed_canonical_equals_the_text_reading(values):
    model, name = (Member, "is_dibao") if isinstance(values[0], bool) else (Member, "migrant_months")
    typed = pl.DataFrame({"v": values})
    text = typed.select(pl.col("v").cast(pl.Utf8))
    a = typed.select(canonical(pl.col("v"), model, name, typed.schema["v"]).alias("v"))["v"].to_list()
    b = text.select(canonical(pl.col("v"), model, name).alias("v"))["v"].to_list()
    assert a == b


def test_inside_read_once_the_active_members_are_read_whole_once(make_household, monkeypatch):
    """Holders and members cut from one whole read give the same frames as two reads."""
    households = [make_household(members=2) for _ in range(3)]
    rows = pl.DataFrame({"household_number": [h.household_number for h in households for _ in range(2)],
                         "id_number": [i for h in households for i in _ids(h)]})
    apart = registry_frames.registry_rows(rows)
    reads: list[str] = []
    real = registry_frames.read_frame
    monkeypatch.setattr(registry_frames, "read_frame", lambda sql, *a: reads.append(sql) or real(sql, *a))
    monkeypatch.setattr(registry_frames, "_whole_is_cheaper", lambda rows, values: True)  # a registry no larger than the file
    with registry_frames.read_once():
        once = registry_frames.registry_rows(rows)
    member_reads = [sql for sql in reads if "registry_member" in sql]
    assert len(member_reads) == 1, member_reads
    for part in ("households", "members", "holders"):
        a, b = getattr(apart, part), getattr(once, part)
        assert a.sort(a.columns).equals(b.sort(b.columns)), part
    reads.clear()
    registry_frames.registry_rows(rows)  # outside the block: nothing is kept
    assert len([sql for sql in reads if "registry_member" in sql]) == 2


def test_persons_only_reads_the_persons_listed_once_and_cuts_like_a_fresh_read(make_household, monkeypatch):
    """只更新所列成员: the members are those holding the rows' ID numbers (one a household other than the
    row names included), the holders cut from them; inside read_once the check's read (more ID numbers)
    serves the diff's (a subset) without another query; ``for_rows`` cuts by ID number, as the merge's
    fresh read of the accepted rows gives."""
    households = [make_household(members=3) for _ in range(2)]
    first, second = _ids(households[0]), _ids(households[1])
    rows = pl.DataFrame({"household_number": [households[0].household_number] * 3,
                         "id_number": [first[0], first[1], second[0]]})  # the third is registered elsewhere
    read = registry_frames.registry_rows(rows, persons_only=True)
    assert sorted(read.members["id_number"].to_list()) == sorted([first[0], first[1], second[0]])
    assert read.holders.sort("id_number").equals(read.members.select("id_number", "household_number").sort("id_number"))
    assert read.households["household_number"].to_list() == [households[0].household_number]
    reads: list[str] = []
    real = registry_frames.read_frame
    monkeypatch.setattr(registry_frames, "read_frame", lambda sql, *a: reads.append(sql) or real(sql, *a))
    with registry_frames.read_once():
        holders = registry_frames.member_holders(pl.Series([*first, second[0], "110101199001011237"]))
        assert holders.height == 4
        again = registry_frames.registry_rows(rows, persons_only=True)
    assert len([sql for sql in reads if "registry_member" in sql]) == 1
    assert again.members.sort("id").equals(read.members.sort("id"))
    subset = rows.head(2)
    cut, fresh = read.for_rows(subset), registry_frames.registry_rows(subset, persons_only=True)
    for part in ("households", "members", "holders"):
        a, b = getattr(cut, part), getattr(fresh, part)
        assert a.sort(a.columns).equals(b.sort(b.columns)), part
    assert cut.members.height == 2
