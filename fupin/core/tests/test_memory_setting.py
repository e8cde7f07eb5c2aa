"""fupin sets Polars' allocator to return freed memory within 30 s, by its background thread (fupin/__init__.py), also when a parent
process that imported Polars passed Polars' own default down in the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

OURS = "background_thread:true,dirty_decay_ms:30000,muzzy_decay_ms:30000"


@pytest.mark.parametrize(("given", "expected"), [
    (None, OURS),
    ("dirty_decay_ms:500,muzzy_decay_ms:-1", OURS),  # what `import polars` writes into the environment
    ("dirty_decay_ms:100", "dirty_decay_ms:100"),  # somebody's explicit choice wins
])
def test_allocator_setting(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given is not None:
        env["_RJEM_MALLOC_CONF"] = given
    done = subprocess.run([sys.executable, "-c", "import fupin, os; print(os.environ['_RJEM_MALLOC_CONF'])"],
                          env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == expected
