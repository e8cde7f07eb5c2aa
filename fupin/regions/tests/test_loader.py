from pathlib import Path

import pytest

from fupin.regions.loader import RegionListError, load_regions, read_region_list
from fupin.regions.models import Region


def test_sanming_is_loaded_with_real_codes(db):
    sanming = Region.objects.get(code="350400000000")
    assert sanming.name == "三明市"
    assert Region.objects.get(code="350000000000").name == "福建省"
    counties = Region.objects.filter(parent=sanming).order_by("code")
    assert counties.count() == 11
    assert Region.objects.get(code="350421000000").name == "明溪县"
    assert Region.objects.get(code="350424000000").name == "宁化县"
    assert Region.objects.filter(code__startswith="3504", level=4).count() == 147
    assert Region.objects.filter(code__startswith="3504", level=5).count() == 1964


def test_bad_list_loads_nothing(db, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,parent_code\n990000000000,测试省,1,\n99010000000,短码,2,990000000000\n",
                   encoding="utf-8")
    with pytest.raises(RegionListError, match="第3行"):
        load_regions(bad)
    assert not Region.objects.filter(code__startswith="99").exists()


def test_orphans_are_refused(tmp_path: Path):
    bad = tmp_path / "orphan.csv"
    bad.write_text("code,name,level,parent_code\n990100000000,孤儿市,2,990000000000\n", encoding="utf-8")
    with pytest.raises(RegionListError, match="上级不在表中"):
        read_region_list(bad)


def test_repeated_codes_keep_the_first_row(tmp_path: Path):
    listing = tmp_path / "dup.csv"
    listing.write_text("code,name,level,parent_code\n990000000000,测试省,1,\n990100000000,测试市,2,990000000000\n"
                       "990101000000,测试县,3,990100000000\n990101000000,测试县,4,990101000000\n"
                       "990101000000,测试县,5,990101000000\n", encoding="utf-8")
    df = read_region_list(listing)
    assert df.filter(df["code"] == "990101000000")["level"].to_list() == [3]
    assert df.height == 3
