"""fupin — 精准扶贫 management system (targeted poverty alleviation)."""

import os as _os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc. Its default keeps muzzy pages for ever
# ("dirty_decay_ms:500,muzzy_decay_ms:-1"): a million-row import then peaked at 4.4 GB resident while
# holding ~1.6 GB of live frames. Returning pages at once ("dirty_decay_ms:0,muzzy_decay_ms:0", used
# until 2026-12) brought the peak to 2.8 GB but made every freed page fault in again, zeroed: measured
# on the 1M-person validation, 10–12 s of system time and check + diff 14.5 s. Pages kept 5 s and
# returned by jemalloc's background thread (also while the process is idle) cut system time to 6–8 s
# and check + diff to 9–10 s (30 s until 2026-12-03; with Polars 1.44 the re-import's validation then
# peaked at 3.9–4.1 GB, over the 4 GB target, and at 3.3 GB with 5 s, no slower: docs/decisions.md). It must be set before
# Polars is first loaded; an explicit setting in the environment wins — except Polars' own default,
# which Polars writes into the environment when it is imported (so a process started by one that had
# imported Polars would inherit it: measured, the import's validate worker then peaked at 4.47 GB).
# Polars 1.44 writes "dirty_decay_ms:500,muzzy_decay_ms:1000" followed by the setting it found (which
# then wins, being later); Polars 1.35 wrote its own default instead of nothing.
_POLARS_DEFAULT_MALLOC_CONFS = ("dirty_decay_ms:500,muzzy_decay_ms:-1", "dirty_decay_ms:500,muzzy_decay_ms:1000")
MALLOC_CONF = "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:5000"
if _os.environ.get("_RJEM_MALLOC_CONF", "") in ("", *_POLARS_DEFAULT_MALLOC_CONFS):
    _os.environ["_RJEM_MALLOC_CONF"] = MALLOC_CONF
