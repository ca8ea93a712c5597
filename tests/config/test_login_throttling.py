"""Login throttling: failures counted in the shared database by username and address together, so
every web process sees them, one address cannot lock its other users out, and API tokens still work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
RIGHT = {"username": "rep1", "password": "password-123"}
WRONG = {"username": "rep1", "password": "wrong-password"}


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def fail_in_another_process(times: int) -> list[int]:
    """``times`` wrong passwords for rep1 from 127.0.0.1, posted by a separate Python process
    (another web worker): its own memory, the same database."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client()\n"
        f"for _ in range({times}):\n"
        f"    print(client.post('/accounts/login/', {WRONG!r}).status_code)\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return [int(line) for line in result.stdout.split()]


@pytest.mark.django_db(transaction=True)
def test_failures_in_several_web_processes_add_up(rep: Any) -> None:
    assert fail_in_another_process(2) == [200, 200]
    assert fail_in_another_process(2) == [200, 200]

    fifth = Client().post("/accounts/login/", WRONG)
    blocked = Client().post("/accounts/login/", RIGHT)

    assert (fifth.status_code, blocked.status_code) == (429, 429), "five failures in three processes lock rep1 out"


@pytest.mark.django_db
def test_an_attacker_at_an_address_cannot_lock_out_the_other_users_of_that_address(rep: Any, rep2: Any) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(180):
        attacker.post("/accounts/login/", {"username": ["admin", "rep2", f"guess{n}"][n % 3], "password": "x"})
    assert attacker.post("/accounts/login/", {"username": "rep2", "password": "password-123"}).status_code == 429

    colleague = Client(REMOTE_ADDR="203.0.113.7").post("/accounts/login/", RIGHT)

    assert colleague.status_code == 302, "rep1 behind the same address still signs in"


@pytest.mark.django_db
def test_a_locked_out_user_still_reaches_the_api_with_a_token(rep: Any, api_for: Any) -> None:
    for _ in range(5):
        Client().post("/accounts/login/", WRONG)
    assert Client().post("/accounts/login/", RIGHT).status_code == 429

    assert api_for(rep).get("/api/reasons").status_code == 200


@pytest.mark.django_db
def test_the_lockout_says_when_to_try_again(rep: Any) -> None:
    for _ in range(5):
        Client().post("/accounts/login/", WRONG)

    blocked = Client().post("/accounts/login/", RIGHT)

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Too many failed logins" in blocked.content.decode()
