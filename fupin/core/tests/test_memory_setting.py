"""fupin sets Polars' allocator to return freed memory within 5 s, by its background thread (fupin/__init__.py), also when a parent
process that imported Polars passed Polars' own default down in the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

OURS = "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:5000"


@pytest.mark.parametrize(("given", "expected"), [
    (None, OURS),
    ("dirty_decay_ms:500,muzzy_decay_ms:-1", OURS),  # what `import polars` 1.35 wrote into the environment
    ("dirty_decay_ms:500,muzzy_decay_ms:1000", OURS),  # what Polars 1.44 writes when it found nothing
    ("dirty_decay_ms:100", "dirty_decay_ms:100"),  # somebody's explicit choice wins
])
def test_allocator_setting(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given is not None:
        env["_RJEM_MALLOC_CONF"] = given
    done = subprocess.run([sys.executable, "-c", "import fupin, os; print(os.environ['_RJEM_MALLOC_CONF'])"],
                          env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == expected


@pytest.mark.parametrize("given", [None, "dirty_decay_ms:500,muzzy_decay_ms:1000"])
def test_setting_survives_polars_import(given):
    """Polars puts its default before what it finds; jemalloc takes the last value of an option, so ours
    must come last, in this process and in a child that inherits the environment."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given is not None:
        env["_RJEM_MALLOC_CONF"] = given
    code = "import fupin, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"
    parent = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert parent.stdout.strip().endswith(OURS)
    child = subprocess.run([sys.executable, "-c", code], env={**env, "_RJEM_MALLOC_CONF": parent.stdout.strip()},
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip().endswith(OURS)
