"""fupin — 精准扶贫 management system (targeted poverty alleviation)."""

__version__ = "0.1.0"
