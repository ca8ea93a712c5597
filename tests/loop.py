"""Helpers for tests that watch a real worker run the learning loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from learning.selectors import loop_lock, loop_state


def wait_for(condition: Callable[[], Any], *, timeout: float = 120.0, what: str, every: float = 0.25) -> float:
    """Poll ``condition`` until it holds; fail (never skip) after ``timeout`` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)
    return time.monotonic() - started


def settled() -> bool:
    """Nothing pending and nobody running the loop: every label learned, every score written."""
    state = loop_state()
    return (
        state.trained_revision == state.labels_revision
        and not state.rescore_requested
        and loop_lock().running_since is None
    )
