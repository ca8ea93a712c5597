"""Retake every screenshot the README and docs/ show, with Playwright and Debian's Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts from nothing: a fresh SQLite database in a temporary directory, migrated and loaded
with the demo team (``seed_demo``), served by ``runserver``. The rep ``riley`` labels three
leads with the keyboard, then each page is captured as the role that uses it (rep: queue, lead
list, a lead; manager: each dashboard section and a drill-down; admin: each settings section,
the threshold preview showing). Every ``docs/*.png`` that README.md or docs/*.md shows must have
a recipe here, or the script stops naming it. Your own database is never touched.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

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


LOGINS = {
    "rep": ("riley", "leadloop-rep"),
    "manager": ("morgan", "leadloop-manager"),
    "admin": ("alex", "leadloop-admin"),
}
# name -> (role, path, CSS selector of the part to capture; "" for the whole page)
SECTIONS = {
    "dashboard-why": ("manager", "/dashboards/", "#answer"),
    "dashboard-reasons": ("manager", "/dashboards/", "#reasons"),
    "dashboard-quality": ("manager", "/dashboards/", "#quality"),
    "dashboard-disagreements": ("manager", "/dashboards/", "#disagree"),
    "dashboard-team": ("manager", "/dashboards/", "#team"),
    "dashboard-drilldown": ("manager", "/dashboards/reasons/?outcome=not_converted", ""),
    "settings-rules": ("admin", "/settings/", "#rules"),
    "settings-reasons": ("admin", "/settings/", "#reasons"),
    "settings-actions": ("admin", "/settings/", "#actions"),
    "settings-models": ("admin", "/settings/", "#models"),
    "settings-users": ("admin", "/settings/users/", ""),
}
REP_SHOTS = ("queue", "lead-list", "lead")
TAKEN = (*REP_SHOTS, "settings-thresholds", *SECTIONS)


def shown_in_docs() -> set[str]:
    """The docs/*.png names README.md and docs/*.md show."""
    names: set[str] = set()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        names.update(re.findall(r"\(\s*(?:docs/)?([\w-]+)\.png\s*\)", page.read_text()))
    return names


def signed_in(browser: Any, base: str, role: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
    username, password = LOGINS[role]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_load_state()
    return page


def part(page: Any, selector: str, path: Path) -> None:
    if not selector:
        page.screenshot(path=path, full_page=True)
        return
    element = page.locator(selector)
    if element.count() != 1:
        raise SystemExit(f"{path.name}: no single {selector} on {page.url}")
    element.screenshot(path=path)


def capture(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = signed_in(browser, base, "rep")
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

        pages = {"manager": signed_in(browser, base, "manager"), "admin": signed_in(browser, base, "admin")}
        admin = pages["admin"]
        admin.goto(f"{base}/settings/")
        admin.fill("input[name=hot_threshold]", "40")
        admin.wait_for_selector("#threshold-preview .preview")
        part(admin, "#loop", out / "settings-thresholds.png")
        for name, (role, path, selector) in SECTIONS.items():
            page = pages[role]
            if not page.url.endswith(path):
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
            part(page, selector, out / f"{name}.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    missing = shown_in_docs() - set(TAKEN)
    if missing:
        raise SystemExit(f"no recipe for {', '.join(sorted(missing))}: add one to SECTIONS")
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
    print(f"wrote {', '.join(f'{name}.png' for name in TAKEN)} to {options.out}")


if __name__ == "__main__":
    main()
