"""Write the book's Markdown so that it reads in JupyterLab as well as on the site (for authors).

JupyterLab renders a Markdown cell with a CommonMark renderer, HTML and MathJax, and nothing
else: every MyST role and directive shows there as raw text. This script rewrites each MyST
construct the book uses into plain Markdown and HTML, which JupyterLab (and GitHub, VS Code,
Colab) render natively, and which the site reads back into exactly the nodes the MyST
construct gave (``_ext/plain_markdown.py``), so the site renders as before:

    MyST (what authors may still type)       plain form (what this script writes)
    {doc}`rnn`                               [The plain recurrent network](rnn.ipynb)
    {cite}`a,b`                              [[A, 1997](../references.md#a), [B et al., 2000](../references.md#b)]
    {cite:t}`a`                              [A [1997]](../references.md#a)
    ```{math} with :label: x                 <a id="equation-x"></a>, then $$ ... \\tag{3} $$
    {eq}`x`                                  [(3)](#equation-x), or [(3)](rnn.ipynb#equation-x)
    {numref}`fig-x`                          [Fig. 19](#fig-x)
    :::{admonition} Solution, dropdown       <details> <summary>Solution</summary> ... </details>
    ```{literalinclude} f.py, :pyobject: g   <!-- literalinclude f.py :pyobject: g -->, then a copy
    ```{bibliography} (references.md)        the list itself, between <!-- bibliography --> markers

Plain Markdown has to spell out what MyST computed: chapter titles, citation texts (as
sphinxcontrib-bibtex renders them), equation and figure numbers (counted across the whole book
in ``_toc.yml`` order, as the site numbers them), the code of a literalinclude and the list of
references. Every run recomputes all of them except the titles, so adding an equation or a
citation anywhere only needs a re-run. The site's strict build fails if one has gone stale.

The rewrite touches only Markdown cells (and code cells' ``jupyter.source_hidden`` flag, so that
a ``hide-input`` solution is collapsed in JupyterLab too); code, outputs and the rest of the JSON
are written back byte for byte.

    python scripts/to_plain_markdown.py          # rewrite book/ in place; a second run changes nothing
    python scripts/to_plain_markdown.py --check  # exit 1 and name the files a run would change
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIBFILE = ROOT / "book" / "references.bib"
REFERENCES = "book/references"  # the docname of the page with the bibliography
BIB_START = (
    "<!-- bibliography: written by scripts/to_plain_markdown.py from references.bib; "
    "the site shows its own list here -->"
)
BIB_END = "<!-- end of bibliography -->"

# A fence opening: ``` or ~~~ (code) or ::: (MyST colon fence), then the info string.
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
ROLE = re.compile(r"\{(?P<name>doc|cite|cite:p|cite:t|eq|numref)\}`(?P<content>[^`]+)`")
# Any role or directive left over: what the static test forbids in Markdown cells.
MYST_ROLE = re.compile(r"\{[a-z][\w:-]*\}`")
MYST_DIRECTIVE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})\s*\{", re.M)

EQUATION = re.compile(
    r'<a id="equation-(?P<label>[\w:.-]+)"></a>\n\n\$\$\n(?P<body>.*?)(?: \\tag\{[^}]*\})?\n\$\$',
    re.S,
)
EQ_REF = re.compile(r"\[\((?P<num>[^)\]]*)\)\]\((?P<path>[^)#\s]*)#equation-(?P<label>[\w:.-]+)\)")
FIG_REF = re.compile(r"\[Fig\. (?P<num>[^\]]*)\]\((?P<path>[^)#\s]*)#(?P<name>[\w:.-]+)\)")
FIG_ANCHOR = '<a id="{name}"></a>'
LINK_TEXT = r"(?:[^\[\]]|\[[^\[\]]*\])*"  # link text: no brackets, or balanced ones one deep
CITE_LINK = re.compile(rf"\[(?P<text>{LINK_TEXT})\]\((?P<path>[^)#\s]*references\.md)#(?P<key>[^)\s]+)\)")
CITE_LINK_PLAIN = CITE_LINK.pattern.replace("?P<text>", "?:").replace("?P<path>", "?:").replace("?P<key>", "?:")
CITE_GROUP = re.compile(rf"\[(?:{CITE_LINK_PLAIN})(?:, (?:{CITE_LINK_PLAIN}))*\]")
LITERALINCLUDE = re.compile(
    r"<!-- literalinclude (?P<path>\S+)(?P<options>(?: :[\w-]+: \S+)*) -->\n"
    r"(?P<fence>`{3,})(?P<lang>\w*)\n(?P<code>.*?)\n?(?P=fence)\n?",
    re.S,
)


class ConversionError(ValueError):
    pass


@dataclass
class Doc:
    docname: str  # e.g. "book/part1/rnn", as in _toc.yml
    path: Path
    nb: dict | None = None  # the notebook JSON, or None for a .md page
    texts: list[str] = field(default_factory=list)  # Markdown of each Markdown cell, or the page
    original: str = ""

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath(self.docname).parent

    def title(self) -> str:
        for text in self.texts:
            m = re.search(r"^# (.+)$", text, re.M)
            if m:
                return m.group(1).strip()
        raise ConversionError(f"{self.path}: no '# ' title")

    def figures(self) -> list[str]:
        """Names of the figures (MyST-NB ``mystnb.figure.name`` of code cells), in order."""
        if self.nb is None:
            return []
        names = []
        for cell in self.nb["cells"]:
            fig = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
            if cell["cell_type"] == "code" and fig.get("name"):
                names.append(fig["name"])
        return names

    def serialise(self) -> str:
        if self.nb is None:
            return self.texts[0]
        md = iter(self.texts)
        for cell in self.nb["cells"]:
            if cell["cell_type"] == "markdown":
                cell["source"] = next(md).splitlines(True)
        return json.dumps(self.nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def toc_docnames(root: Path = ROOT) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("chapters", []) + toc.get("parts", []))
    return names


def load_docs(root: Path = ROOT) -> list[Doc]:
    docs = []
    for name in toc_docnames(root):
        for ext in (".ipynb", ".md"):
            path = root / f"{name}{ext}"
            if path.is_file():
                break
        else:
            raise ConversionError(f"_toc.yml lists {name}, which has no .ipynb or .md file")
        text = path.read_text(encoding="utf-8")
        doc = Doc(name, path, original=text)
        if ext == ".ipynb":
            doc.nb = json.loads(text)
            doc.texts = ["".join(c["source"]) for c in doc.nb["cells"] if c["cell_type"] == "markdown"]
        else:
            doc.texts = [text]
        docs.append(doc)
    return docs


# ---------------------------------------------------------------------------------------------
# Citations, rendered by sphinxcontrib-bibtex's own author-year style


class Citations:
    """Citation texts and the list of references, exactly as sphinxcontrib-bibtex renders them."""

    def __init__(self, bibfile: Path = BIBFILE):
        import pybtex.plugin
        from pybtex.database.input.bibtex import Parser
        from sphinxcontrib.bibtex.plugin import find_plugin

        self.entries = Parser("utf-8-sig").parse_file(bibfile).entries
        self.style = pybtex.plugin.find_plugin("pybtex.style.formatting", "alpha")()
        self.reference_style = find_plugin("sphinxcontrib.bibtex.style.referencing", "author_year")()
        self.formatted = {}
        entries = self.style.sort(self.entries.values())
        for label, entry in zip(self.style.format_labels(entries), entries):
            self.formatted[entry.key] = self.style.format_entry(label, entry)
        self.order = [e.key for e in entries]

    def markdown(self, role: str, keys: list[str], refs: str) -> str:
        """The plain form of ``{cite:p}`` or ``{cite:t}`` for ``keys``; ``refs`` is the path to
        references.md from the citing page."""
        import pybtex.plugin
        from docutils import nodes
        from sphinxcontrib.bibtex.style.referencing import format_references
        from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo

        missing = [k for k in keys if k not in self.entries]
        if missing:
            raise ConversionError(f"no entry in references.bib for {missing}")

        class Builder:  # what make_refnode asks of a Sphinx builder: a link to references.md
            name = "html"

            def get_relative_uri(self, fromdoc, todoc):
                return refs

        # sphinxcontrib-bibtex lists several keys in the order of the bibliography.
        keys = sorted(keys, key=self.order.index)
        references = [
            (
                self.entries[k],
                self.formatted[k],
                SphinxReferenceInfo(Builder(), "", REFERENCES, k, None, "", ""),
            )
            for k in keys
        ]
        text = format_references(self.reference_style, role, references)
        rendered = nodes.inline("", "", *text.render(pybtex.plugin.find_plugin("pybtex.backends", "docutils")()))
        if role == "p":
            return _nodes_to_markdown(rendered)
        if len(keys) != 1:
            raise ConversionError(f"{{cite:t}} with several keys {keys}: cite each one on its own")
        # {cite:t}: the whole "Authors [year]" is one link (the site links the year only).
        plain = _nodes_to_markdown(rendered, links=False)
        return f"[{plain}]({refs}#{keys[0]})"

    def reference_list(self) -> str:
        """The bibliography as a Markdown list, in the site's order, each entry with an anchor."""
        import pybtex.plugin

        backend = pybtex.plugin.find_plugin("pybtex.backends", "markdown")()
        lines = []
        for key in self.order:
            entry = self.formatted[key]
            lines.append(f'- <a id="{key}"></a>\\[{entry.label}\\] {entry.text.render(backend).replace(chr(10), " ")}')
        return "\n".join(lines)


def _nodes_to_markdown(node, links: bool = True) -> str:
    from docutils import nodes

    out = []
    for child in node.children:
        if isinstance(child, nodes.Text):
            out.append(child.astext())
        elif isinstance(child, nodes.emphasis):
            out.append(f"*{_nodes_to_markdown(child, links)}*")
        elif isinstance(child, nodes.strong):
            out.append(f"**{_nodes_to_markdown(child, links)}**")
        elif isinstance(child, nodes.reference):
            inner = _nodes_to_markdown(child, links)
            out.append(f"[{inner}]({child['refuri']})" if links else inner)
        else:
            out.append(_nodes_to_markdown(child, links))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Step 1: directives


def _split_fences(text: str):
    """Yield ("text", lines) and ("fence", indent, fence, info, body_lines, closed) blocks."""
    lines = text.split("\n")
    i, plain = 0, []
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            plain.append(lines[i])
            i += 1
            continue
        if plain:
            yield ("text", plain)
            plain = []
        fence, info = m.group("fence"), m.group("info")
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body, i = [], i + 1
        while i < len(lines) and not close.match(lines[i]):
            body.append(lines[i])
            i += 1
        yield ("fence", m.group("indent"), fence, info, body, i < len(lines))
        i += 1
    if plain:
        yield ("text", plain)


def _directive(info: str, body: list[str]):
    m = re.match(r"^\s*\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$", info)
    name, arg = m.group("name"), m.group("arg").strip()
    options, k = {}, 0
    while k < len(body) and re.match(r"^:[\w-]+:", body[k]):
        key, _, value = body[k][1:].partition(":")
        options[key] = value.strip()
        k += 1
    content = body[k:]
    while content and not content[0].strip():
        content = content[1:]
    while content and not content[-1].strip():
        content = content[:-1]
    return name, arg, options, content


def convert_directives(doc: Doc, text: str) -> str:
    out = []
    for block in _split_fences(text):
        if block[0] == "text":
            out.append("\n".join(block[1]))
            continue
        _, indent, fence, info, body, closed = block
        if not info.strip().startswith("{"):
            out.append("\n".join([f"{indent}{fence}{info}", *body] + ([f"{indent}{fence}"] if closed else [])))
            continue
        if indent:
            raise ConversionError(f"{doc.path}: indented directive {info!r}: move it to the left margin")
        name, arg, options, content = _directive(info, body)
        out.append(_plain_directive(doc, name, arg, options, content))
    return "\n".join(out)


def _plain_directive(doc: Doc, name: str, arg: str, options: dict, content: list[str]) -> str:
    where = f"{doc.path.relative_to(ROOT)}: {{{name}}} {arg}"
    if name == "admonition" and options.get("class", "").split() == ["dropdown"] and set(options) == {"class"}:
        if not arg or re.search(r"[`*_$<>\[\]{}]", arg):
            raise ConversionError(f"{where}: a solution's title must be plain text")
        inner = convert_directives(doc, "\n".join(content))
        return f"<details>\n<summary>{arg}</summary>\n\n{inner}\n\n</details>"
    if name == "math" and not arg and set(options) <= {"label"}:
        latex = "\n".join(content)
        if "label" not in options:
            return f"$$\n{latex}\n$$"
        return f'<a id="equation-{options["label"]}"></a>\n\n$$\n{latex} \\tag{{?}}\n$$'
    if name == "literalinclude" and arg:
        opts = "".join(f" :{k}: {v}" for k, v in options.items())
        if any(" " in v or not v for v in options.values()):
            raise ConversionError(f"{where}: option values must be single words")
        return f"<!-- literalinclude {arg}{opts} -->\n```python\n```"
    if name == "bibliography" and doc.docname == REFERENCES and options == {"all": ""} and not content:
        return f"{BIB_START}\n{BIB_END}"
    raise ConversionError(
        f"{where} (options {options}) has no plain form that JupyterLab renders: see "
        "CONTRIBUTING.md, 'Writing a chapter's markdown'"
    )


# ---------------------------------------------------------------------------------------------
# Step 2: roles


@dataclass
class Book:
    docs: list[Doc]
    citations: Citations
    equations: dict = field(default_factory=dict)  # label -> (docname, number)
    figures: dict = field(default_factory=dict)  # name -> (docname, number)

    def doc(self, docname: str) -> Doc:
        for d in self.docs:
            if d.docname == docname:
                return d
        raise ConversionError(f"no page {docname} in _toc.yml")

    def number(self) -> None:
        """Number labelled equations and named figures across the book, in _toc.yml order."""
        self.equations.clear()
        self.figures.clear()
        for d in self.docs:
            for text in d.texts:
                for m in EQUATION.finditer(text):
                    if m.group("label") in self.equations:
                        raise ConversionError(f"{d.path}: equation label {m.group('label')} defined twice")
                    self.equations[m.group("label")] = (d.docname, len(self.equations) + 1)
            for name in d.figures():
                self.figures[name] = (d.docname, len(self.figures) + 1)


def relpath(from_doc: Doc, to: Doc) -> str:
    return PurePosixPath(os.path.relpath(to.path.relative_to(ROOT).as_posix(), from_doc.folder.as_posix())).as_posix()


def _target_doc(book: Book, doc: Doc, target: str) -> Doc:
    target = target.strip()
    if target.startswith("/"):
        name = target.lstrip("/")
    else:
        name = os.path.normpath((doc.folder / target).as_posix())
    return book.doc(PurePosixPath(name).as_posix())


def convert_roles(book: Book, doc: Doc, text: str) -> str:
    def repl(m: re.Match) -> str:
        name, content = m.group("name"), m.group("content")
        if name == "doc":
            explicit = re.match(r"^(?P<text>.+?)\s*<(?P<target>[^>]+)>$", content)
            target = _target_doc(book, doc, explicit.group("target") if explicit else content)
            label = explicit.group("text") if explicit else target.title()
            return f"[{label}]({relpath(doc, target)})"
        if name.startswith("cite"):
            keys = [k.strip() for k in content.split(",")]
            refs = relpath(doc, book.doc(REFERENCES))
            return book.citations.markdown("t" if name == "cite:t" else "p", keys, refs)
        if name == "eq":
            if content not in book.equations:
                raise ConversionError(f"{doc.path}: {{eq}} to an unknown label {content}")
            where = book.equations[content][0]
            path = "" if where == doc.docname else relpath(doc, book.doc(where))
            return f"[(?)]({path}#equation-{content})"
        if name == "numref":
            if content not in book.figures:
                raise ConversionError(f"{doc.path}: {{numref}} to {content}, which is not a named figure")
            where = book.figures[content][0]
            path = "" if where == doc.docname else relpath(doc, book.doc(where))
            return f"[Fig. ?]({path}#{content})"
        raise AssertionError(name)

    out = []
    for block in _split_fences(text):
        if block[0] == "text":
            out.append(ROLE.sub(repl, "\n".join(block[1])))
        else:
            _, indent, fence, info, body, closed = block
            out.append("\n".join([f"{indent}{fence}{info}", *body] + ([f"{indent}{fence}"] if closed else [])))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Step 3: everything plain Markdown spells out


def refresh(book: Book, doc: Doc, text: str) -> str:
    def equation(m: re.Match) -> str:
        number = book.equations[m.group("label")][1]
        return f'<a id="equation-{m.group("label")}"></a>\n\n$$\n{m.group("body")} \\tag{{{number}}}\n$$'

    def eq_ref(m: re.Match) -> str:
        label = m.group("label")
        if label not in book.equations:
            raise ConversionError(f"{doc.path}: link to an unknown equation {label}")
        where, number = book.equations[label]
        path = "" if where == doc.docname else relpath(doc, book.doc(where))
        return f"[({number})]({path}#equation-{label})"

    def fig_ref(m: re.Match) -> str:
        name = m.group("name")
        if name not in book.figures:
            return m.group(0)
        where, number = book.figures[name]
        path = "" if where == doc.docname else relpath(doc, book.doc(where))
        return f"[Fig. {number}]({path}#{name})"

    refs = relpath(doc, book.doc(REFERENCES))

    def cite_group(m: re.Match) -> str:
        keys = [c.group("key") for c in CITE_LINK.finditer(m.group(0))]
        return "\0" + book.citations.markdown("p", keys, refs) + "\0"

    def cite_t(m: re.Match) -> str:
        return book.citations.markdown("t", m.group("key").split(","), refs)

    def literalinclude(m: re.Match) -> str:
        code = read_literalinclude(doc, m.group("path"), m.group("options"))
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", code)), default=0))
        return f"<!-- literalinclude {m.group('path')}{m.group('options')} -->\n{fence}python\n{code}\n{fence}\n"

    text = EQUATION.sub(equation, text)
    text = EQ_REF.sub(eq_ref, text)
    text = FIG_REF.sub(fig_ref, text)
    # Parenthetical citations are bracketed groups of links; a lone link is a textual one.
    parts = re.split(r"(\0[^\0]*\0)", CITE_GROUP.sub(cite_group, text))
    text = "".join(p.strip("\0") if p.startswith("\0") else CITE_LINK.sub(cite_t, p) for p in parts)
    text = LITERALINCLUDE.sub(literalinclude, text)
    if doc.docname == REFERENCES:
        start, end = text.find(BIB_START), text.find(BIB_END)
        if start < 0 or end < start:
            raise ConversionError(f"{doc.path}: the bibliography markers are missing")
        text = text[: start + len(BIB_START)] + "\n" + book.citations.reference_list() + "\n" + text[end:]
    return text


def read_literalinclude(doc: Doc, path: str, options: str) -> str:
    """The text Sphinx's literalinclude shows for ``path`` with ``options``, without the last newline."""
    from sphinx.directives.code import LiteralIncludeReader

    class Config:
        source_encoding = "utf-8-sig"

    opts = dict(re.findall(r":([\w-]+): (\S+)", options))
    filename = (doc.path.parent / path).resolve()
    text, _ = LiteralIncludeReader(str(filename), opts, Config()).read()
    return text.rstrip("\n")


def add_figure_anchors(book: Book, doc: Doc) -> None:
    """End the Markdown cell above each figure that a page links to with an anchor for JupyterLab.

    JupyterLab shows neither a figure's caption nor its number (they live in the code cell's
    metadata); the anchor at least lets a link to the figure scroll to it.
    """
    if doc.nb is None:
        return
    linked = {m.group("name") for d in book.docs for t in d.texts for m in FIG_REF.finditer(t)}
    cells = doc.nb["cells"]
    md_index = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    for i, cell in enumerate(cells):
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
        above = [j for j in md_index if j < i]
        if cell["cell_type"] != "code" or name not in linked or not above:
            continue
        k = md_index.index(above[-1])
        anchor = FIG_ANCHOR.format(name=name)
        if anchor not in doc.texts[k]:
            doc.texts[k] = doc.texts[k].rstrip("\n") + "\n\n" + anchor


def collapse_hidden_inputs(doc: Doc) -> None:
    """A ``hide-input`` cell (the site folds its code) gets ``jupyter.source_hidden`` for JupyterLab."""
    if doc.nb is None:
        return
    for cell in doc.nb["cells"]:
        meta = cell.get("metadata", {})
        if cell["cell_type"] == "code" and "hide-input" in meta.get("tags", []):
            meta.setdefault("jupyter", {})["source_hidden"] = True


def rewrite() -> list[Doc]:
    """Rewrite every page of the book in memory; return the pages."""
    docs = load_docs()
    book = Book(docs, Citations())
    for d in docs:
        d.texts = [convert_directives(d, t) for t in d.texts]
    book.number()
    for d in docs:
        d.texts = [convert_roles(book, d, t) for t in d.texts]
    for d in docs:
        add_figure_anchors(book, d)
        collapse_hidden_inputs(d)
        d.texts = [refresh(book, d, t) for t in d.texts]
    return docs


# A fenced code block that is not a directive: ```python ... ``` (its text is code, not markup).
CODE_BLOCK = re.compile(r"^(?P<fence>`{3,}|~{3,})(?!\s*\{)[^\n]*\n.*?^(?P=fence)[ \t]*$", re.M | re.S)


def leftover_myst(text: str) -> list[str]:
    """MyST roles and directives in ``text`` that JupyterLab would show as raw text.

    Fenced code blocks are code, shown as written (a literalinclude copy may hold ``h_{t-1}``
    in a docstring), so only the text outside them is searched.
    """
    text = CODE_BLOCK.sub("", text)
    found = [m.group(0) for m in MYST_ROLE.finditer(text)]
    found += [m.group(0).strip() for m in MYST_DIRECTIVE.finditer(text)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a rewrite would")
    args = parser.parse_args(argv)
    try:
        docs = rewrite()
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = []
    for d in docs:
        new = d.serialise()
        if new != d.original:
            stale.append(d.path.relative_to(ROOT).as_posix())
            if not args.check:
                d.path.write_text(new, encoding="utf-8")
    verb = "would change" if args.check else "rewrote"
    for name in stale:
        print(f"{verb} {name}")
    if args.check and stale:
        print("run: python scripts/to_plain_markdown.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
