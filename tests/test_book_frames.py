"""The book's precomputed sliders (book/_ext/course_player.py), without a browser.

- ``control_positions`` gives every value a widget can take, each one the
  widget accepts as it is, the start among them; bad input is a TypeError.
- ``settings_for``: every combination up to the limit, else every position of
  each control with the others at the defaults plus the prompted settings;
  the prompts' table names real controls and positions (a stale one fails).
- A frame, drawn by the build's own pipeline (a worker process, the frame
  cache), equals the figure the lesson draws here at the same settings, both
  decoded to RGBA arrays, for the defaults and two more settings of every
  explorer (pixel for pixel; for a figure that shows a measured time, which
  differs when drawn afresh, all but 2 % of the pixels); and it differs from a neighbouring setting's figure (the
  comparison can fail).
- A Sphinx build of a notebook whose explorer raises at one setting fails,
  naming the notebook, the explorer and the setting; the same build with a
  sound explorer writes the player and its frames into the site.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import course_player  # noqa: E402

import course_utils  # noqa: E402
from course_utils.lessons import explorers  # noqa: E402
from course_utils.lessons.explorer import control_positions  # noqa: E402

EXPLORERS = explorers()


# ------------------------------------------------------------ positions
@pytest.mark.parametrize(
    "control, count",
    [
        (widgets.IntSlider(value=401, min=1, max=2001, step=50), 41),
        (widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01), 51),
        (widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.25), 25),
        (widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1), 31),
        (widgets.Dropdown(options=["a", "b", "c"], value="b"), 3),
        (widgets.SelectionSlider(options=[("½×", 0.5), ("1×", 1.0)], value=1.0), 2),
        (widgets.Checkbox(value=True), 2),
    ],
    ids=["int", "float", "float-negative", "log", "dropdown", "selection", "checkbox"],
)
def test_positions_are_what_the_widget_takes(control, count) -> None:
    start = control.value
    positions = control_positions(control)
    assert len(positions) == count
    assert control.value == start, "control_positions moved the widget"
    values = [v for _, v in positions]
    assert any(v is start or v == start for v in values), f"the start {start!r} is not a position"
    for label, value in positions:
        assert isinstance(label, str) and label
        control.value = value
        assert control.value == value, f"the widget does not keep {value!r}"
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
        steps = np.diff(values)
        assert np.allclose(steps, control.step) and values[0] == control.min and np.isclose(values[-1], control.max)
    if isinstance(control, widgets.FloatLogSlider):
        assert np.allclose(np.diff(np.log10(values)), control.step)


def test_positions_refuse_what_they_do_not_know() -> None:
    with pytest.raises(TypeError, match="control_positions"):
        control_positions(widgets.Text("x"))
    with pytest.raises(TypeError, match="control_positions"):
        control_positions(3)


# ------------------------------------------------------------ settings
def _controls(*sizes: int) -> list[course_player.Control]:
    return [course_player.Control(f"c{i}", f"control {i}", "range", [str(v) for v in range(n)], list(range(n)), 1)
            for i, n in enumerate(sizes)]


def test_every_combination_up_to_the_limit() -> None:
    settings, complete = course_player.settings_for("x", _controls(3, 4), full_limit=12)
    assert complete and len(settings) == 12 and len(set(settings)) == 12


def test_subset_is_the_star_around_the_defaults_plus_the_prompts() -> None:
    settings, complete = course_player.settings_for("x", _controls(3, 4, 5), full_limit=59, prompted=[{"c0": 2, "c2": 4}])
    assert not complete
    star = {(i, 1, 1) for i in range(3)} | {(1, j, 1) for j in range(4)} | {(1, 1, k) for k in range(5)}
    assert set(settings) == star | {(2, 1, 4)}


def test_settings_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="full_limit"):
        course_player.settings_for("x", _controls(2), full_limit=0)
    with pytest.raises(ValueError, match="no control 'c9'"):
        course_player.settings_for("x", _controls(2, 2), prompted=[{"c9": 1}])
    with pytest.raises(ValueError, match="c1=7"):
        course_player.settings_for("x", _controls(2, 2), prompted=[{"c1": 7}])
    with pytest.raises(TypeError, match="prompted"):
        course_player.settings_for("x", _controls(2, 2), prompted=["c1"])
    with pytest.raises(ValueError, match="course_explorers"):
        course_player.load_explorers("no colon")
    with pytest.raises(ValueError, match="course_frames_workers"):
        course_player.build_frames([], Path("unused"), 0, course_player.DEFAULT_PROVIDER)


def test_the_prompts_table_names_real_controls_and_positions() -> None:
    assert set(course_player.PROMPTED) <= set(EXPLORERS), "PROMPTED names an explorer that does not exist"
    for name, prompted in course_player.PROMPTED.items():
        controls = course_player.controls_of(EXPLORERS[name])
        settings, _ = course_player.settings_for(name, controls, prompted=prompted)  # raises when stale
        for setting in prompted:
            point = tuple(next(j for j, v in enumerate(c.values) if c.key in setting and v == setting[c.key])
                          if c.key in setting else c.start for c in controls)
            assert point in settings, f"{name}: the prompted {setting} is not drawn"


def test_every_slider_cell_gets_a_player() -> None:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        for number, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and "interact(" in cell.source:
                player = course_player.plan(notebook.stem, number, cell.source, EXPLORERS)
                assert player.name in EXPLORERS and player.settings
                assert tuple(c.start for c in player.controls) in player.settings
                html = course_player.player_html(player, number)
                for c in player.controls:  # every control labelled, in the notebook's order
                    assert f">{c.label}</label>" in html.replace("&#x27;", "'")
                assert 'aria-live="polite"' in html and 'alt="' in html


# ------------------------------------------------------------ frames = the lesson's figures
def rgba(png: bytes) -> np.ndarray:
    from matplotlib import image

    pixels = np.round(image.imread(io.BytesIO(png), format="png") * 255).astype(np.uint8)
    if pixels.shape[-1] == 3:  # RGB: opaque
        pixels = np.concatenate([pixels, np.full(pixels.shape[:2] + (1,), 255, np.uint8)], axis=-1)
    return pixels


def lesson_figure(explorer, values) -> np.ndarray:
    """The lesson's figure at ``values``, rendered here with plain matplotlib
    (savefig, as the notebook's inline backend asks: tight bounding box)."""
    import matplotlib.pyplot as plt

    fig = explorer.figure(**values)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", facecolor=fig.get_facecolor())
    plt.close(fig)
    return rgba(buffer.getvalue())


def clear_caches() -> None:
    """Forget every result the lessons and the core remember (their lru caches)."""
    for name, module in list(sys.modules.items()):
        if name == "course_utils" or name.startswith("course_utils."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def reproducible(explorer, values) -> bool:
    """False for a figure that is not the same when computed afresh twice
    (one that shows a measured time)."""
    drawn = []
    for _ in range(3):
        clear_caches()
        drawn.append(lesson_figure(explorer, values))
    return all(d.shape == drawn[0].shape and np.array_equal(d, drawn[0]) for d in drawn)


def same(a: np.ndarray, b: np.ndarray, exact: bool) -> bool:
    if a.shape != b.shape:
        return False
    if exact:
        return np.array_equal(a, b)
    # a measured time in a line of text: the pixels differ only in the rows of
    # those lines (a few, however long the time's text), the rest is identical
    differing_rows = np.any(a != b, axis=(1, 2))
    return int(differing_rows.sum()) <= 40


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[course_player.Player]]:
    """Three settings of every explorer drawn by the build's pipeline into a cache of its own."""
    rng = random.Random(18)
    players = []
    for number, (name, explorer) in enumerate(EXPLORERS.items()):
        player = course_player.plan(explorer.notebook, number, f"_ = interact(lesson.{name}, **x)", EXPLORERS)
        start = tuple(c.start for c in player.controls)
        others = rng.sample([s for s in player.settings if s != start], k=min(2, len(player.settings) - 1))
        player.settings = [start, *others]
        players.append(player)
    cache = tmp_path_factory.mktemp("frames")
    stats = course_player.build_frames(players, cache, 2, course_player.DEFAULT_PROVIDER)
    assert stats["drawn"] == sum(len(p.settings) for p in players)
    again = course_player.build_frames(players, cache, 2, course_player.DEFAULT_PROVIDER)
    assert again["drawn"] == 0 and again["reused"] == stats["drawn"], "a second build must reuse the cached frames"
    return cache, players


def values_here(player: course_player.Player, setting: tuple[int, ...]) -> dict:
    """The explorer's keywords at ``setting`` (position numbers), from its widgets, not from the build's code."""
    controls = player.explorer.controls()
    return {key: control_positions(widget)[i][1] for (key, widget), i in zip(controls.items(), setting)}


def test_a_frame_is_the_figure_the_lesson_draws(frames) -> None:
    course_utils.setup()  # as every notebook does first
    cache, players = frames
    problems = []
    for player in players:
        for setting in player.settings:
            values = values_here(player, setting)
            frame = rgba((cache / f"{player.keys[setting]}.png").read_bytes())
            drawn = lesson_figure(player.explorer, values)
            if not same(frame, drawn, True) and (reproducible(player.explorer, values) or not same(frame, drawn, False)):
                problems.append(f"{player.name} at {values}: the frame {frame.shape} is not the lesson's figure {drawn.shape}")
        # the comparison tells settings apart: the frame of the start is not another setting's figure
        start, other = player.settings[0], player.settings[1]
        frame = rgba((cache / f"{player.keys[start]}.png").read_bytes())
        if same(frame, lesson_figure(player.explorer, values_here(player, other)), True):
            problems.append(f"{player.name}: the frame at the start equals the figure at {other}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------ the build
FAKE_LESSONS = '''
"""Explorers for a test build: one that raises at n=2 with the flag on, one sound."""
import ipywidgets as widgets
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from course_utils.lessons.explorer import explorer


def _controls():
    return {"n": widgets.IntSlider(value=1, min=0, max=3, description="n"),
            "flag": widgets.Checkbox(value=True, description="flag")}


@explorer("01_fake", _controls)
def explore_bad(n: int = 1, flag: bool = True):
    """A figure that cannot be drawn at one setting."""
    if n == 2 and flag:
        raise ValueError("n = 2 is broken")
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, n], [0, int(flag)])
    return fig


@explorer("01_fake", _controls)
def explore_good(n: int = 1, flag: bool = True):
    """A figure drawn at every setting."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, n], [0, int(flag)])
    return fig


def explorers():
    return {"explore_bad": explore_bad, "explore_good": explore_good}
'''

CONF = '''
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "course_book"]
nb_execution_mode = "off"
nb_ipywidgets_js = {{}}
course_explorers = "fake_lessons:explorers"
course_frames_cache = {cache!r}
course_frames_workers = 1
html_static_path = [{static!r}]
html_js_files = ["course_player.js"]
'''


def build(tmp_path: Path, name: str) -> subprocess.CompletedProcess:
    (tmp_path / "fake_lessons.py").write_text(FAKE_LESSONS)
    conf = tmp_path / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "conf.py").write_text(CONF.format(ext=str(ROOT / "book" / "_ext"), cache=str(tmp_path / "cache"),
                                              static=str(ROOT / "book" / "_static")))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A fake notebook"),
                nbformat.v4.new_code_cell(f"_ = interact(lesson.{name}, **lesson.{name}.controls())")]
    nbformat.write(nb, notebooks / "01_fake.ipynb")
    (tmp_path / "src").mkdir(exist_ok=True)
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-c", str(conf), "-D",
         f"course_notebooks={notebooks}", str(tmp_path / "src"), str(tmp_path / "site")],
        capture_output=True, text=True, env=env, timeout=300,
    )


def test_a_setting_that_raises_fails_the_build(tmp_path: Path) -> None:
    result = build(tmp_path, "explore_bad")
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the build succeeded:\n{output[-2000:]}"
    for expected in ("01_fake", "explore_bad", "n=2", "flag=True", "n = 2 is broken"):
        assert expected in output, f"{expected!r} missing from the build's error:\n{output[-2000:]}"


def test_a_sound_explorer_gets_its_player_and_frames(tmp_path: Path) -> None:
    result = build(tmp_path, "explore_good")
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    page = (tmp_path / "site" / "01_fake.html").read_text()
    assert 'class="course-player"' in page and "course_player.js" in page
    data = json.loads(page.split('class="course-player-data">')[1].split("</script>")[0])
    assert len(data["frames"]) == 8 and data["complete"]  # 4 positions of n, 2 of flag
    for key in data["frames"].values():
        assert (tmp_path / "site" / "_frames" / f"{key}.png").is_file()
    stats = json.loads((tmp_path / "cache" / "last-build.json").read_text())
    assert stats["drawn"] == 8


# ------------------------------------------------------------ the cache
def test_the_cache_key_follows_the_lesson_and_what_it_imports() -> None:
    files = {p.name for p in course_player.dependencies("course_utils.lessons.iterated_exact")}
    assert {"iterated_exact.py", "explorer.py", "plotting.py"} <= files
    assert "mlp_as_sparse_map.py" not in files and "mlp.py" not in files, "another lesson's code redraws these frames"
    key = course_player.frame_key("explore_family", {"a": 1.0}, "src", "v")
    assert key == course_player.frame_key("explore_family", {"a": 1.0}, "src", "v")
    assert len({key, course_player.frame_key("explore_family", {"a": 1.25}, "src", "v"),
                course_player.frame_key("explore_family", {"a": 1.0}, "src2", "v"),
                course_player.frame_key("explore_family", {"a": 1.0}, "src", "v2")}) == 4


def test_prune_keeps_used_and_recent_frames(tmp_path: Path) -> None:
    import os
    import time

    for name in ("used", "recent", "old"):
        (tmp_path / f"{name}.png").write_bytes(b"x")
    long_ago = time.time() - 2 * course_player.STALE_SECONDS
    for name in ("used", "old"):
        os.utime(tmp_path / f"{name}.png", (long_ago, long_ago))
    assert course_player.prune(tmp_path, {"used"}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recent.png", "used.png"]
