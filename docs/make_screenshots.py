"""Screenshots of the running dashboard for the lesson plan: docs/img/dashboard-<lesson id>.png.

Starts ``python run.py viz`` on a free port, drives Debian's Chromium through Playwright (as
the browser test does), and for each lesson of :data:`simulation.dashboard.lessons.LESSONS`
chooses it on the page, steps both worlds to the lesson's week (``Lesson.week``: where the
lesson plan pauses, after the scandal lesson's crisis; ``--weeks N`` for all) and writes a
1400 x 1000 picture of the page (a 1867 x 1333 window at scale 0.75).
``--lang de`` switches the page to German first and writes docs/img/de/dashboard-<id>.png.

    python docs/make_screenshots.py                 # every lesson, English
    python docs/make_screenshots.py --lang de --only scandal roi

Exit codes: 0 written, 2 Chromium or Playwright missing or a bad argument (one line).
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.dashboard.i18n import LANGUAGES, translator  # noqa: E402
from simulation.dashboard.lessons import LESSONS  # noqa: E402
from simulation.dashboard.worlds import HORIZON  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
#: The picture is 1400 x 1000 pixels of a 1867 x 1333 page (scale 0.75): the page as a
#: projector shows it, both worlds with their charts, small enough for the lesson plan.
SCALE = 0.75
VIEWPORT = {"width": round(1400 / SCALE), "height": round(1000 / SCALE)}
TIMEOUT_MS = 60_000
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    """The dashboard on 127.0.0.1:port in its own process group, once it answers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "run.py", "viz", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("the dashboard did not answer within 90 s")


def choose(page, select_class: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select with class ``select_class``."""
    page.locator(f".{select_class}").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def step_to(page, week: int) -> None:
    counter = page.locator(".womsim-week")
    button = page.get_by_role("button", name="Step", exact=True)
    current = int(counter.get_attribute("data-week") or 0)
    for k in range(current + 1, week + 1):
        button.click()
        page.locator(f'.womsim-week[data-week="{k}"]').wait_for(timeout=TIMEOUT_MS)


def shoot(lang: str, weeks: int | None, only: list[str], out: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional: checked in main()

    _ = translator(lang)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = serve(port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--headless"])
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=SCALE)
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".womsim-week").wait_for(timeout=TIMEOUT_MS)
            if lang != "en":
                choose(page, "womsim-language", LANGUAGE_NAMES[lang])
                page.locator(f'.womsim-lang[data-lang="{lang}"]').wait_for(state="attached", timeout=TIMEOUT_MS)
            for k, lid in enumerate(only, 1):
                t0 = time.monotonic()
                choose(page, "womsim-lesson", _(LESSONS[lid].name))
                # the lesson's model is there once its explanation is; then the new controller
                page.locator(".womsim-explanation", has_text=_(LESSONS[lid].explanation)[:40]).wait_for(
                    timeout=TIMEOUT_MS)
                page.locator('.womsim-week[data-week="0"]').wait_for(timeout=TIMEOUT_MS)
                page.wait_for_timeout(500)
                week = LESSONS[lid].week if weeks is None else weeks
                step_to(page, week)
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.womsim-panel img')]"
                    ".every(i => i.complete && i.naturalWidth > 200)", timeout=TIMEOUT_MS)
                page.wait_for_timeout(400)  # the last image swap
                path = out / f"dashboard-{lid}.png"
                page.screenshot(path=str(path))
                print(f"[{k}/{len(only)}] {path.relative_to(ROOT)}: week {week}, "
                      f"{time.monotonic() - t0:.0f} s", flush=True)
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en", help=f"page language: {' | '.join(LANGUAGES)} (default: en)")
    ap.add_argument("--weeks", type=int, help="weeks to step before each shot (default: each lesson's week)")
    ap.add_argument("--only", nargs="+", metavar="ID", help="lesson ids (default: all)")
    args = ap.parse_args(argv)
    if args.lang not in LANGUAGES:
        return fail(f"--lang {args.lang!r}: allowed {' | '.join(LANGUAGES)}")
    if args.weeks is not None and not 0 <= args.weeks <= HORIZON:
        return fail(f"--weeks {args.weeks}: allowed 0 .. {HORIZON}")
    only = args.only or list(LESSONS)
    unknown = [lid for lid in only if lid not in LESSONS]
    if unknown:
        near = difflib.get_close_matches(unknown[0], LESSONS, n=1)
        return fail(f"--only {unknown[0]!r}: allowed {' | '.join(LESSONS)}"
                    + (f" (did you mean {near[0]!r}?)" if near else ""))
    try:
        import playwright.sync_api  # noqa: F401, PLC0415 - optional (the test extra)
    except ImportError:
        return fail("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        return fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    out = ROOT / "docs" / "img" / ("" if args.lang == "en" else args.lang)
    shoot(args.lang, args.weeks, only, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
