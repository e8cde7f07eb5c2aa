"""Policy files shipped with fupin (政策文件): TOML, read with :mod:`tomllib`.

- ``policy.toml`` — the national default policy set (version, validity, standard, year lag, counted
  transfers, eligibility rules, 八不入 exclusion rules);
- ``poverty_lines.toml`` — the table of poverty lines (扶贫标准) by series, standard, region and year;
- ``scheme_*.toml`` — the pathway schemes (N个一批), one file each.

A county overrides them without code (``fupin.policy.policy_sets.apply_override``); docs/rules.md
describes the format. This package only reads the files; it lives apart from the pure modules of
``fupin/policy`` because it touches the file system.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent


def read_toml(name: str) -> dict[str, Any]:
    """The parsed content of the shipped policy file ``name`` (e.g. ``"policy.toml"``)."""
    with (DATA_DIR / name).open("rb") as f:
        return tomllib.load(f)


def scheme_files() -> list[str]:
    """Names of the shipped scheme files, sorted."""
    return sorted(p.name for p in DATA_DIR.glob("scheme_*.toml"))


def parse_toml(text: str) -> dict[str, Any]:
    """A county's override file (TOML text) as a mapping for ``apply_override``."""
    return tomllib.loads(text)
