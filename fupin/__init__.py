"""fupin — 精准扶贫 management system (targeted poverty alleviation)."""

import os as _os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc, which by default keeps freed pages for 10 s: a
# million-row import then peaked at 4.4 GB resident while holding ~1.6 GB of live frames. Returning
# pages at once brought the peak to 2.8 GB at no measurable cost in time (docs/decisions.md). It
# must be set before Polars is first loaded; an explicit setting in the environment wins — except
# Polars' own default, which Polars writes into the environment when it is imported (so a process
# started by one that had imported Polars inherits "dirty_decay_ms:500,muzzy_decay_ms:-1": muzzy
# pages never returned; measured: the import's validate worker then peaked at 4.47 GB, not 2.77 GB).
_POLARS_DEFAULT_MALLOC_CONF = "dirty_decay_ms:500,muzzy_decay_ms:-1"
if _os.environ.get("_RJEM_MALLOC_CONF", "") in ("", _POLARS_DEFAULT_MALLOC_CONF):
    _os.environ["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0,muzzy_decay_ms:0"
