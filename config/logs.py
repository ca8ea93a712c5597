"""Logging filters: a refused request is one line in the log, not a traceback."""

from __future__ import annotations

import logging


class RefusalWithoutTraceback(logging.Filter):
    """Drops the traceback Django attaches to a 403 (a role check saying no is not an error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
