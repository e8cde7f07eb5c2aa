"""Fixtures shared by the import tests: a batch waiting at review with persons leaving, and logging in."""

from __future__ import annotations

import pytest

from fupin.imports import services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch
from fupin.imports.tests.test_views import household_rows, land_checked
from fupin.testing import MINGXI, first_village


@pytest.fixture
def login(client, make_user):
    def _login(role: str, region_code: str = MINGXI):
        user = make_user(role, region_code)
        client.force_login(user)
        return user

    return _login


@pytest.fixture
def batch_at_review(make_user):
    """(officer, batch): the second roster waits at review, three persons leaving."""
    mingxi_village = first_village(MINGXI)
    officer = make_user("county", MINGXI)
    first = household_rows(mingxi_village, f"{mingxi_village}80001", members=4)
    second = household_rows(mingxi_village, f"{mingxi_village}80002", members=2)

    def land(rows: list[dict[str, str]]) -> ImportBatch:
        return land_checked(officer, rows, file_name="花名册.csv")

    services.merge_batch(actor=officer, batch_id=land(first + second).pk)
    son = dict(second[1], 户编号=f"{mingxi_village}80003", 与户主关系="01")
    batch = land([*first[:2], second[0], son])
    assert (batch.status, batch.persons_left, batch.persons_moved) == (BatchStatus.REVIEW, 3, 1), batch.error
    return officer, batch
