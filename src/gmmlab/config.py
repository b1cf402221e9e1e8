"""Run-time switches read from the environment."""

from __future__ import annotations

import os

__all__ = ["fast_mode"]


def fast_mode() -> bool:
    """True when ``GMMLAB_FAST`` is set to a true value (1, true, yes): notebooks and the report shrink their sizes.

    CI sets it so that the notebooks and the report run end to end in seconds on small data.
    """
    return os.environ.get("GMMLAB_FAST", "").strip().lower() in {"1", "true", "yes", "on"}
