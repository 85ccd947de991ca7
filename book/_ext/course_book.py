"""The course's notebooks as the book's sources (a small Sphinx extension).

When Sphinx starts (``config-inited``), every ``*.ipynb`` of
``course_notebooks`` is written, in course order (by file name), into the
build's source folder, which ``make book`` keeps under ``_build/``; the
notebooks themselves are only read. On the way:

- ``00_start_here.ipynb`` becomes ``index.ipynb`` (the site's front page,
  the course map) and gains a hidden toctree listing the other notebooks;
  links to it are rewritten. Without it, a plain index page lists them.
- a slider cell (a code cell calling ``interact(``) keeps its source; its
  output, a widget that needs a kernel, is replaced by a player: HTML
  controls like the notebook's widgets and the figure of the current
  setting, drawn beforehand by the cell's explorer for every setting the
  book holds (``course_player.py`` says which, and how frames are cached
  under ``_build/frames/``; a setting that raises fails the build, naming
  the notebook and the setting). The frames are copied into the site's
  ``_frames/`` when the build finishes. The notebook's saved widget state is
  dropped. A widget output left anywhere else is a warning (an error under
  ``-W``).
- an exercise's solution (a cell tagged ``solution``) is folded into a
  "Show solution" block (myst-nb's ``hide-cell``: a ``<details>`` element,
  whose ``<summary>`` is named by its visible words: ``HideCodeCellNode``'s
  HTML is ours, without myst-nb's "Toggle hidden content" label, which
  screen-reader and voice-control users could not match to what they see).
- every figure gets its description as its text alternative: the course
  shows a figure's description (``course_utils.plotting.description``) as
  the output right after the image (``display_data`` with output metadata
  ``{"course": {"figure_description": true}}``, text ``Figure: ...``); that
  output stays visible under the figure and its words, without "Figure: ",
  become the ``alt`` of that image (``figure_descriptions``, then
  ``describe_images`` on each page's doctree: matched by cell and by the
  image's content hash, which is myst-nb's file name for it, so each of
  several figures of one cell gets its own). An image output without a
  description after it is a warning (an error under ``-W``) naming the
  notebook and the cell.

Nothing of the notebooks is executed: the pages show the outputs stored in
them, and the players the frames their explorers draw (the lesson functions
only, never a notebook cell).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

import course_player

logger = logging.getLogger(__name__)

START_HERE = "00_start_here.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SLIDER_CALL = re.compile(r"\binteract\(")
# markdown links to the start page: [text](00_start_here.ipynb...) and [ref]: 00_start_here.ipynb
START_LINK = re.compile(r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)(?:\./)?" + re.escape(START_HERE), re.M)


def course_notebooks(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` in course order (by file name)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


# a figure's description as the course shows it under the figure (course_utils.plotting.Caption)
DESCRIPTION_PREFIX = "Figure:"


def is_description(output: dict[str, Any]) -> bool:
    return bool(output.get("metadata", {}).get("course", {}).get("figure_description"))


def description_text(output: dict[str, Any]) -> str:
    text = output.get("data", {}).get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else str(text)
    text = " ".join(text.split())
    return text[len(DESCRIPTION_PREFIX):].strip() if text.startswith(DESCRIPTION_PREFIX) else text


def image_hashes(output: dict[str, Any]) -> list[str]:
    """The names myst-nb gives the output's images (the SHA-256 of their bytes, ``render_image``)."""
    found = []
    for mime, content in output.get("data", {}).items():
        if not mime.startswith("image/"):
            continue
        content = "".join(content) if isinstance(content, list) else content
        if mime in {"image/png", "image/jpeg", "image/gif"}:
            data = base64.b64decode(content)
        else:
            data = os.linesep.join(str(content).splitlines()).encode("utf-8")
        found.append(hashlib.sha256(data).hexdigest())
    return found


def figure_descriptions(nb: nbformat.NotebookNode, name: str) -> dict[tuple[int, str], str]:
    """``{(cell number, image hash): description}`` for every image output of
    the notebook followed by its description output; an image without one is
    a warning naming the notebook and the cell (slider cells are players)."""
    found: dict[tuple[int, str], str] = {}
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SLIDER_CALL.search(cell.source):
            continue
        outputs = cell.get("outputs", [])
        for at, output in enumerate(outputs):
            hashes = image_hashes(output)
            if not hashes:
                continue
            after = outputs[at + 1] if at + 1 < len(outputs) else None
            text = description_text(after) if after is not None and is_description(after) else ""
            if not text:
                logger.warning(
                    "%s, cell %d: a figure without its description (the output after the image should be the "
                    "description course_utils.plotting shows under every figure; refresh the notebook's outputs "
                    "with `make notebooks`)", name, number,
                )
            for digest in hashes:  # "" when missing: reported here, once
                found[(number, digest)] = text
    return found


def player_output(player: course_player.Player, number: int) -> dict[str, Any]:
    text = f"A slider: {course_player.describe(player.controls, tuple(c.start for c in player.controls))}"
    return nbformat.v4.new_output(
        "display_data", data={"text/html": course_player.player_html(player, number), "text/plain": text}
    )


def slider_cells(nb: nbformat.NotebookNode) -> list[int]:
    """The numbers of the notebook's slider cells (code cells calling ``interact(``)."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and SLIDER_CALL.search(cell.source)]


def prepare(nb: nbformat.NotebookNode, name: str, players: dict[int, course_player.Player], index: str) -> nbformat.NotebookNode:
    """The book's copy of one notebook (``nb`` is changed in place); links
    to the start page go to ``index``, the front page's source file;
    ``players`` holds the player of each slider cell, by cell number."""
    nb.metadata.pop("widgets", None)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = START_LINK.sub(lambda m: m.group(1) + index, cell.source)
            continue
        if cell.cell_type != "code":
            continue
        if SLIDER_CALL.search(cell.source):
            cell.outputs = [player_output(players[number], number)]
        elif any(WIDGET_MIME in output.get("data", {}) for output in cell.outputs):
            logger.warning(
                "%s, cell %d: a widget output outside an interact( cell; the book cannot show it", name, number,
            )  # no location=: Sphinx resolves one through app.env, which config-inited has not yet
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


def plan_players(app: Sphinx, config: Config, notebooks: list[Path]) -> dict[str, dict[int, course_player.Player]]:
    """Every slider cell's player, and its frames drawn into the cache (those missing)."""
    players: dict[str, dict[int, course_player.Player]] = {}
    explorers = None
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        cells = slider_cells(nb)
        if cells and explorers is None:
            explorers = course_player.load_explorers(config.course_explorers)
        players[path.name] = {
            number: course_player.plan(path.stem, number, nb.cells[number].source, explorers, config.course_frames_full_limit)
            for number in cells
        }
    every = [p for found in players.values() for p in found.values()]
    cache = Path(config.course_frames_cache)
    if not cache.is_absolute():
        cache = Path(app.confdir) / cache
    stats = course_player.build_frames(every, cache, config.course_frames_workers, config.course_explorers)
    stats["players"] = len(every)
    stats["settings"] = {f"{p.notebook}:{p.name}": [len(p.settings), "all" if p.complete else "subset"] for p in every}
    (cache / "last-build.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
    logger.info("frames: %(frames)d (%(drawn)d drawn, %(reused)d reused from the cache) in %(seconds).1f s", stats)
    app.course_frames = (cache, sorted({p.keys[s] for p in every for s in p.settings}))  # type: ignore[attr-defined]
    return players


def write_sources(app: Sphinx, config: Config) -> None:
    folder = (Path(app.confdir) / config.course_notebooks).resolve()
    notebooks = course_notebooks(folder)
    if not notebooks:
        raise ValueError(f"course_notebooks: expected a folder holding notebooks, found none in {folder}")
    srcdir = Path(app.srcdir).resolve()
    if srcdir in {folder, Path(app.confdir).resolve()}:
        raise ValueError(f"the source folder must be a build folder of its own (make book uses _build/book_src), not {srcdir}")
    players = plan_players(app, config, notebooks)
    app.course_figures = {}  # type: ignore[attr-defined]  # docname -> {(cell, image hash): description}
    written: set[str] = set()
    start = [p for p in notebooks if p.name == START_HERE]
    chapters = [p for p in notebooks if p.name != START_HERE]
    names = [p.stem for p in chapters]
    index = "index.ipynb" if start else "index.md"
    for path in chapters:
        nb = prepare(nbformat.read(path, as_version=4), path.name, players[path.name], index)
        app.course_figures[path.stem] = figure_descriptions(nb, path.name)  # type: ignore[attr-defined]
        write_if_changed(srcdir / path.name, nbformat.writes(nb))
        written.add(path.name)
    if start:
        nb = prepare(nbformat.read(start[0], as_version=4), START_HERE, players[START_HERE], index)
        app.course_figures[Path(index).stem] = figure_descriptions(nb, START_HERE)  # type: ignore[attr-defined]
        nb.cells.append(nbformat.v4.new_markdown_cell(toctree(names)))
        write_if_changed(srcdir / index, nbformat.writes(nb))
    else:  # until the start page exists
        links = "".join(f"- [{name}]({name}.ipynb)\n" for name in names)
        write_if_changed(srcdir / index, f"# {config.project}\n\n{links}\n{toctree(names)}")
    written.add(index)
    for stale in srcdir.iterdir():
        if stale.is_file() and stale.suffix in {".ipynb", ".md"} and stale.name not in written:
            stale.unlink()


def describe_images(app: Sphinx, doctree: nodes.document) -> None:
    """Each notebook image of the page gets its description as ``alt``
    (``figure_descriptions``), found by its cell and its file name."""
    figures = getattr(app, "course_figures", {}).get(app.env.docname)
    if figures is None:
        return
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code" or "cell_index" not in cell:
            continue
        number = cell["cell_index"]
        for image in cell.findall(nodes.image):
            key = (number, Path(image["uri"]).stem)
            if figures.get(key):
                image["alt"] = figures[key]
            elif key not in figures:  # an image that is no stored output (a missing one was reported)
                logger.warning("%s, cell %d: an image without a description (%s)", app.env.docname, number,
                               image["uri"], location=image)


def visit_hidden_cell(self: Any, node: nodes.Element) -> None:
    """myst-nb's folded cell (``hide-cell``) without its ``aria-label``: the
    summary is named by what it shows ("Show solution"), not by a label that
    does not contain those words (WCAG 2.5.3, axe's label-content-name-mismatch)."""
    from html import escape

    self.body.append(f'<details class="admonition hide {" ".join(node["classes"])}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_cell(self: Any, node: nodes.Element) -> None:
    self.body.append("</details>\n")


def copy_frames(app: Sphinx, exception: Exception | None) -> None:
    """The frames the players show, from the cache into the site's ``_frames/``."""
    if exception is not None or app.builder.format != "html" or not hasattr(app, "course_frames"):
        return
    cache, keys = app.course_frames
    target = Path(app.outdir) / course_player.FRAMES_DIR
    target.mkdir(parents=True, exist_ok=True)
    for key in keys:
        source = cache / f"{key}.png"
        if not source.is_file():
            raise course_player.FrameError(f"the frame {key}.png is missing from the cache {cache}")
        shutil.copyfile(source, target / source.name)
    wanted = {f"{k}.png" for k in keys}
    for stale in target.iterdir():
        if stale.name not in wanted:
            stale.unlink()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_notebooks", "../notebooks", "env", types=[str])
    # where the explorers come from ("module:function" returning {name: Explorer}): a test injects its own here
    app.add_config_value("course_explorers", course_player.DEFAULT_PROVIDER, "env", types=[str])
    # the frame cache (relative to the configuration folder), kept between builds
    app.add_config_value("course_frames_cache", "../_build/frames", "env", types=[str])
    app.add_config_value("course_frames_workers", min(2, os.cpu_count() or 1), "env", types=[int])
    app.add_config_value("course_frames_full_limit", course_player.FULL_LIMIT, "env", types=[int])
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell))
    app.connect("config-inited", write_sources)
    app.connect("doctree-read", describe_images)
    app.connect("build-finished", copy_frames)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
