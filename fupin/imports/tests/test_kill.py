"""A merge killed with SIGKILL in the middle leaves the registry exactly as before; a validation
killed in the middle leaves a batch that shows as stopped and can be checked again.

Runs real processes on a scratch database of the backend under test (a SQLite file, or a scratch
PostgreSQL database next to the test one): one process imports a first file; a second validates a
newer file and kills itself (``SIGKILL``, no clean-up of any kind) right after the new households
were copied in, while it holds the merge transaction and, for a large load, has the indexes
dropped; a third reads the registry back. For the validation: one process lands a file and kills
itself while checking it, after its heartbeat has beaten; another finds the batch stalled once the
beats stop, takes it back and validates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from . import roster_files as rf

ROOT = Path(__file__).resolve().parents[3]
FUPIN = str(Path(sys.executable).with_name("fupin"))

KILLER = r"""
import os, signal, sys
import django
django.setup()
from pathlib import Path
from fupin.core import bulk
from fupin.imports import services
bulk.REBUILD_MIN_ROWS = 1  # the large-load path: indexes and keys are dropped when the kill comes
batch = services.land_file(actor=None, file_name="v2.csv", path=Path(sys.argv[1]), region_code="350400000000",
                           source="test")
batch = services.validate_batch(batch.pk)
assert batch.status == "review", batch.error
def step(label):
    if label == "members":
        os.kill(os.getpid(), signal.SIGKILL)
services.merge_batch(actor=None, batch_id=batch.pk, step=step)
print("not killed")
"""

READER = r"""
import json
import django
django.setup()
from django.db import connection
from fupin.core.models import ChangeRecord
from fupin.registry.models import Household, Member
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('registry_household', "
                       "'registry_member', 'core_changerecord') ORDER BY 1")
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1")
    indexes = [r[0] for r in cursor.fetchall()]
print(json.dumps({
    "households": sorted(Household.objects.values_list("household_number", "version", "phone", "size")),
    "members": sorted(Member.objects.values_list("id_number", "household__household_number", "version", "status")),
    "audit": ChangeRecord.objects.count(), "indexes": indexes,
}, default=str))
"""


VALIDATION_KILLER = r"""
import os, signal, sys, time
import django
django.setup()
from pathlib import Path
from fupin.imports import services
from fupin.imports.models import ImportBatch
batch = services.land_file(actor=None, file_name="v1.csv", path=Path(sys.argv[1]), region_code="350400000000",
                           source="test")
real_check = services.check_file
def check_then_die(path, context):
    real_check(path, context)
    first = ImportBatch.objects.get(pk=batch.pk).heartbeat_at
    deadline = time.monotonic() + 30
    while ImportBatch.objects.get(pk=batch.pk).heartbeat_at == first:  # wait for a beat of the helper thread
        assert time.monotonic() < deadline, "no heartbeat"
        time.sleep(0.02)
    print(batch.pk, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
services.check_file = check_then_die
services.validate_batch(batch.pk)
print("not killed")
"""

RESTARTER = r"""
import json, sys, time
import django
django.setup()
from fupin.imports import services
from fupin.imports.models import ImportBatch
batch = ImportBatch.objects.get(pk=int(sys.argv[1]))
seen = {"status": batch.status, "progress": batch.progress, "stalled_at_once": batch.stalled()}
deadline = time.monotonic() + 30
while not batch.stalled():
    assert time.monotonic() < deadline, "never stalled"
    time.sleep(0.05)
    batch.refresh_from_db()
seen["stalled"] = batch.stalled()
services.claim_revalidation(actor=None, batch_id=batch.pk)
done = services.validate_batch(batch.pk)
seen.update(after=done.status, read=done.rows_read, new=done.households_new, stalled_after=done.stalled())
print(json.dumps(seen))
"""


@pytest.fixture
def scratch_env(tmp_path):
    """Environment for subprocesses pointing at a new scratch database of the backend under test."""
    env = {**os.environ, "FUPIN_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "fupin.settings"}
    url = os.environ.get("FUPIN_DATABASE_URL", "")
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"fupin_kill_{uuid.uuid4().hex[:8]}"
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        env["FUPIN_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        yield env
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        env.pop("FUPIN_DATABASE_URL", None)
        yield env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_killed_merge_leaves_the_registry_and_its_indexes_as_before(tmp_path, scratch_env):
    for command in (("migrate", "--no-input"), ("load_regions", "--prefix", "3504")):
        done = _run(scratch_env, FUPIN, *command)
        assert done.returncode == 0, done.stderr
    first = rf.build_roster(6, seed=3)
    done = _run(scratch_env, FUPIN, "import", str(rf.write_csv(tmp_path / "v1.csv", first)))
    assert done.returncode == 0 and "imported=" in done.stdout, done.stdout + done.stderr

    before = _run(scratch_env, sys.executable, "-c", READER)
    assert before.returncode == 0, before.stderr
    # The newer file changes every phone and brings six new households.
    newer = [{**row, "联系电话": "13900000000"} for row in first] + rf.build_roster(6, seed=4, start=500)
    killed = _run(scratch_env, sys.executable, "-c", KILLER, str(rf.write_csv(tmp_path / "v2.csv", newer)))
    assert killed.returncode == -9, killed.stdout + killed.stderr  # SIGKILL, not a clean exit
    assert "not killed" not in killed.stdout

    after = _run(scratch_env, sys.executable, "-c", READER)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(before.stdout)["households"], "the first import wrote nothing: the test proves nothing"


def test_a_killed_validation_shows_as_stopped_and_is_checked_again(tmp_path, scratch_env):
    scratch_env["FUPIN_IMPORT_HEARTBEAT_SECONDS"] = "0.2"  # stalled after 0.8 s without a beat
    for command in (("migrate", "--no-input"), ("load_regions", "--prefix", "3504")):
        done = _run(scratch_env, FUPIN, *command)
        assert done.returncode == 0, done.stderr
    path = rf.write_csv(tmp_path / "v1.csv", rf.build_roster(4, seed=5))
    killed = _run(scratch_env, sys.executable, "-c", VALIDATION_KILLER, str(path))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert "not killed" not in killed.stdout
    batch_id = killed.stdout.split()[0]

    restarted = _run(scratch_env, sys.executable, "-c", RESTARTER, batch_id)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    seen = json.loads(restarted.stdout)
    assert (seen["status"], seen["progress"]) == ("validating", 5)  # as the killed process left it
    assert seen["stalled"] is True
    assert (seen["after"], seen["stalled_after"]) == ("review", False)
    assert seen["read"] > 0 and seen["new"] == 4
