"""Pathway schemes (N个一批) on hand-built households: every default rule, overlaps, counts by region."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.policy.analytic_view import household_view, person_view
from fupin.policy.pathways import classify, classify_one, count_by_region
from fupin.policy.policy_sets import Pathway, Scheme, load_default_policy

AS_OF = date(2016, 10, 1)
SCHEMES = load_default_policy().schemes


def born(age: int, *, later_this_year: bool = False) -> date:
    """A birth date giving ``age`` completed years on AS_OF (or turning age+1 later this year)."""
    return date(AS_OF.year - age - (1 if later_this_year else 0), 12 if later_this_year else 1, 1)


def person(pid: int, hid: int, age: int, **fields) -> dict:
    return {"id": pid, "household_id": hid, "id_number": f"ID{pid}", "birth_date": born(age), "labour_skill": "1",
            "health": "1", "schooling": "1", "migrant_work": "", "migrant_months": 0, "is_dibao": False,
            "is_tekun": False, "status": "active", **fields}


def household(hid: int, **fields) -> dict:
    return {"id": hid, "village_code": "350421100200", "category": "1", "category_form_version": "2016",
            "main_cause": "99", "other_cause_1": "", "other_cause_2": "", "drinking_water_safe": True,
            "drinking_water_difficult": False, "road_distance_km": 0.5, "road_type": "3", "has_electricity": True,
            "forest_mu": 0.0, "grain_to_green_mu": 0.0, "transfer_eco": 0.0, "income_per_capita": 2000.0, **fields}


def views(households: list[dict], members: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    hh, mm = pl.DataFrame(households), pl.DataFrame(members)
    return (household_view(hh, mm, as_of=AS_OF, poverty_line=2952), person_view(hh, mm, as_of=AS_OF))


def pathways_of(result: pl.DataFrame, *, household_id: int | None = None, member_id: int | None = None) -> set[str]:
    if member_id is not None:
        result = result.filter(pl.col("member_id") == member_id)
    else:
        result = result.filter(pl.col("household_id") == household_id)
    return set(result["pathway_id"].to_list())


def run(scheme_id: str, households: list[dict], members: list[dict]) -> pl.DataFrame:
    hv, pv = views(households, members)
    result = classify(SCHEMES[scheme_id], hv, pv)
    assert result.columns == ["household_id", "member_id", "pathway_id", "rule_id"]
    assert all(r.startswith(f"{scheme_id}.") for r in result["rule_id"].to_list())
    return result


# --- 国家 五个一批 ----------------------------------------------------------------------------------------

def test_national_five():
    households = [
        household(1),                                                     # labour only
        household(2, main_cause="5"),                                     # 缺土地
        household(3, other_cause_2="10"),                                 # 交通条件落后 as other cause
        household(4, drinking_water_difficult=True, road_distance_km=5.0),
        household(5, drinking_water_difficult=True, road_distance_km=4.9),
        household(6, forest_mu=3.0),
        household(7, transfer_eco=120.0),
        household(8, main_cause="3"),                                     # 因学, no student
        household(9),                                                     # a student
        household(10),                                                    # nobody with labour
        household(11, category="3", category_form_version="2014"),        # 低保户 with labour
        household(12, category="2", category_form_version="2016"),        # 低保贫困户 with labour
        household(13, main_cause="6"),
    ]
    members = [person(100 + h, h, 40) for h in range(1, 14) if h != 10]
    members += [person(209, 9, 10, labour_skill="4", schooling="3"), person(210, 10, 70, labour_skill="4")]
    result = run("national5", households, members)
    assert pathways_of(result, household_id=1) == {"production"}
    for h in (2, 3, 4, 13):
        assert pathways_of(result, household_id=h) == {"production", "relocation"}, h
    assert pathways_of(result, household_id=5) == {"production"}
    assert pathways_of(result, household_id=6) == {"production", "ecological"}
    assert pathways_of(result, household_id=7) == {"production", "ecological"}
    assert pathways_of(result, household_id=8) == {"production", "education"}
    assert pathways_of(result, household_id=9) == {"production", "education"}
    assert pathways_of(result, household_id=10) == {"social_security"}
    assert pathways_of(result, household_id=11) == {"production", "social_security"}
    assert pathways_of(result, household_id=12) == {"production"}
    assert result["member_id"].null_count() == result.height  # a household scheme


# --- 咸宁 五个一批 ----------------------------------------------------------------------------------------

def test_xianning_age_and_labour_split():
    households = [household(1), household(2, category="1"), household(3, main_cause="6")]
    members = [
        person(1, 1, 19),                                                  # 19 with labour → 开发式
        person(2, 1, 18),                                                  # 18 with labour → 教育培训
        person(3, 1, 18, birth_date=born(18, later_this_year=True)),       # turns 19 in December: still 18
        person(4, 1, 17, labour_skill="4", schooling="9"),
        person(5, 1, 45, labour_skill="3", health="3"),                    # lost labour to illness → 医疗救助
        person(6, 1, 50, labour_skill="4", health="4"),                    # disabled, no labour → 医疗救助
        person(7, 2, 45, labour_skill="4", is_dibao=True),                 # dibao, no labour → 保障供养
        person(8, 2, 70, labour_skill="4"),                                # old, no labour → 保障供养
        person(9, 2, 40, is_dibao=True),                                   # dibao with labour → 开发式 (first)
        person(10, 2, 12, labour_skill="4", health="4"),                   # disabled child → 教育培训 (first)
        person(11, 2, 60, labour_skill="3", health="1"),                   # lost labour, healthy → 保障供养
        person(12, 2, 30, is_tekun=True, labour_skill="4"),                # 特困 → 保障供养
        person(13, 3, 30),                                                 # 缺水: 开发式 + 移民安置
        person(14, 3, 8, labour_skill="4", schooling="3"),                 # 缺水: 教育培训 + 移民安置
    ]
    result = run("xianning5", households, members)
    expected = {
        1: {"development"}, 2: {"education"}, 3: {"education"}, 4: {"education"}, 5: {"medical"},
        6: {"medical"}, 7: {"protection"}, 8: {"protection"}, 9: {"development"}, 10: {"education"},
        11: {"protection"}, 12: {"protection"}, 13: {"development", "relocation"},
        14: {"education", "relocation"},
    }
    for member_id, pathways in expected.items():
        assert pathways_of(result, member_id=member_id) == pathways, member_id
    assert result.filter(pl.col("member_id") == 13)["household_id"].to_list() == [3, 3]


def test_xianning_first_four_divide_the_persons():
    """Every person with a known age is in exactly one of the four (the seed's counts add up to all)."""
    members = [person(i, 1 + i % 3, age, labour_skill=skill, health=health, is_dibao=dibao)
               for i, (age, skill, health, dibao) in enumerate(
                   [(a, s, h, d) for a in (5, 18, 19, 40, 75) for s in "1234" for h in "1234" for d in (False, True)])]
    result = run("xianning5", [household(1), household(2), household(3)], members)
    per_person = result.filter(pl.col("pathway_id") != "relocation").group_by("member_id").len()
    assert per_person.height == len(members)
    assert per_person["len"].to_list() == [1] * len(members)


# --- 靖宇 六个一批 ----------------------------------------------------------------------------------------

def test_jingyu_six():
    households = [
        household(1, main_cause="1"),                       # 因病
        household(2),                                       # an ill member
        household(3, road_type="1"),                        # dirt road → 一事一议
        household(4, has_electricity=False),
        household(5, drinking_water_safe=False),
        household(6, main_cause="10"),
        household(7, category="4", category_form_version="2014"),
        household(8, main_cause="3"),
        household(9, road_type=""),                         # unknown road type: no pathway from it
    ]
    members = [person(100 + h, h, 40) for h in range(1, 10) if h not in (2, 7)]
    members += [person(102, 2, 40, health="2"), person(107, 7, 80, labour_skill="4")]
    result = run("jingyu6", households, members)
    assert pathways_of(result, household_id=1) == {"production", "illness_aid"}
    assert pathways_of(result, household_id=2) == {"production", "illness_aid"}
    for h in (3, 4, 5):
        assert pathways_of(result, household_id=h) == {"production", "village_works"}, h
    assert pathways_of(result, household_id=6) == {"production", "relocation"}
    assert pathways_of(result, household_id=7) == {"social_security"}
    assert pathways_of(result, household_id=8) == {"production", "education"}
    assert pathways_of(result, household_id=9) == {"production"}


# --- 三明 九个一批 ----------------------------------------------------------------------------------------

SANMING_CAUSES = {
    "1": "medical", "2": "disability", "3": "education", "4": "disaster", "7": "skills", "9": "finance",
    "8": "labour", "11": "confidence", "5": "relocation", "6": "relocation", "10": "relocation",
}


@pytest.mark.parametrize("cause, pathway", sorted(SANMING_CAUSES.items()))
@pytest.mark.parametrize("category", ["1", "2"])  # 2014 一般贫困户, 低保贫困户 (有劳动能力)
def test_sanming_cause_to_pathway(cause, pathway, category):
    result = run("sanming9", [household(1, main_cause=cause, category=category, category_form_version="2014")],
                 [person(1, 1, 40)])
    assert pathways_of(result, household_id=1) == {pathway}


@pytest.mark.parametrize("cause", ["12", "99"])
def test_sanming_causes_without_a_pathway(cause):
    result = run("sanming9", [household(1, main_cause=cause, category="1", category_form_version="2014")],
                 [person(1, 1, 40)])
    assert result.height == 0


def test_sanming_other_causes_count_too():
    result = run("sanming9", [household(1, main_cause="1", other_cause_1="7", other_cause_2="9",
                                        category="1", category_form_version="2014")], [person(1, 1, 40)])
    assert pathways_of(result, household_id=1) == {"medical", "skills", "finance"}


def test_sanming_dibao_and_wubao_households():
    households = [
        household(1, main_cause="1", category="3", category_form_version="2014"),   # 低保户 → 两保障 only
        household(2, main_cause="2", category="4", category_form_version="2014"),   # 五保户 → 两供养 only
        household(3, main_cause="1", category="2", category_form_version="2016"),   # 2016 低保, no labour → 两保障
        household(4, main_cause="1", category="2", category_form_version="2016"),   # 2016 低保 with labour → 九个一批
        household(5, main_cause="9", category="3", category_form_version="2016"),   # 2016 特困 → 两供养
    ]
    members = [person(1, 1, 70, labour_skill="4"), person(2, 2, 80, labour_skill="4"),
               person(3, 3, 70, labour_skill="4"), person(4, 4, 40), person(5, 5, 75, labour_skill="4")]
    result = run("sanming9", households, members)
    assert pathways_of(result, household_id=1) == {"dibao_guarantees"}
    assert pathways_of(result, household_id=2) == {"wubao_support"}
    assert pathways_of(result, household_id=3) == {"dibao_guarantees"}
    assert pathways_of(result, household_id=4) == {"medical"}
    assert pathways_of(result, household_id=5) == {"wubao_support"}


# --- one household, the whole frame, counts ---------------------------------------------------------

def mixed() -> tuple[list[dict], list[dict]]:
    households = [
        household(1, main_cause="1", other_cause_1="5", village_code="350421100200"),
        household(2, main_cause="3", category="3", category_form_version="2014", village_code="350421100200"),
        household(3, main_cause="9", drinking_water_difficult=True, road_distance_km=8.0, village_code="350421100201"),
        household(4, main_cause="8", category="4", category_form_version="2014", village_code="350421101100",
                  forest_mu=2.0),
        household(5, main_cause="11", village_code="350421101100"),
    ]
    members = [
        person(1, 1, 45), person(2, 1, 16, labour_skill="4", schooling="8"), person(3, 1, 70, labour_skill="3",
                                                                                  health="2"),
        person(4, 2, 60, labour_skill="4", is_dibao=True), person(5, 2, 10, labour_skill="4", schooling="3"),
        person(6, 3, 35), person(7, 3, 33), person(8, 3, 5, labour_skill="4", schooling="2"),
        person(9, 4, 82, labour_skill="4", is_tekun=True),
        person(10, 5, 19), person(11, 5, 50, labour_skill="4", health="4"),
    ]
    return households, members


@pytest.mark.parametrize("scheme_id", ["national5", "xianning5", "jingyu6", "sanming9"])
def test_classify_one_equals_classify(scheme_id):
    scheme = SCHEMES[scheme_id]
    hv, pv = views(*mixed())
    result = classify(scheme, hv, pv)
    for row in hv.iter_rows(named=True):
        persons = pv.filter(pl.col("household_id") == row["household_id"]).to_dicts()
        hits = classify_one(scheme, row, persons)
        expected = result.filter(pl.col("household_id") == row["household_id"])
        assert sorted((h.member_id or 0, h.pathway_id) for h in hits) == sorted(
            (m or 0, p) for m, p in expected.select("member_id", "pathway_id").iter_rows())
        for hit in hits:
            pathway = scheme.pathway(hit.pathway_id)
            assert (hit.label_zh, hit.label_en, hit.rule) == (pathway.label_zh, pathway.label_en, pathway.rule)
            assert hit.rule_id == f"{scheme_id}.{hit.pathway_id}"


def test_counts_by_region_household_scheme():
    hv, pv = views(*mixed())
    scheme = SCHEMES["national5"]
    counts = count_by_region(scheme, classify(scheme, hv, pv), hv, with_total=True)
    assert counts.columns == ["level", "region_code", "pathway_id", "n_households", "n_persons"]
    county = counts.filter((pl.col("level") == 3) & (pl.col("region_code") == "350421000000"))
    by_pathway = {r["pathway_id"]: (r["n_households"], r["n_persons"]) for r in county.iter_rows(named=True)}
    assert by_pathway["production"] == (3, 8)          # households 1, 3, 5 (3 + 3 + 2 members)
    assert by_pathway["relocation"] == (2, 6)          # 1 (缺土地) and 3 (water, far)
    assert by_pathway["education"] == (3, 8)           # 1, 2, 3 have students (3 + 2 + 3 members)
    assert by_pathway["social_security"] == (2, 3)     # 2 (低保户, no labour), 4 (五保)
    assert by_pathway["ecological"] == (1, 1)
    assert by_pathway["*"] == (5, 11)                  # every household once
    assert county["pathway_id"].to_list() == ["production", "relocation", "ecological", "education",
                                              "social_security", "*"]
    villages = counts.filter(pl.col("level") == 5)
    assert set(villages["region_code"].to_list()) == {"350421100200", "350421100201", "350421101100"}
    township = counts.filter((pl.col("level") == 4) & (pl.col("pathway_id") == "production"))
    assert dict(township.select("region_code", "n_households").iter_rows()) == {
        "350421100000": 2, "350421101000": 1}
    province = counts.filter((pl.col("level") == 1) & (pl.col("pathway_id") == "*"))
    assert province.select("region_code", "n_households").row(0) == ("350000000000", 5)


def test_counts_by_region_person_scheme():
    hv, pv = views(*mixed())
    scheme = SCHEMES["xianning5"]
    counts = count_by_region(scheme, classify(scheme, hv, pv), hv, levels=(3,), with_total=True)
    by_pathway = {r["pathway_id"]: (r["n_households"], r["n_persons"]) for r in counts.iter_rows(named=True)}
    assert by_pathway["education"] == (3, 3)           # members 2, 5, 8
    assert by_pathway["development"] == (3, 4)         # 1, 6, 7, 10
    assert by_pathway["medical"] == (2, 2)             # 3 (labour 3, ill), 11 (no labour, disabled)
    assert by_pathway["protection"] == (2, 2)          # 4 (dibao), 9 (特困)
    assert by_pathway["relocation"] == (2, 6)          # households 1 (缺土地) and 3 (water): all 3 + 3 members
    assert by_pathway["*"] == (5, 11)
    with pytest.raises(ValueError):
        count_by_region(scheme, classify(scheme, hv, pv), hv, levels=(6,))


def test_first_scheme_without_overlapping_pathways_and_empty_results():
    scheme = Scheme("two", "两个一批", "Two", "household", "first", (
        Pathway("work", "就业", "Work", "n_labour > 0"),
        Pathway("rest", "其余", "Rest", "TRUE"),
    ))
    hv, pv = views(*mixed())
    result = classify(scheme, hv, pv)
    assert dict(result.select("household_id", "pathway_id").iter_rows()) == {
        1: "work", 2: "rest", 3: "work", 4: "rest", 5: "work"}
    empty = classify(scheme, hv.clear(), pv.clear())
    assert empty.height == 0 and empty.columns == ["household_id", "member_id", "pathway_id", "rule_id"]
    assert count_by_region(scheme, empty, hv).height == 0
