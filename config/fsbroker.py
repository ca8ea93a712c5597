"""The broker that needs no server (``make run``'s default): kombu's filesystem transport, with each
message written whole before a worker can see it.

kombu writes a message in place (open, lock, write), and a worker lists the folder and moves each file
away without looking at the lock: during a burst of publishes it can take a file still empty and
stop on the JSON it cannot read (``Unrecoverable error: JSONDecodeError``), and ``make run`` stops the
web server with it. Here a message is written under a name the worker skips and renamed into place
(a rename is atomic), and a message that is no JSON all the same (a file cut short by a crash, or put
there by hand) is logged and dropped, never the end of the worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

PARTIAL = ".partial"  # a message being written: kombu's worker takes only names ending in "<queue>.msg"


class Channel(filesystem.Channel):
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]  # kombu: message, or payload
        """Put a message on ``queue``, named as kombu names it, visible only once written."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        body = str_to_bytes(dumps(payload))  # type: ignore[no-untyped-call]  # before a file exists
        try:
            with open(final + PARTIAL, "wb") as partial:
                partial.write(body)
            os.replace(final + PARTIAL, final)
        except OSError as exc:
            with contextlib.suppress(OSError):  # a disk full mid-write leaves nothing behind
                os.unlink(final + PARTIAL)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        """The next message of ``queue``; one that is no JSON is logged and dropped (kombu has
        already moved it away), and the next one is read."""
        while True:
            try:
                return super()._get(queue)  # type: ignore[no-untyped-call]
            except ValueError as exc:  # JSONDecodeError, or bytes that are no UTF-8
                logger.error("dropped a broker message of queue %s that could not be read: %s", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel
