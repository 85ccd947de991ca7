"""The book's sliders: every ``interact`` cell's figures, precomputed, and a player to move them.

A notebook's slider cell is ``_ = interact(lesson.explore_x, **lesson.explore_x.controls())``.
No kernel runs in the static book, but every slider of the course has a
finite set of positions, so at ``make book`` the explorer named in the cell
draws its figure for each setting the book holds, with the same lesson
function the notebook calls, rendered as the notebook's inline backend
renders it (IPython's ``print_figure``, PNG, ``bbox_inches="tight"``, at the
DPI ``course_utils.setup()`` sets): a frame is the figure the notebook shows
at those settings. The page gets a small player in place of the widget:
real HTML controls (``<input type=range>`` for a slider, ``<select>`` for a
dropdown, ``<input type=checkbox>``), labelled with the widget's
``description`` and in the widgets' order, and the frame of the current
setting, whose text alternative is the figure's own description at that
setting (``course_utils.plotting.description``, which names the values it
was drawn for) followed by the settings in the controls' words
(``alt_text``; ``_static/course_player.js`` swaps frame and text; no request leaves the site,
and the page works from ``file://``: the player's data is inline JSON and
each frame an ``<img>`` with a relative ``src``).

Which settings (``settings_for``):

- every combination of the controls' positions when there are at most
  ``course_frames_full_limit`` of them (``FULL_LIMIT``);
- otherwise a subset: every position of each control with the others at
  their defaults (where the sliders start), plus the settings the notebook's
  "Predict, then move" prompt asks about (``PROMPTED`` below, the others at
  their defaults). A setting outside it shows, in the figure's place, a note
  saying so, never a stale figure.

The frame cache: each frame is a file ``<key>.png`` in ``course_frames_cache``
(``_build/frames/`` for ``make book``, git-ignored and kept between builds),
with its figure's description in ``<key>.txt`` (empty for a figure without
one: its text alternative then names the explorer and the settings only);
the key is a SHA-256 of the explorer's name, its settings, the source of the
explorer's lesson module and of every module of ``course_utils`` it imports
(directly or not, read from the import statements; ``source_hash``), and the
versions of matplotlib, torch, NumPy and Pillow. A second build draws only
what changed; a frame that no build has used for a day is deleted. Frames missing from the cache are drawn by a pool of
``course_frames_workers`` processes (one explorer's settings stay together in
a worker, which keeps the lessons' in-process caches useful).

A setting whose drawing raises fails the build with the notebook's name, the
explorer and the setting (``FrameError``).

The explorers come from ``course_explorers``, ``"module:function"``
returning ``{name: Explorer}`` (``course_utils.lessons:explorers``); a test
points it at a module of its own to inject an explorer.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import importlib.util
import itertools
import json
import math
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

#: every combination is drawn up to this many settings per slider cell
FULL_LIMIT = 400

#: bump when the way frames are drawn or stored changes (invalidates the cache)
FRAME_FORMAT = "1"

#: The settings each notebook's "Predict, then move." prompt asks about, for
#: the explorers whose every combination is too many (the other controls at
#: their defaults). Keep in step with the prompts: a key or a value that is
#: not one of the control's positions fails the build.
PROMPTED: dict[str, list[dict[str, Any]]] = {
    # 01: "Set iterations to 1 ... then untick log scale. And with 2 iterations, set init noise to 0"
    "explore_training": [
        {"iterations": 1},
        {"iterations": 1, "log_scale": False},
        {"iterations": 2, "init_noise": 0.0},
    ],
    # 02: "With noise 0, ... m = 5 ... Then set the noise to 0.5: up to which m ..."
    "explore_examples": [{"m": 5, "noise": 0.0}, *({"m": m, "noise": 0.5} for m in range(1, 9))],
    # 03: "Three iterations at noise 0.1 ... down to which noise ...? And what will one iteration show"
    "explore_depth": [{"iterations": 3}, {"iterations": 1}],
    # 04: "For a = -2 ... As a grows from 0.25 to 3 ... at a = 0"
    "explore_family": [{"a": -2.0}, {"a": 0.0}, {"a": 0.25}, {"a": 3.0}],
    # 05: "Untick the injection ... Does your answer depend on the function on e2? ... injection back on, tanh"
    "explore_activation": [
        *({"injection": False, "activation": a} for a in ("cube", "tanh", "relu", "identity")),
        {"injection": True, "activation": "tanh"},
    ],
    # 06: "init noise at 0, interim weight 1.0 to 0.1 ... w = 0 ... init noise 0.1 and w = 0"
    "explore_interim": [
        {"init_noise": 0.0, "interim_weight": 0.1},
        {"init_noise": 0.0, "interim_weight": 0.0},
        {"init_noise": 0.1, "interim_weight": 0.0},
    ],
    # 07: "Lower its budget to 1/2, then 1/4 ... at 1x, move the width to 8"
    "explore_mask_density": [{"budget": 0.5}, {"budget": 0.25}, {"budget": 1.0, "hidden": 8}],
    # 08: "at 0 %? At 100 %?"
    "explore_recurrent_share": [{"share": 0.0}, {"share": 1.0}],
}

# the explorer handed to interact: interact(lesson.explore_x, ...) or interact(explore_x, ...)
INTERACT_TARGET = re.compile(r"\binteract\(\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*[,)]")

DEFAULT_PROVIDER = "course_utils.lessons:explorers"


class FrameError(RuntimeError):
    """A slider's figure could not be drawn for the book."""


# --------------------------------------------------------------- the controls
@dataclass
class Control:
    """One widget of a slider cell, as the book's player shows it."""

    key: str                  # the explorer's keyword
    label: str                # the widget's description
    kind: str                 # "range", "select" or "checkbox"
    labels: list[str]         # the readout of each position
    values: list[Any]         # the value the explorer receives at each position
    start: int                # the position of the explorer's default

    def describe(self, index: int) -> str:
        return f"{self.label} {self.labels[index]}"


def _kind(control: Any) -> str:
    import ipywidgets as widgets

    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return "checkbox"
    if isinstance(control, (widgets.Dropdown, widgets.Select, widgets.RadioButtons, widgets.ToggleButtons)):
        return "select"
    return "range"  # IntSlider, FloatSlider, FloatLogSlider, SelectionSlider


def controls_of(explorer: Any) -> list[Control]:
    """The explorer's controls in the notebook's order, each with every position it can take."""
    from course_utils.lessons.explorer import control_positions

    defaults = explorer.defaults
    found = []
    for key, widget in explorer.controls().items():
        positions = control_positions(widget)
        values = [v for _, v in positions]
        if key not in defaults:
            raise ValueError(f"{explorer.name}: the control {key!r} has no keyword default in the explorer")
        start = next((i for i, v in enumerate(values) if _same(v, defaults[key])), None)
        if start is None:
            raise ValueError(f"{explorer.name}: the default {key}={defaults[key]!r} is not a position of its control")
        label = str(getattr(widget, "description", "") or key)
        found.append(Control(key, label, _kind(widget), [l for l, _ in positions], values, start))
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


# --------------------------------------------------------------- the settings
def settings_for(
    name: str, controls: list[Control], full_limit: int = FULL_LIMIT, prompted: Iterable[dict[str, Any]] = ()
) -> tuple[list[tuple[int, ...]], bool]:
    """The settings the book draws, as tuples of position indices, and
    whether they are every combination (``True``) or the subset."""
    if not isinstance(full_limit, int) or isinstance(full_limit, bool) or full_limit < 1:
        raise ValueError(f"full_limit: expected a positive integer, got {full_limit!r}")
    sizes = [len(c.values) for c in controls]
    start = tuple(c.start for c in controls)
    by_key = {c.key: i for i, c in enumerate(controls)}
    points = []
    for setting in prompted:  # checked even when every combination is drawn: a stale prompt fails
        if not isinstance(setting, dict):
            raise TypeError(f"prompted: expected dicts of control values for {name}, got {setting!r}")
        point = list(start)
        for key, value in setting.items():
            if key not in by_key:
                raise ValueError(f"prompted: {name} has no control {key!r} (its controls: {', '.join(by_key)})")
            c = controls[by_key[key]]
            at = next((j for j, v in enumerate(c.values) if _same(v, value)), None)
            if at is None:
                raise ValueError(f"prompted: {key}={value!r} is not a position of {name}'s control {c.label!r}")
            point[by_key[key]] = at
        points.append(tuple(point))
    if math.prod(sizes) <= full_limit:
        return list(itertools.product(*(range(n) for n in sizes))), True
    chosen: dict[tuple[int, ...], None] = {start: None}
    for i, c in enumerate(controls):
        for position in range(len(c.values)):
            chosen[start[:i] + (position,) + start[i + 1:]] = None
    chosen.update(dict.fromkeys(points))
    return sorted(chosen), False


def values_at(controls: list[Control], setting: tuple[int, ...]) -> dict[str, Any]:
    return {c.key: c.values[i] for c, i in zip(controls, setting)}


def describe(controls: list[Control], setting: tuple[int, ...]) -> str:
    return ", ".join(c.describe(i) for c, i in zip(controls, setting))


# --------------------------------------------------------------- the cache
def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("matplotlib", "torch", "numpy", "pillow"):
        try:
            found.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package}=?")
    return ";".join(found)


def _imports(path: Path, name: str, package: str) -> set[str]:
    """The modules of ``package`` that the module ``name`` (file ``path``) imports, by its import statements."""
    import ast

    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".")
                base = parts[: len(parts) - node.level + (1 if is_package else 0)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if stem.split(".")[0] != package:
                continue
            found.add(stem)
            found |= {f"{stem}.{alias.name}" for alias in node.names}  # from .lessons import cache: a module
    return found


def dependencies(module: str) -> list[Path]:
    """The source files of ``module`` and of every module of its package it
    imports, directly or not (read from the import statements): what a
    figure drawn by ``module`` can depend on. The ``__init__.py`` of the
    packages on the way counts by its own text, not by what it re-exports
    (unless the module imports the package itself). Modules outside the
    package (torch, matplotlib) are covered by their versions in the key."""
    package = module.split(".")[0]
    seen: dict[str, Path] = {}
    parents: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            spec = importlib.util.find_spec(name) if name else None
        except (ImportError, ValueError):  # "from .training import train": train is not a module
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        seen[name] = Path(spec.origin)
        parent = name.rpartition(".")[0]
        while parent.startswith(package) and parent not in seen:
            parents.add(parent)  # importing a.b.c runs a/b/__init__.py first: its text counts
            parent = parent.rpartition(".")[0]
        todo += sorted(_imports(seen[name], name, package) - seen.keys())
    for parent in parents - seen.keys():  # but not what it re-exports, unless imported for itself
        spec = importlib.util.find_spec(parent)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            seen[parent] = Path(spec.origin)
    return [seen[n] for n in sorted(seen)]


def source_hash(explorer: Any) -> str:
    """SHA-256 of the source the explorer's figures depend on: its lesson
    module, every module of its package that it imports (directly or not),
    and ``course_utils/plotting.py`` (``setup()``, which the notebook calls
    first). A change to a lesson redraws that lesson's frames only; a change
    to a core module redraws the frames of the lessons that import it."""
    digest = hashlib.sha256()
    module = getattr(explorer.draw, "__module__", None) or ""
    files = dependencies(module) + dependencies("course_utils.plotting")
    for path in sorted(set(files)):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def frame_key(name: str, values: dict[str, Any], sources: str, versions: str) -> str:
    text = json.dumps([FRAME_FORMAT, name, sorted((k, repr(v)) for k, v in values.items()), sources, versions])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --------------------------------------------------------------- drawing
def _load_provider(provider: str) -> Callable[[], dict[str, Any]]:
    if not isinstance(provider, str) or provider.count(":") != 1:
        raise ValueError(f"course_explorers: expected 'module:function', got {provider!r}")
    module, function = provider.split(":")
    found = getattr(importlib.import_module(module), function, None)
    if not callable(found):
        raise ValueError(f"course_explorers: {provider!r} is not a function")
    return found


def load_explorers(provider: str = DEFAULT_PROVIDER) -> dict[str, Any]:
    explorers = _load_provider(provider)()
    if not isinstance(explorers, dict):
        raise TypeError(f"course_explorers: {provider} returned {type(explorers).__name__}, expected a dict")
    return explorers


_WORKER: dict[str, Any] = {}


def _start_worker(path: list[str], provider: str) -> None:
    """A drawing process: the notebook's set-up (``course_utils.setup()``),
    matplotlib's Agg canvas (what the inline backend renders with)."""
    sys.path[:] = list(dict.fromkeys([*path, *sys.path]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)  # two workers on two cores
    import course_utils

    course_utils.setup()
    _WORKER["explorers"] = load_explorers(provider)


def render(figure: Any) -> bytes:
    """The PNG the notebook's inline backend displays for ``figure``
    (IPython's ``print_figure`` with the inline default ``bbox_inches="tight"``)."""
    from IPython.core.pylabtools import print_figure

    return print_figure(figure, "png", bbox_inches="tight")


def draw(explorer: Any, values: dict[str, Any]) -> bytes:
    """One frame: the explorer's figure at ``values``, as the notebook shows it."""
    return draw_described(explorer, values)[0]


def draw_described(explorer: Any, values: dict[str, Any]) -> tuple[bytes, str]:
    """One frame and the figure's own description at ``values`` (what
    ``course_utils.plotting.description`` gives; "" for a figure without one)."""
    import matplotlib.pyplot as plt

    from course_utils.plotting import description

    figure = explorer.figure(**values)
    try:
        return render(figure), description(figure) or ""
    finally:
        plt.close(figure)


def _draw_many(name: str, jobs: list[tuple[str, dict[str, Any]]], folder: str) -> tuple[int, str | None]:
    """Draw ``jobs`` (key, values) of explorer ``name`` into ``folder``;
    returns how many were drawn and, if one raised, its description."""
    import traceback

    explorer = _WORKER["explorers"][name]
    done = 0
    for key, values in jobs:
        try:
            png, text = draw_described(explorer, values)
        except BaseException as error:  # noqa: BLE001 - reported with the setting
            setting = ", ".join(f"{k}={v!r}" for k, v in values.items())
            last = traceback.extract_tb(error.__traceback__)[-1]
            return done, f"{name}({setting}) raised {type(error).__name__}: {error} ({Path(last.filename).name}:{last.lineno})"
        for target, content in ((Path(folder) / f"{key}.txt", text.encode("utf-8")), (Path(folder) / f"{key}.png", png)):
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(content)
            partial.replace(target)
        done += 1
    return done, None


@dataclass
class Player:
    """One slider cell of one notebook, with its frames."""

    notebook: str
    cell: int
    explorer: Any
    controls: list[Control]
    settings: list[tuple[int, ...]]
    complete: bool
    keys: dict[tuple[int, ...], str] = field(default_factory=dict)
    #: each frame's description (the figure's own, read from the cache by ``read_descriptions``)
    descriptions: dict[tuple[int, ...], str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.explorer.name


def plan(notebook: str, cell: int, source: str, explorers: dict[str, Any], full_limit: int = FULL_LIMIT) -> Player:
    """The player of one slider cell: its explorer, found by name in the cell's source, and its settings."""
    found = INTERACT_TARGET.search(source)
    if not found:
        raise FrameError(f"{notebook}, cell {cell}: cannot tell which explorer this interact( cell moves: {source.strip()!r}")
    name = found.group(1)
    if name not in explorers:
        raise FrameError(f"{notebook}, cell {cell}: interact({name}, ...) but no explorer {name!r} is registered "
                         f"(known: {', '.join(explorers) or 'none'})")
    explorer = explorers[name]
    try:
        controls = controls_of(explorer)
        settings, complete = settings_for(name, controls, full_limit, PROMPTED.get(name, ()))
    except (TypeError, ValueError) as error:
        raise FrameError(f"{notebook}, cell {cell}: {error}") from error
    versions, sources = _versions(), source_hash(explorer)
    keys = {s: frame_key(name, values_at(controls, s), sources, versions) for s in settings}
    return Player(notebook, cell, explorer, controls, settings, complete, keys)


def build_frames(players: list[Player], cache: Path, workers: int, provider: str) -> dict[str, Any]:
    """Draw every frame missing from ``cache``; returns counts and seconds.
    Raises ``FrameError`` naming the notebook and the setting of a drawing that raised."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"course_frames_workers: expected a positive integer, got {workers!r}")
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    todo: dict[str, list[tuple[str, dict[str, Any], str]]] = {}
    total = 0
    seen: set[str] = set()
    for player in players:
        for setting in player.settings:
            key = player.keys[setting]
            total += 1
            if key in seen or ((cache / f"{key}.png").is_file() and (cache / f"{key}.txt").is_file()):
                continue
            seen.add(key)
            todo.setdefault(player.name, []).append((key, values_at(player.controls, setting), player.notebook))
    drawn = sum(len(v) for v in todo.values())
    if drawn:
        # one explorer's settings in a few contiguous chunks: neighbours share the lessons' cached runs
        chunks = []
        for name, jobs in todo.items():
            size = max(8, math.ceil(len(jobs) / (2 * workers)))
            chunks += [(name, jobs[i:i + size]) for i in range(0, len(jobs), size)]
        chunks.sort(key=lambda c: -len(c[1]))
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                                 initializer=_start_worker, initargs=(list(sys.path), provider)) as pool:
            futures = {pool.submit(_draw_many, name, [(k, v) for k, v, _ in jobs], str(cache)): (name, jobs)
                       for name, jobs in chunks}
            for future in as_completed(futures):
                name, jobs = futures[future]
                try:
                    _, error = future.result()
                except BrokenProcessPool as broken:
                    raise FrameError(f"notebook {jobs[0][2]}: a process drawing {name}'s figures died or could not "
                                     "import the lessons (its traceback is printed above)") from broken
                if error:
                    for other in futures:
                        other.cancel()
                    raise FrameError(f"notebook {jobs[0][2]}: the book cannot draw the slider's figure: {error}")
    prune(cache, {p.keys[s] for p in players for s in p.settings})
    for player in players:
        read_descriptions(player, cache)
    distinct = len({p.keys[s] for p in players for s in p.settings})
    return {"frames": total, "distinct": distinct, "drawn": drawn, "reused": distinct - drawn,
            "seconds": round(time.monotonic() - start, 2), "workers": workers}


def read_descriptions(player: Player, cache: Path) -> None:
    """Each frame's description, from ``<key>.txt`` beside its PNG in the cache
    (empty when the figure has none: the player then names the settings only)."""
    player.descriptions = {}
    for setting in player.settings:
        path = Path(cache) / f"{player.keys[setting]}.txt"
        text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
        if text:
            player.descriptions[setting] = text


#: a frame no build has used for this long leaves the cache
STALE_SECONDS = 24 * 3600


def prune(cache: Path, used: set[str], stale_seconds: float = STALE_SECONDS) -> int:
    """Mark the frames this build uses as fresh and delete the frames no build
    has used for ``stale_seconds`` (drawn for code that has changed since),
    with their descriptions (``<key>.txt``);
    returns how many were deleted. Frames of another recent build (another
    folder of notebooks) stay."""
    now = time.time()
    removed = 0
    for path in cache.iterdir():
        if path.suffix in {".png", ".txt"} and path.stem in used:
            os.utime(path, (now, now))
        elif path.suffix in {".png", ".txt", ".part"} and now - path.stat().st_mtime > stale_seconds:
            path.unlink(missing_ok=True)
            removed += path.suffix != ".txt"
    return removed


# --------------------------------------------------------------- the page
FRAMES_DIR = "_frames"


def frame_src(key: str) -> str:
    return f"{FRAMES_DIR}/{key}.png"


def alt_text(player: Player, setting: tuple[int, ...], title: str) -> str:
    """The frame's text alternative: the figure's own description at ``setting``
    followed by the settings in the controls' words; without a description,
    the explorer's title and the settings."""
    words = describe(player.controls, setting)
    text = player.descriptions.get(setting)
    if not text:
        return f"{title}: {words}"
    return f"{text}{'' if text.endswith(('.', '!', '?')) else '.'} Settings: {words}."


def player_html(player: Player, number: int) -> str:
    """The player's markup: the controls, the figure, a status line and its data as inline JSON."""
    esc = html.escape
    uid = f"course-player-{player.notebook}-{number}".replace("_", "-").replace(".", "-")
    start = tuple(c.start for c in player.controls)
    title = (player.explorer.__doc__ or player.name).strip().splitlines()[0].rstrip(".")
    rows = []
    for i, c in enumerate(player.controls):
        cid = f"{uid}-{c.key}".replace("_", "-")
        if c.kind == "checkbox":
            field_html = (f'<input type="checkbox" id="{cid}" data-control="{i}"{" checked" if c.values[c.start] else ""}>'
                          f'<label for="{cid}">{esc(c.label)}</label>')
        elif c.kind == "select":
            options = "".join(f'<option value="{j}"{" selected" if j == c.start else ""}>{esc(l)}</option>'
                              for j, l in enumerate(c.labels))
            field_html = f'<label for="{cid}">{esc(c.label)}</label><select id="{cid}" data-control="{i}">{options}</select>'
        else:
            field_html = (f'<label for="{cid}">{esc(c.label)}</label>'
                          f'<input type="range" id="{cid}" data-control="{i}" min="0" max="{len(c.values) - 1}" '
                          f'step="1" value="{c.start}" aria-valuetext="{esc(c.labels[c.start])}">'
                          f'<output for="{cid}" id="{cid}-readout">{esc(c.labels[c.start])}</output>')
        rows.append(f'<div class="course-player-control course-player-{c.kind}">{field_html}</div>')
    subset = "" if player.complete else (
        '<p class="course-player-scope">The book holds this figure for every position of each control with the '
        "others at their starting values, and for the settings the question above asks about; in JupyterLab every "
        "combination moves.</p>")
    data = {
        "title": title,
        "controls": [{"label": c.label, "kind": c.kind, "labels": c.labels, "start": c.start} for c in player.controls],
        "frames": {",".join(map(str, s)): player.keys[s] for s in player.settings},
        "alts": {",".join(map(str, s)): alt_text(player, s, title) for s in player.settings},
        "dir": FRAMES_DIR,
        "complete": player.complete,
    }
    alt = alt_text(player, start, title)
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="course-player" id="{uid}" data-explorer="{esc(player.name)}">'
        f'<div class="course-player-controls" role="group" aria-label="{esc(title)}: controls">{"".join(rows)}'
        f'<button type="button" class="course-player-reset">Back to the starting values</button></div>'
        f"{subset}"
        f'<figure class="course-player-figure"><img class="course-player-frame" src="{frame_src(player.keys[start])}" alt="{esc(alt)}">'
        f'<div class="course-player-missing" role="note" hidden></div></figure>'
        f'<p class="course-player-status" aria-live="polite" aria-atomic="true">Showing {esc(describe(player.controls, start))}.</p>'
        f'<script type="application/json" class="course-player-data">{blob}</script>'
        "</div>"
    )
