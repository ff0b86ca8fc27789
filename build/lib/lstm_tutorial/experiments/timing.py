"""Timing one call, the one home for it: every measured time in the book comes from here.

Measured times go only into cells whose output nbval does not compare; claims are made as
ratios or exponents (``CONTRIBUTING.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["time_once"]


def time_once(step: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of ``step()`` (``time.perf_counter``)."""
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0
