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
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course_utils as cu
from course_utils import plotting
from course_utils.lessons import explorers
from threads import in_a_new_thread

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


# ------------------------------------------------------------ figures drawn ahead (lessons/idle.py)
def test_neighbours_likeliest_first() -> None:
    from course_utils.lessons import idle
    from course_utils.lessons.mlp_as_sparse_map import explore_mask_density as explorer

    found = idle.neighbours(explorer, {"hidden": 16, "budget": 1.0}, last={"hidden": 16, "budget": 0.5})
    # budget moved up last: its next two steps up, one step back; then hidden one step each way
    assert found == [{"hidden": 16, "budget": 2.0}, {"hidden": 16, "budget": 3.0}, {"hidden": 16, "budget": 0.5},
                     {"hidden": 24, "budget": 1.0}, {"hidden": 8, "budget": 1.0}]
    down = idle.neighbours(explorer, {"hidden": 24, "budget": 0.125}, last={"hidden": 32, "budget": 0.125})
    assert down == [{"hidden": 16, "budget": 0.125}, {"hidden": 8, "budget": 0.125}, {"hidden": 32, "budget": 0.125},
                    {"hidden": 24, "budget": 0.25}]  # no budget below the lowest
    assert idle.neighbours(explorer, {"hidden": 16, "budget": 1.0}) == [
        {"hidden": 24, "budget": 1.0}, {"hidden": 8, "budget": 1.0}, {"hidden": 16, "budget": 2.0},
        {"hidden": 16, "budget": 0.5}]


def test_a_log_sliders_value_from_the_browser_finds_the_figure_drawn_ahead() -> None:
    from course_utils.lessons import idle

    browser = 10 ** -2.5  # what a FloatLogSlider sends, in the browser's last bits
    python = 10.0 ** (-2.5 + 1e-15)
    assert browser != python and idle._key({"lr": browser}) == idle._key({"lr": python})
    assert idle._key({"lr": 0.01}) != idle._key({"lr": 0.0101})


def test_outside_a_kernel_nothing_is_queued_and_the_figure_is_drawn_and_shown(monkeypatch) -> None:
    import asyncio

    import matplotlib.pyplot as plt

    from course_utils.lessons import idle
    from course_utils.lessons.recurrent_is_the_same_matrix import explore_recurrent_share as explorer

    assert in_a_new_thread(lambda: idle.ahead(explorer, {"share": 0.5})) is False  # no loop

    async def in_a_loop():  # a running loop that is not a kernel's (Playwright's, say)
        return idle.ahead(explorer, {"share": 0.5})

    assert in_a_new_thread(lambda: asyncio.run(in_a_loop())) is False
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf().axes[0].get_title()))
    explorer(share=0.25)
    assert len(shown) == 1 and not idle._queue
    plt.close("all")


IDLE_KERNEL_SETUP = """
import time
import course_utils as cu
from course_utils.lessons import idle
from course_utils.lessons.recurrent_is_the_same_matrix import explore_recurrent_share as e
from course_utils.plotting import figure_outputs
cu.setup()
"""


def _kernel_outputs(kc, code: str, silent: bool = False) -> list[dict]:
    """Run ``code``; return its iopub display_data/stream/error contents."""
    msg_id = kc.execute(code, silent=silent)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "stream", "error", "execute_result"):
            outputs.append({"type": msg["msg_type"], **msg["content"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=120)
    assert reply["content"]["status"] == "ok", outputs
    return outputs


def _printed(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") for o in outputs if o["type"] == "stream")


def test_in_a_kernel_the_next_settings_are_drawn_while_idle_and_shown_as_drawn() -> None:
    """In a real kernel: after a figure is shown, the kernel (left idle) draws the neighbours; a
    move to one of them publishes what a fresh drawing publishes (the same PNG bytes, text and
    caption) without drawing; a cell that runs drops what was kept."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        assert _printed(_kernel_outputs(kc, IDLE_KERNEL_SETUP)) == ""
        shown = _kernel_outputs(kc, "e(share=0.5)")
        assert [o["type"] for o in shown] == ["display_data", "display_data"]
        assert "image/png" in shown[0]["data"] and shown[1]["data"]["text/plain"].startswith("Figure: ")
        time.sleep(3)  # idle: the neighbours are drawn now
        # silent: no cell events, as a slider's message (a cell would drop what was kept)
        kept = _printed(_kernel_outputs(kc, "print(sorted(k[0][1] for k in idle._kept['explore_recurrent_share']))",
                                        silent=True))
        assert kept.strip() == "[0.375, 0.5, 0.625]", kept  # shown, and one step each way
        moved = _kernel_outputs(kc, "t = time.perf_counter(); e(share=0.625); "
                                    "print(f'{time.perf_counter() - t:.4f}', file=__import__('sys').stderr)", silent=True)
        took = float(next(o["text"] for o in moved if o["type"] == "stream"))
        fresh = _kernel_outputs(kc, "import matplotlib.pyplot as plt\nfrom IPython.display import publish_display_data\n"
                                    "for d, m in figure_outputs(e.figure(share=0.625)): publish_display_data(d, m)\n"
                                    "plt.close('all')", silent=True)
        strip = [{k: o[k] for k in ("data", "metadata")} for o in moved if o["type"] == "display_data"]
        assert strip == [{k: o[k] for k in ("data", "metadata")} for o in fresh if o["type"] == "display_data"]
        assert len(strip) == 2 and took < 0.02, took  # published, not drawn (a drawing takes 40 ms or more)
        # a move to the setting being drawn ahead finishes that drawing: its figure is built once
        halfway = _kernel_outputs(kc, "built = []\n_built = idle._built\n"
                                      "idle._built = lambda *a, **k: built.append(a[1]['share']) or _built(*a, **k)\n"
                                      "idle._queue[:] = [(e, {**e.defaults, 'share': 0.875})]\n"
                                      "idle._step()\n"
                                      "print(idle._current[1]['share'], built)\n"
                                      "e(share=0.875)\n"
                                      "print(idle._current, built)\n"
                                      "idle._built = _built", silent=True)
        assert _printed(halfway).split("\n")[:2] == ["0.875 [0.875]", "None [0.875]"], _printed(halfway)
        assert [o["type"] for o in halfway].count("display_data") == 2
        _kernel_outputs(kc, "x = 1")  # a cell: what was kept is dropped
        left = _printed(_kernel_outputs(kc, "print(len(idle._kept))", silent=True))
        assert left.strip() == "0"
        leaked = _printed(_kernel_outputs(kc, "import matplotlib.pyplot as plt; print(plt.get_fignums())", silent=True))
        assert leaked.strip() == "[]"  # nothing drawn ahead is left open (to be shown by a later cell)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
