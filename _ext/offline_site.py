"""Make the site work with no network: MathJax from the site itself, and no Thebe loader.

MathJax.
`make book` / `make test` copy MathJax 3.2.2 from the npm registry into
``_vendor/mathjax-static/mathjax`` (git-ignored; no third-party code is committed). This
extension adds that folder to ``html_static_path`` and points ``mathjax_path`` at it. The folder
is deliberately outside any ``_static`` directory: Sphinx would otherwise inject every ``.js``
file it holds into every page. Without the folder the build keeps Sphinx's CDN default and
says so.
"""

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR = Path(__file__).resolve().parent.parent / "_vendor" / "mathjax-static"
ENTRY = "mathjax/es5/tex-mml-chtml.js"


def _use_local_mathjax(app, config):
    if (VENDOR / ENTRY).is_file():
        config.html_static_path = [*config.html_static_path, str(VENDOR)]
        config.mathjax_path = ENTRY
        logger.info("offline_site: serving MathJax 3.2.2 from the site's _static folder")
    else:
        # A plain info line, not a warning: a strict (-W) build on a machine without npm still passes.
        logger.info(
            "offline_site: %s not found (run scripts/fetch_mathjax.sh); "
            "math will load from a CDN and needs a network connection",
            VENDOR / ENTRY,
        )


def _drop_thebe(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts, which Jupyter Book 1 adds even with Thebe turned off.

    Thebe runs code on a remote Binder server, which an offline, pre-executed book cannot use;
    and its configuration script is added twice per page, so the second copy throws
    ``Identifier 'THEBE_JS_URL' has already been declared`` in the reader's console.
    """
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [
            js
            for js in scripts
            if "thebe" not in (getattr(js, "filename", None) or str(js))
            and "THEBE_JS_URL" not in str(getattr(js, "attributes", {}).get("body", ""))
        ]


def setup(app):
    app.connect("config-inited", _use_local_mathjax, priority=900)
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
