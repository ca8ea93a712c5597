"""Logging filters: a refused request is one line in the log, not a traceback; and a way for a
command to keep its output short."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class RefusalWithoutTraceback(logging.Filter):
    """Drops the traceback Django attaches to a 403 (a role check saying no is not an error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


@contextmanager
def logs_quieter(*names: str, level: int = logging.WARNING) -> Iterator[None]:
    """Within the block the loggers ``names`` and their children pass only records of ``level`` and
    above: a command that runs the loop in-process (seed_demo) says what it did in one line, not each
    step's INFO record with its metrics. Warnings still show."""
    loggers = [logging.getLogger(name) for name in names]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, was in zip(loggers, before, strict=True):
            logger.setLevel(was)
