"""Statistical division codes (统计用区划代码): 12 digits = 2 province, 2 city, 2 county, 3 township, 3 village.

A region above village level is its code padded with zeros; ``350421`` and ``350421000000`` name the same
county. Hierarchy is prefix: every descendant's code starts with the region's significant prefix.
"""

from __future__ import annotations

LEVEL_PROVINCE = 1
LEVEL_CITY = 2
LEVEL_COUNTY = 3
LEVEL_TOWNSHIP = 4
LEVEL_VILLAGE = 5

LEVEL_NAMES = {
    LEVEL_PROVINCE: ("省", "Province"),
    LEVEL_CITY: ("市", "Prefecture"),
    LEVEL_COUNTY: ("县", "County"),
    LEVEL_TOWNSHIP: ("乡镇", "Township"),
    LEVEL_VILLAGE: ("村", "Village"),
}

#: Significant prefix length by level.
PREFIX_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
#: The household/region column that holds the ancestor at each level.
LEVEL_FIELD = {1: "province_code", 2: "city_code", 3: "county_code", 4: "township_code", 5: "village_code"}


class RegionCodeError(ValueError):
    """A string that is not a statistical division code."""


def normalize_code(raw: str | int) -> str:
    """Accept 2, 4, 6, 9 or 12 digits; return the 12-digit code."""
    value = str(raw).strip()
    if not value.isdigit() or len(value) not in (2, 4, 6, 9, 12):
        raise RegionCodeError(f"区划代码应为2/4/6/9/12位数字: {raw!r} / region code must be 2, 4, 6, 9 or 12 digits")
    return value.ljust(12, "0")


def level_of(code: str) -> int:
    """The level of a 12-digit code, from where its trailing zeros begin."""
    if len(code) != 12 or not code.isdigit():
        raise RegionCodeError(f"not a 12-digit code: {code!r}")
    if code[2:] == "0" * 10:
        return LEVEL_PROVINCE
    if code[4:] == "0" * 8:
        return LEVEL_CITY
    if code[6:] == "0" * 6:
        return LEVEL_COUNTY
    if code[9:] == "000":
        return LEVEL_TOWNSHIP
    return LEVEL_VILLAGE


def prefix_of(code: str, level: int | None = None) -> str:
    """The significant prefix of a code (``350421000000`` → ``350421``)."""
    return code[: PREFIX_LENGTH[level or level_of(code)]]


def ancestor_codes(code: str) -> dict[int, str]:
    """Codes of the region and its ancestors by level, e.g. for a village all five."""
    level = level_of(code)
    return {lv: code[: PREFIX_LENGTH[lv]].ljust(12, "0") for lv in range(1, level + 1)}


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == LEVEL_PROVINCE:
        return None
    return code[: PREFIX_LENGTH[level - 1]].ljust(12, "0")


def contains(outer: str, inner: str) -> bool:
    """Whether region ``inner`` is ``outer`` or lies inside it."""
    return inner.startswith(prefix_of(outer))
