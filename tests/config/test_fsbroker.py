"""make run's broker that needs no server: a message is seen only once written whole, and one that
cannot be read is dropped with a log line, never the end of the worker."""

from __future__ import annotations

import logging
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError

from config.fsbroker import PARTIAL, Channel


@pytest.fixture
def channel(tmp_path: Path) -> Channel:
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "store_processed": False}
    connection = Connection("filesystem://localhost/", transport="config.fsbroker:Transport", transport_options=folders)
    return connection.default_channel


def test_a_message_is_put_whole_under_the_name_a_worker_takes(channel: Channel, tmp_path: Path) -> None:
    channel._put("leadloop", {"body": "hello"})

    names = [path.name for path in tmp_path.iterdir()]
    assert len(names) == 1 and names[0].endswith(".leadloop.msg") and not names[0].endswith(PARTIAL)
    assert channel._get("leadloop") == {"body": "hello"}


def test_a_message_still_being_written_is_not_taken(channel: Channel, tmp_path: Path) -> None:
    """What kombu's own transport leaves in the folder while it writes: the worker must skip it."""
    (tmp_path / f"1_x.leadloop.msg{PARTIAL}").write_bytes(b"")

    with pytest.raises(Empty):
        channel._get("leadloop")
    assert (tmp_path / f"1_x.leadloop.msg{PARTIAL}").exists()


def test_an_unreadable_message_is_dropped_with_a_log_line_and_the_next_one_read(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Named to sort before the message put after them (its name starts with the monotonic clock).
    (tmp_path / "0a_empty.leadloop.msg").write_bytes(b"")
    (tmp_path / "0b_cut.leadloop.msg").write_bytes(b'{"bo')
    (tmp_path / "0c_bytes.leadloop.msg").write_bytes(b"\xff\xfe")
    channel._put("leadloop", {"body": "after"})

    with caplog.at_level(logging.ERROR, logger="config.fsbroker"):
        assert channel._get("leadloop") == {"body": "after"}

    assert len([r for r in caplog.records if "could not be read" in r.getMessage()]) == 3
    assert list(tmp_path.iterdir()) == []


def test_a_message_that_cannot_be_written_leaves_no_partial_file(
    channel: Channel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("config.fsbroker.os.replace", full)
    with pytest.raises(ChannelError):
        channel._put("leadloop", {"body": "lost"})
    assert list(tmp_path.iterdir()) == []
