"""The built site, as a reader meets it: a strict build, then every page in headless Chromium.

Chromium comes from Debian's ``chromium`` package (``.ci/run`` installs it) and is driven by
Playwright for Python with ``executable_path``: no browser is downloaded. Every request that
would leave localhost is blocked and counted as a failure, so passing proves the site works
offline. Without Chromium the browser tests skip, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.book.pages import PAGES, markdown

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
pytestmark = pytest.mark.site


@pytest.fixture(scope="module")
def strict_build():
    """Build the whole site from scratch with warnings as errors (``-W --keep-going --all``)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", ".", "-W", "--keep-going", "--all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result


def test_strict_build_passes(strict_build):
    tail = (strict_build.stdout + strict_build.stderr)[-4000:]
    assert strict_build.returncode == 0, f"jupyter-book build -W failed:\n{tail}"
    assert (HTML / "index.html").is_file()


def test_mathjax_is_served_locally(strict_build):
    assert strict_build.returncode == 0
    assert (HTML / "_static" / "mathjax" / "es5" / "tex-mml-chtml.js").is_file(), (
        "MathJax was not copied into the site: run scripts/fetch_mathjax.sh (needs npm)"
    )
    page = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    assert "_static/mathjax/es5/tex-mml-chtml.js" in page
    assert "cdn.jsdelivr.net" not in page


def _markdown_of(source: Path) -> str:
    return "\n".join(markdown(source))


@pytest.mark.parametrize("source", PAGES, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_plain_forms_are_the_myst_constructs_on_the_site(strict_build, source):
    """What a chapter writes in plain Markdown for JupyterLab (CONTRIBUTING.md) is, on the site,
    what the MyST syntax gave: every ``\\tag{n}`` a numbered equation with the same number, in
    order; every ``<details>`` solution a folded dropdown admonition with the same title; every
    citation link one link into the bibliography inside a citation."""
    assert strict_build.returncode == 0, "the site did not build"
    md = _markdown_of(source)
    page = (HTML / source.relative_to(ROOT).with_suffix(".html")).read_text(encoding="utf-8")
    assert re.findall(r'<span class="eqno">\((\d+)\)', page) == re.findall(r"\\tag\{(\d+)\}", md)
    titles = re.findall(r'<div class="dropdown admonition[^"]*">\s*<p class="admonition-title">(.*?)</p>', page)
    assert titles == re.findall(r"<summary>(.*?)</summary>", md)
    citations = re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', page, re.S)
    into_bibliography = sum(len(re.findall(r'href="(?:\.\./)*references\.html#', c)) for c in citations)
    assert into_bibliography == len(re.findall(r"\]\((?:\.\./)*references\.md#[\w-]+\)", md))


def test_plain_forms_are_used():
    """The check above compares counts; this keeps it from passing on a book that has none."""
    text = "\n".join(_markdown_of(p) for p in PAGES)
    counts = [len(re.findall(pattern, text)) for pattern in (r"\\tag\{", r"<summary>", r"references\.md#")]
    assert min(counts) > 50, counts


@pytest.fixture(scope="module")
def site_url(strict_build):
    assert strict_build.returncode == 0, "the site did not build"
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


def _visit(browser, url: str) -> dict:
    """Open one page; return what a reader's browser saw: errors, outside requests, math, images."""
    context = browser.new_context()
    # The book theme reads its colour mode from local storage and logs a console error when a
    # first visit finds none; a returning reader always has one.
    context.add_init_script(
        "try { localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light'); } catch (e) {}"
    )
    page = context.new_page()
    seen = {"console_errors": [], "outside": [], "failed": [], "page_errors": []}

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            seen["outside"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and seen["console_errors"].append(m.text))
    page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
    page.on(
        "response",
        lambda resp: (
            resp.status >= 400
            and not resp.url.endswith("/favicon.ico")
            and seen["failed"].append(f"{resp.status} {resp.url}")
        ),
    )
    page.goto(url, wait_until="networkidle")  # index.html redirects to the first chapter
    seen["title"] = page.title()
    has_math = page.locator(".math").count() > 0
    seen["has_math"] = has_math
    if has_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        seen["mjx"] = page.locator("mjx-container").count()
        seen["mjx_errors"] = page.locator("mjx-merror").count()
    seen["broken_images"] = page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    seen["images"] = page.evaluate("() => document.images.length")
    # Console errors from a favicon 404 are Chromium's own request, not the site's.
    seen["console_errors"] = [e for e in seen["console_errors"] if "favicon.ico" not in e]
    context.close()
    return seen


def test_every_page_in_chromium(site_url, browser):
    pages = _pages()
    assert pages, "no HTML pages were built"
    problems = []
    math_pages = 0
    for path in pages:
        rel = path.relative_to(HTML).as_posix()
        seen = _visit(browser, f"{site_url}/{rel}")
        if not seen["title"] or "<no title>" in seen["title"]:
            problems.append(f"{rel}: no title")
        for key in ("console_errors", "page_errors", "outside", "failed", "broken_images"):
            if seen[key]:
                problems.append(f"{rel}: {key}: {seen[key][:5]}")
        if seen["has_math"]:
            math_pages += 1
            if seen["mjx"] == 0:
                problems.append(f"{rel}: has math but MathJax rendered nothing")
            if seen["mjx_errors"]:
                problems.append(f"{rel}: {seen['mjx_errors']} MathJax errors")
    print(f"checked {len(pages)} pages in Chromium, {math_pages} with typeset math")
    assert math_pages >= 1, "no page with math was found: the math check checked nothing"
    assert not problems, "\n".join(problems)
