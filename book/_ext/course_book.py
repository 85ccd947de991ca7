"""The course's notebooks as the book's sources (a small Sphinx extension).

When Sphinx starts (``config-inited``), every ``*.ipynb`` of
``course_notebooks`` is written, in course order (by file name), into the
build's source folder, which ``make book`` keeps under ``_build/``; the
notebooks themselves are only read. On the way:

- ``00_start_here.ipynb`` becomes ``index.ipynb`` (the site's front page,
  the course map) and gains a hidden toctree listing the other notebooks;
  links to it are rewritten. Without it, a plain index page lists them.
- a slider cell (a code cell calling ``interact(``) keeps its source; its
  output, a widget that needs a kernel, is replaced by one line saying that
  the slider moves in JupyterLab (the figure above it, drawn by the plain
  cell before, shows the slider's default). The notebook's saved widget state
  is dropped. A widget output left anywhere else is a warning (an error
  under ``-W``).
- an exercise's solution (a cell tagged ``solution``) is folded into a
  "Show solution" block (myst-nb's ``hide-cell``: a ``<details>`` element).

Nothing is executed: the pages show the outputs stored in the notebooks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

START_HERE = "00_start_here.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SLIDER_CALL = re.compile(r"\binteract\(")
# markdown links to the start page: [text](00_start_here.ipynb...) and [ref]: 00_start_here.ipynb
START_LINK = re.compile(r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)(?:\./)?" + re.escape(START_HERE), re.M)


def course_notebooks(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` in course order (by file name)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def slider_note(text: str) -> dict[str, Any]:
    return nbformat.v4.new_output(
        "display_data",
        data={"text/html": f'<p class="course-slider-note">{text}</p>', "text/plain": text},
    )


def prepare(nb: nbformat.NotebookNode, name: str, note: str, index: str) -> nbformat.NotebookNode:
    """The book's copy of one notebook (``nb`` is changed in place); links
    to the start page go to ``index``, the front page's source file."""
    nb.metadata.pop("widgets", None)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = START_LINK.sub(lambda m: m.group(1) + index, cell.source)
            continue
        if cell.cell_type != "code":
            continue
        if SLIDER_CALL.search(cell.source):
            cell.outputs = [slider_note(note)]
        elif any(WIDGET_MIME in output.get("data", {}) for output in cell.outputs):
            logger.warning(
                "%s, cell %d: a widget output outside an interact( cell; the book cannot show it", name, number,
                location=name,
            )
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            cell.metadata["tags"] = [*tags, "hide-cell"]
            cell.metadata["mystnb"] = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}
    return nb


def toctree(names: list[str]) -> str:
    return "```{toctree}\n:hidden:\n:maxdepth: 2\n\n" + "\n".join(names) + "\n```\n"


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_sources(app: Sphinx, config: Config) -> None:
    folder = (Path(app.confdir) / config.course_notebooks).resolve()
    notebooks = course_notebooks(folder)
    if not notebooks:
        raise ValueError(f"course_notebooks: expected a folder holding notebooks, found none in {folder}")
    srcdir = Path(app.srcdir).resolve()
    if srcdir in {folder, Path(app.confdir).resolve()}:
        raise ValueError(f"the source folder must be a build folder of its own (make book uses _build/book_src), not {srcdir}")
    written: set[str] = set()
    start = [p for p in notebooks if p.name == START_HERE]
    chapters = [p for p in notebooks if p.name != START_HERE]
    names = [p.stem for p in chapters]
    index = "index.ipynb" if start else "index.md"
    for path in chapters:
        nb = prepare(nbformat.read(path, as_version=4), path.name, config.course_slider_note, index)
        write_if_changed(srcdir / path.name, nbformat.writes(nb))
        written.add(path.name)
    if start:
        nb = prepare(nbformat.read(start[0], as_version=4), START_HERE, config.course_slider_note, index)
        nb.cells.append(nbformat.v4.new_markdown_cell(toctree(names)))
        write_if_changed(srcdir / index, nbformat.writes(nb))
    else:  # until the start page exists
        links = "".join(f"- [{name}]({name}.ipynb)\n" for name in names)
        write_if_changed(srcdir / index, f"# {config.project}\n\n{links}\n{toctree(names)}")
    written.add(index)
    for stale in srcdir.iterdir():
        if stale.is_file() and stale.suffix in {".ipynb", ".md"} and stale.name not in written:
            stale.unlink()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_notebooks", "../notebooks", "env", types=[str])
    app.add_config_value("course_slider_note", "The slider moves in JupyterLab.", "env", types=[str])
    app.connect("config-inited", write_sources)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
