"""Each test writes the snapshots' Parquet copies (fupin.review.store) into its own data folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _snapshot_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
