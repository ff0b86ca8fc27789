"""What the two browser tests share: Debian's Chromium, found and launched headless for Playwright.

``test_site.py`` (the built site) and ``test_jupyterlab.py`` (the chapters in JupyterLab) both
use the module-scoped ``browser`` fixture. No browser is downloaded: Playwright drives the
system's Chromium through ``executable_path``. Without one the tests skip, except under CI
(``CI=true``), where they fail: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The first of :data:`CHROMIUM_CANDIDATES` on ``PATH``, or ``None``."""
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium found: .ci/run must install Debian's chromium package")
        pytest.skip("no Chromium on this machine (apt-get install chromium); the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()
