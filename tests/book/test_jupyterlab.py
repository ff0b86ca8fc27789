"""The chapters as a learner meets them in JupyterLab: rendered, run to the end, offline.

JupyterLab is started from this environment (``python -m jupyterlab``, with the settings that
``make setup`` installs) on a free localhost port with a token and no browser, over a temporary
copy of ``book/`` (JupyterLab writes checkpoints and autosaves; the committed notebooks must not
change), with temporary config, data, runtime, settings and workspace folders, so that neither a
reader's own settings and kernels nor an earlier run take part. Headless Chromium (Debian's package, driven by
Playwright as in ``test_site.py``) opens one short chapter of each part, runs all its cells, and
checks what the reader sees: every code cell ran without an error output, figures are shown, no
MyST markup is left as raw text, solutions are collapsed, equations are typeset and the links to
them land on an anchor, and no news prompt appears.

Nothing may leave localhost: the browser's requests are routed and counted, and the server and
its kernels run with a ``sitecustomize`` hook that records every name lookup of another host.
Without Chromium the test skips, except under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lstm_tutorial.repro import NOTEBOOK_ENV

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
pytestmark = pytest.mark.jupyterlab

# One short chapter of each part, each with solutions, citations and figures.
CHAPTERS = [
    "part1/rnn.ipynb",
    "part2/gates.ipynb",
    "part3/pytorch.ipynb",
    "part4/encoder_decoder.ipynb",
    "part5/attention.ipynb",
]
RUN_TIMEOUT_S = 300  # per chapter; each runs in well under 90 s on 2 cores
AUTHOR_YEAR = re.compile(r"[A-Z][\w-]+.*\b(19|20)\d\d\b")  # "Elman, 1990", not the key "elman1990finding"
RAW_MYST = [
    ":::{",
    "```{",
    "{doc}",
    "{cite}",
    "{cite:",
    "{eq}",
    "{numref}",
    "{math}",
    ":label:",
    ":class: dropdown",
    ":pyobject:",
]

# Loaded into the server and every kernel through PYTHONPATH: logs each lookup of a host that is
# not this machine. (It shadows any sitecustomize of the interpreter, which a venv does not need.)
SITECUSTOMIZE = """
import os, socket
_log = os.environ.get("LSTM_BOOK_NETLOG")
_local = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None, socket.gethostname()}
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if _log and name not in _local and not str(name).startswith("127."):
        with open(_log, "a") as f:
            f.write(f"pid {os.getpid()} looked up {name}\\n")
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab over a copy of book/: yields (base_url, token, netlog path)."""
    work = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(BOOK, work / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (work / "hook").mkdir()
    (work / "hook" / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    netlog = work / "netlog.txt"
    settings = work / "settings"
    # Autosave off as well: the copy must not change under the kernel either.
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(NOTEBOOK_ENV)
    env.update(
        JUPYTER_CONFIG_DIR=str(work / "config"),
        JUPYTER_DATA_DIR=str(work / "data"),  # no kernelspec of the user's may stand in for .venv's
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        PYTHONPATH=os.pathsep.join([str(work / "hook"), *filter(None, [env.get("PYTHONPATH")])]),
        LSTM_BOOK_NETLOG=str(netlog),
    )
    port, token = _free_port(), os.urandom(16).hex()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work / 'book'}",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--LabApp.expose_app_in_browser=True",  # lets the test read the notebook model
    ]  # fmt: skip
    log = open(work / "server.log", "w")
    server = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(work / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token, netlog, work
    finally:
        # The server and its kernels form one process group, started here.
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(server.pid, sig)
                server.wait(wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()


def _open_and_run(browser, base: str, token: str, chapter: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    seen = {"outside": [], "page_errors": []}

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            seen["outside"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
    page.goto(f"{base}/lab/tree/{chapter}?token={token}")
    page.wait_for_function(
        """(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                       return w && w.context && w.context.path === path && w.sessionContext
                              && w.sessionContext.session && w.sessionContext.session.kernel; }""",
        arg=chapter,
        timeout=120_000,
    )
    page.evaluate("async () => { await jupyterapp.shell.currentWidget.sessionContext.ready; }")
    t0 = time.monotonic()
    seen["run_all"] = page.evaluate("async () => await jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=RUN_TIMEOUT_S * 1000,
    )
    seen["seconds"] = time.monotonic() - t0
    # Let figures decode and MathJax finish typesetting the last cells.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).every(i => i.complete)",
        timeout=30_000,
    )
    page.wait_for_timeout(1500)
    seen.update(
        page.evaluate(
            """() => {
        const panel = jupyterapp.shell.currentWidget;
        const notebook = panel.content;
        const cells = notebook.widgets;
        const code = cells.filter(c => c.model.type === 'code');
        const md = cells.filter(c => c.model.type === 'markdown');
        const rendered = notebook.node.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown');
        const images = Array.from(notebook.node.querySelectorAll('.jp-OutputArea-output img'));
        const ids = new Set(Array.from(notebook.node.querySelectorAll('[data-jupyter-id]'))
                               .map(e => e.getAttribute('data-jupyter-id')));
        return {
          code_cells: code.length,
          counts: code.map(c => c.model.executionCount),
          errors: code.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                        .map(o => o.ename + ': ' + o.evalue)),
          hide_input: code.filter(c => (c.model.getMetadata('tags') || []).includes('hide-input'))
                          .map(c => c.inputHidden),
          markdown_cells: md.length,
          rendered_markdown: rendered.length,
          markdown_text: Array.from(rendered).map(e => e.textContent).join('\\n'),
          brace_fences: notebook.node.querySelectorAll('.jp-RenderedMarkdown code[class*="language-{"]').length,
          images: images.length,
          broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0)).length,
          details: Array.from(notebook.node.querySelectorAll('.jp-RenderedMarkdown details')).map(d => d.open),
          math: notebook.node.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
          math_errors: notebook.node.querySelectorAll('.jp-RenderedMarkdown mjx-merror').length,
          eq_links: Array.from(notebook.node.querySelectorAll('.jp-RenderedMarkdown a[href^="#equation-"]'))
                         .map(a => [a.getAttribute('href').slice(1), ids.has(a.getAttribute('href').slice(1))]),
          cite_links: Array.from(notebook.node.querySelectorAll('.jp-RenderedMarkdown a'))
                           .filter(a => (a.getAttribute('href') || '').includes('references.md') && a.hash.length > 1)
                           .map(a => a.textContent),
          toasts: Array.from(document.querySelectorAll('.Toastify__toast')).map(t => t.innerText),
        };
    }"""
        )
    )
    shots = os.environ.get("JUPYTERLAB_TEST_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.evaluate("() => jupyterapp.shell.currentWidget.content.scrollToItem(0)")
        page.wait_for_timeout(500)
        page.screenshot(path=str(Path(shots) / f"{chapter.replace('/', '-')}.png"))
    context.close()
    return seen


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_in_jupyterlab(lab, browser, chapter):
    base, token, netlog, work = lab
    seen = _open_and_run(browser, base, token, chapter)
    problems = []
    if seen["run_all"] is not True:
        problems.append(f"Run All did not complete (returned {seen['run_all']!r})")
    if seen["counts"] != list(range(1, seen["code_cells"] + 1)):
        problems.append(f"not every code cell ran once, in order: execution counts {seen['counts']}")
    if seen["errors"]:
        problems.append(f"error outputs: {seen['errors']}")
    if seen["rendered_markdown"] != seen["markdown_cells"]:
        problems.append(f"{seen['rendered_markdown']} of {seen['markdown_cells']} Markdown cells rendered")
    raw = [marker for marker in RAW_MYST if marker in seen["markdown_text"]]
    if raw or seen["brace_fences"]:
        problems.append(f"raw MyST visible: {raw}, {seen['brace_fences']} code blocks fenced with a brace")
    if not seen["images"] or seen["broken_images"]:
        problems.append(f"figures: {seen['images']} images, {seen['broken_images']} not shown")
    if not seen["details"] or any(seen["details"]):
        problems.append(f"solutions (<details>) must exist and be collapsed: open flags {seen['details']}")
    if not all(seen["hide_input"]):
        problems.append(f"hide-input cells whose code is not collapsed: {seen['hide_input']}")
    if seen["math_errors"] or not seen["math"]:
        problems.append(f"math: {seen['math']} typeset, {seen['math_errors']} MathJax errors")
    dangling = [target for target, found in seen["eq_links"] if not found]
    if dangling:
        problems.append(f"equation links without an anchor on the page: {dangling}")
    if not seen["cite_links"] or not all(AUTHOR_YEAR.search(c) for c in seen["cite_links"]):
        problems.append(f"citations must read as author and year: {seen['cite_links']}")
    if any("news" in t.lower() for t in seen["toasts"]):
        problems.append(f"JupyterLab asked about news: {seen['toasts']}")
    if seen["outside"]:
        problems.append(f"browser requests that left localhost: {seen['outside'][:5]}")
    lookups = netlog.read_text() if netlog.exists() else ""
    if lookups:
        problems.append(f"the server or a kernel looked up another host:\n{lookups}")
    if seen["page_errors"]:
        problems.append(f"uncaught errors in the page: {seen['page_errors'][:3]}")
    print(
        f"{chapter}: {seen['code_cells']} code cells ran in {seen['seconds']:.1f} s, {seen['images']} figures, "
        f"{len(seen['details'])} solutions collapsed, {seen['math']} formulas, {len(seen['cite_links'])} citations"
    )
    assert not problems, f"{chapter} in JupyterLab:\n" + "\n".join(problems)
    assert (work / "book" / chapter).read_bytes() == (BOOK / chapter).read_bytes(), "the copy was saved over"
