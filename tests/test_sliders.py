"""Every slider of the course, at every end of its range, draws a figure.

The sliders are found, not listed: every explorer of the registry
(``course_utils.lessons.explorers()``) and every ``interact(...)`` cell of
every notebook in ``notebooks/``.

- Each notebook's ``interact`` cells hand a registered explorer of that
  notebook to ``interact`` with its own controls, carry the
  ``nbval-ignore-output`` tag, and come after a plain cell that draws the
  same figure once (with its picture stored); every explorer registered
  for a notebook is used by it.
- Each explorer is called, as ``interact`` would, at its defaults, at every
  control's minimum and maximum (every option of a dropdown), at all
  minima and all maxima together, and at a few random settings (seeded):
  no exception, no warning a learner would see, a Figure whose every axes
  shows something; and each control changes the figure between its minimum
  and its maximum.
- The widgets start at the draw function's keyword defaults.
"""

from __future__ import annotations

import ast
import json
import math
import random
import warnings
import zlib
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_utils.lessons import explorers
from course_utils.lessons.explorer import Explorer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb"))
#: the course map: no lesson, no slider (every other notebook has one)
START_PAGE = "00_start_here"
LESSONS = [p for p in NOTEBOOKS if p.stem != START_PAGE]
EXPLORERS = dict(sorted(explorers().items()))
INTERACT_NAMES = {"interact", "interactive", "interact_manual"}
RANDOM_SETTINGS = 3


# ---------------------------------------------------------------- control values
def _set(control: Any, value: Any) -> Any:
    """What the callback receives once ``control`` is moved to ``value``."""
    control.value = value
    return control.value


def _is_slider(control: Any) -> bool:
    return hasattr(control, "min") and hasattr(control, "max") and not hasattr(control, "options")


def _is_range(control: Any) -> bool:
    return isinstance(control.value, tuple)


def extremes(control: Any) -> list[Any]:
    """Minimum and maximum of a slider, every option of a selection, both states of a toggle."""
    start = control.value
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        values = [False, True]
    elif hasattr(control, "options") and hasattr(control, "index"):
        values = []
        for i in range(len(control.options)):
            control.index = i
            values.append(control.value)
    elif _is_slider(control):
        low, high = control.min, control.max
        if isinstance(control, widgets.FloatLogSlider):
            low, high = control.base ** low, control.base ** high
        if _is_range(control):
            values = [_set(control, (low, low)), _set(control, (high, high)), _set(control, (low, high))]
        else:
            values = [_set(control, low), _set(control, high)]
    else:
        raise TypeError(f"the tests do not know the control {type(control).__name__}: teach test_sliders.extremes")
    control.value = start
    return values


def random_value(control: Any, rng: random.Random) -> Any:
    """A random value of ``control``, on its step grid where it has one."""
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return rng.choice([False, True])
    if hasattr(control, "options") and hasattr(control, "index"):
        return rng.choice(extremes(control))
    start = control.value
    low, high, step = control.min, control.max, getattr(control, "step", None) or 0
    if step > 0:
        point = low + step * rng.randint(0, int(round((high - low) / step)))
    else:
        point = rng.uniform(low, high)
    point = min(max(point, low), high)
    if isinstance(control, widgets.FloatLogSlider):
        point = control.base ** point
    if isinstance(control, (widgets.IntSlider, widgets.IntRangeSlider)):
        point = int(round(point))
    value = _set(control, (point, point) if _is_range(control) else point)
    control.value = start
    return value


def settings(explorer: Explorer) -> list[dict[str, Any]]:
    """The settings each explorer is drawn at (see the module docstring)."""
    controls = explorer.controls()
    ends = {name: extremes(c) for name, c in controls.items()}
    found: list[dict[str, Any]] = [{}]
    for name, values in ends.items():
        found += [{name: v} for v in values]
    found.append({name: values[0] for name, values in ends.items()})
    found.append({name: values[-1] for name, values in ends.items()})
    rng = random.Random(zlib.crc32(explorer.name.encode()))
    for _ in range(RANDOM_SETTINGS):
        found.append({name: random_value(c, rng) for name, c in controls.items()})
    return found


# ---------------------------------------------------------------- explorers
def test_registry_is_not_empty() -> None:
    assert EXPLORERS, "no explorer found: course_utils.lessons.explorers() found none"


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_widgets_start_at_the_draw_defaults(name: str) -> None:
    explorer = EXPLORERS[name]
    controls = explorer.controls()
    assert controls, f"{name} has no controls"
    defaults = explorer.defaults
    for key, control in controls.items():
        assert isinstance(control, widgets.ValueWidget), f"{name}: control {key} is not a widget: {control!r}"
        assert key in defaults, f"{name}: control {key!r} is not a keyword (with a default) of the draw function"
        value, default = control.value, defaults[key]
        if isinstance(default, float) or isinstance(value, float):
            assert math.isclose(value, default, rel_tol=1e-9, abs_tol=1e-12), (
                f"{name}: widget {key} starts at {value!r}, the draw function's default is {default!r}"
            )
        else:
            assert value == default, f"{name}: widget {key} starts at {value!r}, the draw function's default is {default!r}"
    # fresh widgets each time (interact in two cells must not share them)
    again = explorer.controls()
    assert all(again[k] is not controls[k] for k in controls), f"{name}: controls() returns the same widgets twice"


def _values(data: Any) -> list:
    """An array as a list that compares equal to an equal array's (nan == nan, rounded to 1e-9)."""
    array = np.ma.filled(np.ma.asarray(data, dtype=float), np.nan)
    return np.nan_to_num(array.round(9), nan=1e300, posinf=1e301, neginf=-1e301).tolist()


def drawn(fig: Figure) -> list[Any]:
    """What a figure shows, read back from its artists: per axes its title,
    tick labels and texts, the data of its lines, the arrays of its images,
    the places of its patches and collections. Two figures that show the
    same give equal lists."""
    shown: list[Any] = [t.get_text() for t in fig.texts]  # the suptitle among them
    for ax in fig.axes:
        shown.append((ax.get_title(), ax.get_title(loc="left"), [t.get_text() for t in ax.texts],
                      [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]))
        shown += [(_values(line.get_xdata()), _values(line.get_ydata())) for line in ax.lines]
        shown += [_values(image.get_array()) for image in ax.images]
        shown += [_values(patch.get_path().transformed(patch.get_patch_transform()).vertices) for patch in ax.patches]
        shown += [_values(c.get_offsets()) for c in ax.collections]
    return shown


def shows_something(ax) -> bool:
    """An axes with data, or at least a text, on it (not a blank frame)."""
    return bool(ax.lines or ax.images or ax.patches or ax.collections or ax.texts)


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_draws_at_every_extreme(name: str) -> None:
    """Every setting draws, renders and warns of nothing; every axes shows
    something; and every control moves the picture: the figure at a
    control's minimum differs from the figure at its maximum (a control the
    explorer ignored would not)."""
    explorer = EXPLORERS[name]
    pictures: dict[str, list[Any]] = {}
    for values in settings(explorer):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fig = explorer.figure(**values)
            except Exception as error:  # noqa: BLE001 - report the setting
                plt.close("all")
                pytest.fail(f"{name}(**{values}) raised {type(error).__name__}: {error}")
            try:
                assert isinstance(fig, Figure), f"{name}(**{values}) returned {fig!r}, not a Figure"
                assert fig.axes, f"{name}(**{values}) drew a figure without axes"
                blank = [i for i, ax in enumerate(fig.axes) if ax.get_visible() and ax.axison and not shows_something(ax)]
                assert not blank, f"{name}(**{values}): axes {blank} show nothing"
                fig.canvas.draw()  # render it, as the notebook will
                pictures[repr(sorted(values.items()))] = drawn(fig)
            finally:
                plt.close("all")
        shown = [
            f"{w.category.__name__}: {w.message}" for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
        ]
        assert not shown, f"{name}(**{values}) shows warnings under the figure: {shown}"
    for key, values in {key: extremes(c) for key, c in explorer.controls().items()}.items():
        low, high = (repr(sorted({key: v}.items())) for v in (values[0], values[-1]))
        assert pictures[low] != pictures[high], f"{name}: the figure is the same at {key}={values[0]!r} and {values[-1]!r}"


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_call_is_what_interact_needs(name: str) -> None:
    """``interact`` calls the explorer with keywords and displays what it returns:
    the call must draw and return None (no second copy of the figure)."""
    explorer = EXPLORERS[name]
    assert explorer.name == name and explorer.__name__ == name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Agg's "cannot show" notice
        try:
            assert explorer(**{k: c.value for k, c in explorer.controls().items()}) is None
        finally:
            plt.close("all")


# ---------------------------------------------------------------- notebooks
def code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    text = "".join(cell["source"])
    # IPython magics and shell escapes are not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def _called_names(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name is not None:
                calls.append((name, node))
    return calls


def interact_cells(path: Path) -> list[tuple[int, str, dict, ast.Call]]:
    """(code cell index, explorer name, cell, interact call) of every interact in the notebook."""
    found = []
    for i, cell in enumerate(code_cells(path)):
        source = _source(cell)
        if "interact" not in source:
            continue
        tree = ast.parse(source)
        for name, call in _called_names(tree):
            if name in INTERACT_NAMES:
                assert call.args, f"{path.name} code cell {i + 1}: {name}() without a callback"
                target = call.args[0]
                # interact(explore_x, ...) or interact(lesson.explore_x, ...)
                target_name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ast.unparse(target)
                found.append((i, target_name, cell, call))
    return found


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_notebook_sliders_are_registered_and_drawn_first(path: Path) -> None:
    cells = code_cells(path)
    interacts = interact_cells(path)
    assert interacts, f"{path.name} has no interact cell"
    used = set()
    for index, name, cell, call in interacts:
        where = f"{path.name} code cell {index + 1}"
        assert name in EXPLORERS, f"{where}: interact({name}, ...) is not a registered explorer"
        explorer = EXPLORERS[name]
        assert explorer.notebook == path.stem, (
            f"{where}: {name} is registered for notebook {explorer.notebook!r}, not {path.stem!r}"
        )
        used.add(name)
        tags = cell.get("metadata", {}).get("tags", [])
        assert "nbval-ignore-output" in tags, f"{where}: the interact cell lacks the nbval-ignore-output tag"
        # the controls are the explorer's own: interact(name, **name.controls())
        controls = [
            kw.value for kw in call.keywords
            if kw.arg is None and isinstance(kw.value, ast.Call)
            and isinstance(kw.value.func, ast.Attribute) and kw.value.func.attr == "controls"
            and ast.unparse(kw.value.func.value).rsplit(".", 1)[-1] == name
        ]
        assert controls, f"{where}: expected interact({name}, **{name}.controls())"
        # a plain cell before it draws the figure once, with its picture stored
        drawing = []
        for j in range(index - 1, -1, -1):
            earlier = _source(cells[j])
            calls = [n for n, _ in _called_names(ast.parse(earlier))]
            if any(n in INTERACT_NAMES for n in calls) and name in earlier:
                break  # an earlier slider of the same figure: look no further back
            if name in calls:
                drawing.append(j)
        assert drawing, f"{where}: no plain cell before it draws {name}() once"
        assert len(drawing) == 1, f"{where}: {name}() is drawn by {len(drawing)} plain cells before its slider, expected one"
        outputs = cells[drawing[0]].get("outputs", [])
        assert any("image/png" in out.get("data", {}) for out in outputs), (
            f"{path.name} code cell {drawing[0] + 1}: the plain call of {name}() has no stored picture"
        )
    registered = {n for n, e in EXPLORERS.items() if e.notebook == path.stem}
    assert registered <= used, f"{path.name} never uses the explorers registered for it: {sorted(registered - used)}"


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_explorer_belongs_to_a_notebook(name: str) -> None:
    notebook = NOTEBOOK_DIR / f"{EXPLORERS[name].notebook}.ipynb"
    assert notebook.exists(), f"{name} is registered for {notebook.name}, which does not exist"
    assert name in {n for _, n, _, _ in interact_cells(notebook)}, f"{notebook.name} has no interact({name}, ...)"


def _fake_notebook(folder: Path, *, tagged: bool = True, drawn: bool = True, picture: bool = True) -> Path:
    """A notebook 01 of two cells: the plain drawing cell and the slider cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_code_cell("explore_training()")
    if picture:
        plain.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    slider = nbformat.v4.new_code_cell("_ = interact(explore_training, **explore_training.controls())")
    if tagged:
        slider.metadata["tags"] = ["nbval-ignore-output"]
    nb.cells = ([plain] if drawn else []) + [slider]
    path = folder / "01_linear_operator.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    "broken", [{"tagged": False}, {"drawn": False}, {"picture": False}], ids=["untagged", "not drawn first", "no picture"]
)
def test_notebook_check_catches_mistakes(tmp_path: Path, broken: dict) -> None:
    """The notebook check above fails on each mistake it looks for, and passes a correct notebook."""
    if "explore_training" not in EXPLORERS:
        pytest.fail("this self-test uses notebook 01's explorer explore_training")
    test_notebook_sliders_are_registered_and_drawn_first(_fake_notebook(tmp_path))
    with pytest.raises(AssertionError):
        test_notebook_sliders_are_registered_and_drawn_first(_fake_notebook(tmp_path, **broken))


def test_cached_slider_runs_hand_out_their_own_mask() -> None:
    """mask_run is cached; changing the mask it returned must not change the next answer."""
    from course_utils.lessons.mlp_as_sparse_map import mask_run

    first = mask_run(8, 0.05, True)
    kept = first[3].clone()
    first[3].zero_()
    again = mask_run(8, 0.05, True)
    assert torch.equal(again[3], kept) and again[:3] == first[:3]
