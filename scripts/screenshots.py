"""Screenshots of the rep's pages for the README, taken with Playwright and Debian's Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts from nothing: a fresh SQLite database in a temporary directory, migrated and loaded
with the demo team (``seed_demo``), served by ``runserver``; the rep ``riley`` labels three
leads with the keyboard, then the queue, the lead list and a labeled lead's page are captured.
Your own database is never touched.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not answer in {seconds:.0f} s")


def capture(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "riley")
        page.fill("input[name=password]", "leadloop-rep")
        page.click("button.primary")
        page.wait_for_url("**/queue/")
        labeled = []
        for outcome, reason in [("c", "1"), ("x", "2"), ("c", "2")]:
            lead = page.get_attribute("#queue-card", "data-lead")
            labeled.append(lead)
            page.keyboard.press(outcome)
            page.keyboard.press(reason)
            page.keyboard.press("Enter")
            page.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=lead)
        page.keyboard.press("c")
        page.screenshot(path=out / "queue.png", full_page=True)
        page.goto(f"{base}/leads/?status=all&sort=uncertainty")
        page.screenshot(path=out / "lead-list.png")
        page.goto(f"{base}/leads/{labeled[0]}/")
        page.screenshot(path=out / "lead.png", full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="leadloop-shots-") as var:
        env = {**os.environ, "LEADLOOP_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)  # a throwaway SQLite file and the filesystem broker, never your own
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/accounts/login/")
            capture(base, options.out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {', '.join(p.name for p in sorted(options.out.glob('*.png')))} to {options.out}")


if __name__ == "__main__":
    main()
