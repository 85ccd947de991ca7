"""What makes the sliders quick (benchmarks/slider_latency.py measures it), checked for keeping the pictures.

- ``plotting.tight_png`` draws a figure once and cuts the tight box out of
  that drawing: the PNG has the size of the inline backend's (IPython's
  ``print_figure(fig, "png", bbox_inches="tight")``, which draws twice) and
  the same picture, up to antialiasing at a sub-pixel shift; for a figure
  with an artist outside its canvas it is matplotlib's own two-pass PNG;
  every slider figure of the course takes the one-draw path.
- In a kernel, ``cu.setup()`` makes the inline backend show figures with it
  (and leaves a formatter chosen by the user alone), and freezes the objects
  alive at that point for the garbage collector.
- ``benchmarks/slider_latency.py --help`` answers (the benchmark itself is
  not a test: it starts JupyterLab and Chromium and takes minutes).
"""

from __future__ import annotations

import gc
import io
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course_utils as cu
from course_utils import plotting
from course_utils.lessons import explorers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def two_pass(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(), dpi=fig.dpi,
                bbox_inches="tight")
    return buffer.getvalue()


def pixels(png: bytes) -> np.ndarray:
    from matplotlib import image

    return np.round(image.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)


def assert_same_picture(once: bytes, twice: bytes, where: str) -> None:
    a, b = pixels(once), pixels(twice)
    assert a.shape == b.shape, f"{where}: {a.shape[1]}x{a.shape[0]} px drawn once, {b.shape[1]}x{b.shape[0]} twice"
    # a sub-pixel shift moves antialiased edges (text, lines, an image's cell borders) by up to a pixel:
    # every pixel must have its like (within 64 levels) at most one pixel away in the other picture
    padded = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    nearest = np.min([np.abs(a - padded[1 + dy:1 + dy + a.shape[0], 1 + dx:1 + dx + a.shape[1]]).max(axis=2)
                      for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
    differ = (nearest > 64).mean()
    assert differ < 0.015, f"{where}: {differ:.2%} of the pixels have no like within a pixel"  # hatching, glyph edges
    # the same ink: the mean darkness agrees closely
    assert abs(a.mean() - b.mean()) < 1.0, f"{where}: mean level {a.mean():.2f} once, {b.mean():.2f} twice"


def test_tight_png_is_the_inline_picture_drawn_once(monkeypatch) -> None:
    cu.setup()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    fig.subplots_adjust(bottom=0.2)  # room for the x label: nothing outside the canvas
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2, label="x²")
    ax.set_title("a title")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    fallbacks = []
    monkeypatch.setattr(plotting, "_two_pass_png", lambda f: fallbacks.append(f) or two_pass(f))
    assert_same_picture(plotting.tight_png(fig), two_pass(fig), "a line plot")
    assert not fallbacks


@pytest.mark.parametrize("name", sorted(explorers()))
def test_every_slider_figure_is_drawn_once(name: str, monkeypatch) -> None:
    cu.setup()
    fig = explorers()[name].figure()
    fallbacks = []
    monkeypatch.setattr(plotting, "_two_pass_png", lambda f: fallbacks.append(f) or two_pass(f))
    assert_same_picture(plotting.tight_png(fig), two_pass(fig), name)
    assert not fallbacks, f"{name}: some artist reaches outside the canvas, the figure takes the slow path"


def test_tight_png_outside_the_canvas_is_the_two_pass_png() -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    fig.text(-0.3, 0.5, "left of the canvas")  # only the two-pass path shows it
    once, twice = plotting.tight_png(fig), two_pass(fig)
    assert pixels(once).shape == pixels(twice).shape
    assert pixels(once).shape[1] > 4 * fig.dpi  # wider than the canvas: the text is in


def test_tight_png_of_an_empty_figure_is_none() -> None:
    assert plotting.tight_png(plt.figure()) is None


def test_setup_freezes_what_is_alive() -> None:
    gc.unfreeze()
    cu.setup()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


KERNEL_CHECK = """
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
import course_utils as cu
formatters = get_ipython().display_formatter.formatters["image/png"]
cu.setup()
print(getattr(formatters.type_printers[Figure], "__name__", None))
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
print(formatters(fig)[:8] == "iVBORw0K")  # base64 of a PNG's signature
%config InlineBackend.print_figure_kwargs = {"bbox_inches": None}
cu.setup()
printer = formatters.type_printers[Figure]
print(printer.func.__name__, printer.keywords["bbox_inches"])
"""


def test_setup_in_a_kernel_shows_figures_drawn_once() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_CHECK)])
    from tools.refresh import WakefulKernelManager  # the kernel client that does not sleep through a reply

    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", kernel_manager_class=WakefulKernelManager).execute()
    printed = "".join(o.get("text", "") for o in notebook.cells[0].outputs if o.output_type == "stream").split()
    # the inline backend's formatter replaced; then a user's own choice kept
    assert printed == ["_inline_png", "True", "print_figure", "None"], printed


def test_latency_benchmark_answers_help() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "slider_latency.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--moves" in result.stdout and "--course-from" in result.stdout
