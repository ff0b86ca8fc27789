"""Read the book's plain Markdown back into the nodes that MyST roles and directives make.

The chapters are written in Markdown that JupyterLab renders as it stands (CommonMark, HTML,
MathJax): ``scripts/to_plain_markdown.py`` explains the forms and writes them. This extension
turns each form into exactly the docutils nodes the MyST construct it replaces produced, so the
site renders as it did with the MyST syntax (numbered equations, sphinxcontrib-bibtex citations,
collapsed solutions):

- ``<details><summary>T</summary>`` ... ``</details>``: an admonition titled T with class
  ``dropdown`` (``:::{admonition} T`` + ``:class: dropdown``), which sphinx-togglebutton folds;
- ``<a id="equation-x"></a>`` before ``$$ ... \\tag{3} $$``: ``{math}`` with ``:label: x``;
- ``[(3)](#equation-x)``, ``[(3)](page.ipynb#equation-x)``: ``{eq}`x```;
- ``[Fig. 19](#fig-x)``: ``{numref}`fig-x```;
- ``[[A, 1997](../references.md#a), [B, 2000](../references.md#b)]``: ``{cite}`a,b```,
  and a link on its own, ``[A [1997]](../references.md#a)``: ``{cite:t}`a```;
- ``<!-- literalinclude f.py :pyobject: g -->`` before a code block: what
  ``{literalinclude}`` shows, after checking that the copy is the current code;
- the list of references between the markers in ``references.md``: ``{bibliography}``;
- any other paragraph made of a lone ``<a id="..."></a>`` (a scroll target for JupyterLab next
  to a figure) is dropped: the site has its own target there.

The numbers and citation texts that plain Markdown spells out are compared with the ones Sphinx
computes; a stale one is a warning, so the strict build (``-W``) fails until the script is re-run.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.directives.code import LiteralIncludeReader
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

REFERENCES = "book/references"
BIB_START = re.compile(r"^<!-- bibliography:.*?-->$", re.M)
BIB_END = "<!-- end of bibliography -->"
BIBLIOGRAPHY = "```{bibliography}\n:all:\n```"

DETAILS_OPEN = re.compile(r"^\s*<details>\s*<summary>(?P<title>[^<]*)</summary>\s*$")
DETAILS_CLOSE = re.compile(r"^\s*</details>\s*$")
ANCHOR_OPEN = re.compile(r'^<a id="(?P<id>[^"]+)">$')
TAG = re.compile(r"\s*\\tag\{(?P<number>[^}]*)\}\s*$")
LITERALINCLUDE = re.compile(r"^<!-- literalinclude (?P<path>\S+)(?P<options>(?: :[\w-]+: \S+)*) -->\s*$")
FIG_TEXT = re.compile(r"^Fig\. \S+$")
EQ_TEXT = re.compile(r"^\(\S+\)$")
WARN = {"type": "plain_markdown", "subtype": "stale"}
RERUN = "run scripts/to_plain_markdown.py"


def _raw_html(node) -> str | None:
    if isinstance(node, nodes.raw) and node.get("format") == "html":
        return node.astext()
    return None


def _link_target(node) -> tuple[str | None, str | None]:
    """(docname or None for this page, fragment) of a MyST link, or (None, None)."""
    if isinstance(node, addnodes.pending_xref) and node.get("refdomain") == "doc" and node.get("reftype") == "myst":
        return node["reftarget"], node.get("reftargetid")
    if isinstance(node, nodes.reference) and node.get("id_link") and node.get("refuri", "").startswith("#"):
        return None, node["refuri"][1:]
    return None, None


def _is_cite_link(node) -> bool:
    docname, fragment = _link_target(node)
    return docname == REFERENCES and bool(fragment)


class PlainMarkdown(SphinxTransform):
    """Plain Markdown forms to MyST nodes; runs before targets propagate (priority 260)."""

    default_priority = 200

    def apply(self, **kwargs) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if raw.parent is not None and DETAILS_OPEN.match(_raw_html(raw) or ""):
                self._solution(raw)
        for para in list(self.document.findall(nodes.paragraph)):
            anchor = self._anchor(para)
            if anchor and anchor.startswith("equation-"):
                self._equation(para, anchor[len("equation-") :])
            elif anchor:
                para.parent.remove(para)
        for raw in list(self.document.findall(nodes.raw)):
            m = LITERALINCLUDE.match(_raw_html(raw) or "")
            if m and raw.parent is not None:
                self._literalinclude(raw, m.group("path"), m.group("options"))
        for parent in {n.parent for n in self.document.findall(addnodes.pending_xref) if _is_cite_link(n)}:
            self._citations(parent)
        for node in list(self.document.findall(lambda n: isinstance(n, (addnodes.pending_xref, nodes.reference)))):
            docname, fragment = _link_target(node)
            if not fragment or docname == REFERENCES:
                continue
            text = node.astext()
            if fragment.startswith("equation-") and EQ_TEXT.match(text):
                self._xref(node, "math", "eq", fragment[len("equation-") :], ["xref", "eq"], docname)
            elif FIG_TEXT.match(text):
                self._xref(node, "std", "numref", fragment, ["xref", "std", "std-numref"], docname)

    # -- solutions -----------------------------------------------------------------------------

    def _solution(self, raw: nodes.raw) -> None:
        parent = raw.parent
        start = parent.index(raw)
        for end in range(start + 1, len(parent)):
            if DETAILS_CLOSE.match(_raw_html(parent[end]) or ""):
                break
        else:
            logger.warning("<details> without a matching </details> at the same level", location=raw, **WARN)
            return
        title_text = DETAILS_OPEN.match(raw.astext()).group("title").strip()
        admonition = nodes.admonition("", classes=["dropdown"])
        admonition.source, admonition.line = raw.source, raw.line
        admonition += nodes.title(title_text, title_text)
        body = list(parent.children[start + 1 : end])
        for child in body:
            parent.remove(child)
        admonition.extend(body)
        parent.remove(parent[start + 1])  # </details>
        parent.replace(raw, admonition)

    # -- equations -------------------------------------------------------------------------------

    @staticmethod
    def _anchor(para: nodes.paragraph) -> str | None:
        """The id of a paragraph that is only ``<a id="..."></a>``."""
        kids = [k for k in para.children if not (isinstance(k, nodes.Text) and not k.strip())]
        if len(kids) == 2 and _raw_html(kids[1]) == "</a>":
            m = ANCHOR_OPEN.match(_raw_html(kids[0]) or "")
            return m.group("id") if m else None
        return None

    def _equation(self, para: nodes.paragraph, label: str) -> None:
        parent = para.parent
        index = parent.index(para)
        block = parent[index + 1] if index + 1 < len(parent) else None
        if not isinstance(block, nodes.math_block):
            logger.warning(f'<a id="equation-{label}"></a> is not followed by a $$ block', location=para, **WARN)
            return
        latex = block.astext()
        tag = TAG.search(latex)
        if tag:
            latex = latex[: tag.start()]
        latex = latex.strip("\n")
        # Exactly what Sphinx's math directive builds for ```{math} with :label: (MathDirective).
        node = nodes.math_block(
            latex, latex, classes=block["classes"], docname=self.env.docname, number=None, label=label, nowrap=False
        )
        node.source, node.line = block.source, block.line
        node["plain_markdown_tag"] = tag.group("number") if tag else ""
        domain = self.env.get_domain("math")
        domain.note_equation(self.env.docname, label, location=node)
        node["number"] = domain.get_equation_number_for(label)
        target = nodes.target("", "", ids=[nodes.make_id(f"equation-{label}")])
        self.document.note_explicit_target(target)
        parent.replace(block, node)
        parent.replace(para, target)

    # -- code listings -----------------------------------------------------------------------------

    def _literalinclude(self, raw: nodes.raw, path: str, options: str) -> None:
        parent = raw.parent
        index = parent.index(raw)
        block = parent[index + 1] if index + 1 < len(parent) else None
        if not isinstance(block, nodes.literal_block):
            logger.warning("a literalinclude marker is not followed by a code block", location=raw, **WARN)
            return
        opts = dict(re.findall(r":([\w-]+): (\S+)", options))
        filename = str((Path(self.env.doc2path(self.env.docname)).parent / path).resolve())
        reader = LiteralIncludeReader(filename, opts, self.config)
        text, _ = reader.read(location=(self.env.docname, raw.line))
        self.env.note_dependency(filename)
        if text.rstrip("\n") != block.astext().rstrip("\n"):
            logger.warning(f"the copy of {path} {options.strip()} is out of date: {RERUN}", location=block, **WARN)
        # What LiteralInclude.run builds (no language: the default highlighter, as before).
        node = nodes.literal_block(text, text, source=filename)
        node["force"] = False
        node["highlight_args"] = {"linenostart": reader.lineno_start}
        node.line = block.line
        parent.replace(block, node)
        parent.remove(raw)

    # -- citations -----------------------------------------------------------------------------------

    def _citations(self, parent: nodes.Element) -> None:
        """``[`` link ``, `` link ``]`` is ``{cite:p}``; a link to references.md on its own is ``{cite:t}``."""
        i = 0
        while i < len(parent):
            node = parent[i]
            if not _is_cite_link(node):
                i += 1
                continue
            prev = parent[i - 1] if i else None
            j = i
            while (
                j + 2 < len(parent)
                and isinstance(parent[j + 1], nodes.Text)
                and parent[j + 1].astext() == ", "
                and _is_cite_link(parent[j + 2])
            ):
                j += 2
            nxt = parent[j + 1] if j + 1 < len(parent) else None
            grouped = (
                isinstance(prev, nodes.Text)
                and prev.astext().endswith("[")
                and isinstance(nxt, nodes.Text)
                and nxt.astext().startswith("]")
            )
            if grouped:
                links = parent.children[i : j + 1 : 2]
                written = "[" + ", ".join(link.astext() for link in links) + "]"
                xref = self._cite("p", [_link_target(link)[1] for link in links], node, written)
                for child in list(parent.children[i + 1 : j + 1]):
                    parent.remove(child)
                parent.replace(node, xref)
                parent.replace(prev, nodes.Text(prev.astext()[:-1]))
                parent.replace(nxt, nodes.Text(nxt.astext()[1:]))
            else:
                parent.replace(node, self._cite("t", _link_target(node)[1].split(","), node, node.astext()))
            i += 1

    def _cite(self, role: str, keys: list[str], link, written: str) -> addnodes.pending_xref:
        # What sphinxcontrib-bibtex's CiteRole builds for {cite:p} / {cite:t}.
        from sphinxcontrib.bibtex.citation_target import parse_citation_targets
        from sphinxcontrib.bibtex.roles import CitationRef

        target = ",".join(keys)
        classes = ["xref", "cite"] if role == "p" else ["xref", "cite", "cite-t"]
        xref = addnodes.pending_xref(
            f":cite:{role}:`{target}`",
            refdoc=self.env.docname,
            refdomain="cite",
            reftype=role,
            refexplicit=False,
            refwarn=False,
            reftarget=target,
        )
        xref.source, xref.line = link.source, link.line
        xref += nodes.inline(target, target, classes=classes)
        self.document.note_explicit_target(xref, xref)
        self.document.setdefault("plain_markdown_cites", {})[xref["ids"][0]] = written
        self.env.get_domain("cite").citation_refs.append(
            CitationRef(
                citation_ref_id=xref["ids"][0],
                docname=self.env.docname,
                line=link.line or 0,
                targets=list(parse_citation_targets(target)),
            )
        )
        return xref

    # -- equation and figure references ------------------------------------------------------------

    def _xref(self, link, domain: str, role: str, target: str, classes: list[str], docname: str | None) -> None:
        xref = addnodes.pending_xref(
            "",
            refdoc=self.env.docname,
            refdomain=domain,
            reftype=role,
            refexplicit=False,
            refwarn=True,
            reftarget=target,
        )
        xref.source, xref.line = link.source, link.line
        xref["plain_markdown_text"] = link.astext()
        xref["plain_markdown_doc"] = docname or self.env.docname
        xref += nodes.literal(target, target, classes=classes)
        link.replace_self(xref)


class CheckNumbers(SphinxPostTransform):
    """Compare the numbers plain Markdown spells out with Sphinx's, before references resolve."""

    default_priority = 5

    def run(self, **kwargs) -> None:
        numbers = self.env.toc_fignumbers
        for block in self.document.findall(nodes.math_block):
            if "plain_markdown_tag" not in block:
                continue
            got = ".".join(map(str, numbers.get(block["docname"], {}).get("displaymath", {}).get(block["ids"][0], ())))
            if block["plain_markdown_tag"] != got:
                logger.warning(
                    f"equation {block['label']} is written \\tag{{{block['plain_markdown_tag']}}}, "
                    f"the site numbers it {got}: {RERUN}",
                    location=block,
                    **WARN,
                )
        for xref in self.document.findall(addnodes.pending_xref):
            if "plain_markdown_text" not in xref:
                continue
            target = xref["reftarget"]
            if xref["reftype"] == "eq":
                docname = self.env.get_domain("math").equations.get(target, (None,))[0]
                key, figtype, fmt = f"equation-{target}", "displaymath", "({})"
            else:
                docname, key = self.env.get_domain("std").labels.get(target, (None, None, None))[:2]
                figtype, fmt = "figure", "Fig. {}"
            if docname is None:
                continue  # the resolver reports the missing target
            number = ".".join(map(str, numbers.get(docname, {}).get(figtype, {}).get(key, ())))
            if xref["plain_markdown_text"] != fmt.format(number):
                logger.warning(
                    f"a link to {target} reads {xref['plain_markdown_text']!r}, "
                    f"the site numbers it {fmt.format(number)!r}: {RERUN}",
                    location=xref,
                    **WARN,
                )
            if xref["plain_markdown_doc"] != docname:
                logger.warning(
                    f"a link to {target} points at {xref['plain_markdown_doc']}, but {target} is in {docname}: {RERUN}",
                    location=xref,
                    **WARN,
                )


def _check_citations(app, doctree, docname) -> None:
    """Compare each citation's written text with the one sphinxcontrib-bibtex rendered."""
    written = doctree.get("plain_markdown_cites", {})
    for node in doctree.findall(nodes.inline):
        if "bibtex-citation" in node["classes"] and node["ids"] and node["ids"][0] in written:
            if node.astext() != written[node["ids"][0]]:
                logger.warning(
                    f"a citation reads {written[node['ids'][0]]!r}, the site renders {node.astext()!r}: {RERUN}",
                    location=node,
                    **WARN,
                )


def _bibliography(app, docname, source) -> None:
    """On the References page, the site shows sphinxcontrib-bibtex's list instead of the written one."""
    if docname != REFERENCES:
        return
    text = source[0]
    start, end = BIB_START.search(text), text.find(BIB_END)
    if start is None or end < start.end():
        logger.warning(f"{docname}: the bibliography markers are missing: {RERUN}", **WARN)
        return
    source[0] = text[: start.start()] + BIBLIOGRAPHY + text[end + len(BIB_END) :]


def setup(app):
    app.add_transform(PlainMarkdown)
    app.add_post_transform(CheckNumbers)
    app.connect("source-read", _bibliography)
    app.connect("doctree-resolved", _check_citations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
