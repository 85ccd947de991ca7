"""How immediate the sliders feel in the browser: keypress -> new figure, against a bare interact.

Starts a JupyterLab of its own (127.0.0.1, a free port, a random token, a
temporary root folder; tests/browser/conftest.py's ``Lab``) and headless
Chromium driven by Playwright, then:

1. opens a *bare* notebook and runs it: one ``interact`` per course notebook,
   each drawing a one-axes line plot of the same size (inches, dpi) as that
   notebook's slider figure, with an ``IntSlider``: the floor, what any
   ``interact`` costs in this lab on this machine;
2. for every notebook of ``notebooks/`` in turn: opens a fresh copy with its
   outputs cleared (tests/browser's ``NotebookPage``), waits until every cell
   is rendered and the kernel is idle, Run All from the menu, waits until
   every cell has run (a folded solution cell has no prompt: it counts as run
   once it shows its output) and every interact shows its figure;
3. moves every slider of every interact with the keyboard, ``--moves`` times
   (half of them ArrowRight, then back with ArrowLeft; the other way round
   from the top of a range): each move is timed from the keydown to the
   moment the interact's new figure ``<img>`` is in the page and loaded (its
   data decoded), in the page's own clock. After each course move, one move
   of the bare interact of the same size, so that the machine's load hits
   both alike. Each move waits for the kernel to be idle and the figure to
   stay unchanged for 250 ms before the next.

Prints, per notebook and for all moves together: median, 90th percentile and
maximum of the course's moves and of the bare moves made beside them, and
the ratios course / bare; then the goals (median <= 1.3x bare, p90 <= 1.5x
bare, no move over 300 ms). ``--verbose`` prints every move.

    python benchmarks/slider_latency.py [--moves 4] [--notebooks 01 07] [--verbose] [--course-from DIR]

``--course-from DIR``: the kernels import ``DIR/course_utils`` instead of this
checkout's (put first on their PYTHONPATH), e.g. an export of an earlier
commit for a before/after comparison in the same conditions:
``git archive HEAD course_utils | tar -x -C /tmp/before``.

Needs Chromium (``CHROMIUM``, default /usr/bin/chromium) and the Python
package playwright; without them it says so and exits 0 (so that ``make
bench`` still runs the other scripts).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BROWSER_TESTS = ROOT / "tests" / "browser"

GOAL_MEDIAN = 1.3  # course median / bare median
GOAL_P90 = 1.5  # course p90 / bare p90
GOAL_MAX_MS = 300.0  # any single move
MOVE_TIMEOUT_MS = 60_000

# Installed in the page before a move of interact ``index``: records the
# keydown (capture phase: before the slider sees it) and the moment a new
# <img> is in the interact's output (another element or another src) and
# loaded. ``performance.now()`` throughout.
ARM_TIMER = """(index) => {
  const panel = document.querySelector('.jp-NotebookPanel');
  const box = panel.querySelectorAll('.widget-interact')[index];
  const out = box.querySelector(':scope > .widget-output');
  const first = out.querySelector('img');
  const rec = window.__latency = {down: null, shown: null, loaded: null, bytes: 0,
                                  first, src: first ? first.src : null};
  if (window.__latencyKey) window.removeEventListener('keydown', window.__latencyKey, true);
  window.__latencyKey = () => { if (rec.down === null) rec.down = performance.now(); };
  window.addEventListener('keydown', window.__latencyKey, true);
  if (window.__latencyObserver) window.__latencyObserver.disconnect();
  const look = () => {
    if (rec.down === null || rec.shown !== null) return;
    const img = out.querySelector('img');
    if (!img || (img === rec.first && img.src === rec.src)) return;
    rec.shown = performance.now();
    rec.bytes = Math.round((img.src.length - img.src.indexOf(',') - 1) * 3 / 4);
    const loaded = () => { if (rec.loaded === null) rec.loaded = performance.now(); };
    if (img.complete && img.naturalWidth > 0) loaded();
    else { img.addEventListener('load', loaded, {once: true}); img.addEventListener('error', loaded, {once: true}); }
  };
  window.__latencyObserver = new MutationObserver(look);
  window.__latencyObserver.observe(out, {childList: true, subtree: true, attributes: true, attributeFilter: ['src']});
}"""

TIMER_DONE = "() => window.__latency && window.__latency.loaded !== null"
TIMER_READ = "() => { const r = window.__latency; return {down: r.down, shown: r.shown, loaded: r.loaded, bytes: r.bytes}; }"


def load_module(name: str, path: Path) -> Any:
    """Import tests/browser's modules by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0 < q < 100), linear between the order statistics."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return math.nan, math.nan, math.nan
    return statistics.median(values), percentile(values, 90), max(values)


def figure_sizes() -> dict[str, tuple[float, float, float]]:
    """Notebook stem -> (width, height, dpi) of its slider figure at the
    defaults, drawn as the notebook draws it (after ``course_utils.setup()``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import course_utils
    from course_utils.lessons import explorers

    course_utils.setup()
    sizes = {}
    for explorer in explorers().values():
        fig = explorer.figure()
        width, height = fig.get_size_inches()
        sizes.setdefault(explorer.notebook, (float(width), float(height), float(fig.dpi)))
        plt.close(fig)
    return sizes


def bare_notebook(path: Path, sizes: dict[str, tuple[float, float, float]]) -> list[str]:
    """Write the bare notebook: one interact per size; returns the notebook
    stems in the order of its interacts."""
    import nbformat

    order = sorted(sizes)
    cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "import matplotlib.pyplot as plt\n"
            "from ipywidgets import IntSlider, interact\n"
            "\n"
            "x = np.linspace(0, 2 * np.pi, 200)\n"
            "\n"
            "def bare(width, height, dpi):\n"
            "    def draw(v=0):\n"
            "        fig, ax = plt.subplots(figsize=(width, height), dpi=dpi)\n"
            "        ax.plot(x, np.sin(x + v / 10))\n"
            "        ax.set_title(f'v = {v}')\n"
            "        plt.show()\n"
            "    return draw"
        )
    ]
    for stem in order:
        width, height, dpi = sizes[stem]
        cells.append(nbformat.v4.new_code_cell(
            f"# as large as the slider figure of {stem}\n"
            f"_ = interact(bare({width:g}, {height:g}, {dpi:g}), v=IntSlider(value=0, min=0, max=1000))"
        ))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return order


class Mover:
    """Times keyboard moves of the sliders of one opened notebook page."""

    def __init__(self, page: Any) -> None:
        self.page = page  # a NotebookPage of tests/browser

    def sliders(self) -> list[tuple[int, int, str]]:
        """(interact index, slider index in it, label) of every slider."""
        boxes = self.page.page.locator(".jp-NotebookPanel .widget-interact")
        found = []
        for index in range(boxes.count()):
            handles = boxes.nth(index).locator(":scope > .widget-slider .noUi-handle")
            for j in range(handles.count()):
                widget = handles.nth(j).locator(
                    "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' widget-slider ')][1]")
                label = widget.locator(".widget-label").first.inner_text().strip() or f"slider {j + 1}"
                found.append((index, j, label))
        return found

    def handle(self, index: int, j: int) -> Any:
        box = self.page.page.locator(".jp-NotebookPanel .widget-interact").nth(index)
        return box.locator(":scope > .widget-slider .noUi-handle").nth(j)

    def at_end(self, handle: Any, key: str) -> bool:
        now = float(handle.get_attribute("aria-valuenow"))
        end = float(handle.get_attribute("aria-valuemax" if key == "ArrowRight" else "aria-valuemin"))
        return math.isclose(now, end, rel_tol=1e-9, abs_tol=1e-12)

    def move(self, index: int, j: int, key: str, what: str) -> dict:
        """Press ``key`` on the handle; wait for the new figure and for the
        kernel to settle; return the timings (ms)."""
        p = self.page.page
        p.bring_to_front()
        handle = self.handle(index, j)
        handle.focus()
        before = handle.get_attribute("aria-valuetext") or handle.get_attribute("aria-valuenow")
        self.page.arm(index)  # tests/browser: counts the kernel's busy phases from here
        p.evaluate(ARM_TIMER, index)
        p.keyboard.press(key)
        p.wait_for_function(TIMER_DONE, timeout=MOVE_TIMEOUT_MS, polling="raf")
        record = p.evaluate(TIMER_READ)
        self.page.settle(index, what)  # idle, figure unchanged for 250 ms: nothing left of this move
        after = handle.get_attribute("aria-valuetext") or handle.get_attribute("aria-valuenow")
        return {
            "ms": record["loaded"] - record["down"],
            "shown_ms": record["shown"] - record["down"],
            "bytes": record["bytes"],
            "from": before,
            "to": after,
        }


def plan(moves: int) -> list[str]:
    half = (moves + 1) // 2
    return ["ArrowRight"] * half + ["ArrowLeft"] * (moves - half)


def flip(key: str) -> str:
    return "ArrowLeft" if key == "ArrowRight" else "ArrowRight"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=4, help="keyboard moves per slider (default 4)")
    parser.add_argument("--notebooks", nargs="*", default=None,
                        help="notebook name prefixes (e.g. 01 07); default: every notebook")
    parser.add_argument("--verbose", action="store_true", help="print every move")
    parser.add_argument("--course-from", type=Path, default=None, metavar="DIR",
                        help="the kernels import DIR/course_utils (e.g. an earlier commit's, exported)")
    args = parser.parse_args()
    if args.course_from is not None:
        if not (args.course_from / "course_utils" / "__init__.py").is_file():
            parser.error(f"--course-from {args.course_from}: no course_utils/__init__.py there")
        folder = str(args.course_from.resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join([folder, *filter(None, [os.environ.get("PYTHONPATH")])])

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("slider_latency: skipped, the Python package playwright is missing")
        return 0
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        print(f"slider_latency: skipped, Chromium is missing ({chromium}); apt-get install -y chromium")
        return 0

    sys.path.insert(0, str(ROOT))  # tools.lab (the server's command line)
    if args.course_from is not None:
        sys.path.insert(0, str(args.course_from.resolve()))  # figure_sizes draws with the kernels' course_utils
    conftest = load_module("_browser_conftest", BROWSER_TESTS / "conftest.py")
    browser_tests = load_module("_browser_tests", BROWSER_TESTS / "test_notebooks_in_browser.py")
    NotebookPage = browser_tests.NotebookPage

    notebooks = conftest.discover_notebooks(ROOT / "notebooks")
    if args.notebooks:
        notebooks = [p for p in notebooks if any(p.stem.startswith(prefix) for prefix in args.notebooks)]
    sizes = figure_sizes()

    with open("/proc/loadavg") as f:
        load_start = f.read().split()[:3]
    root = Path(tempfile.mkdtemp(prefix="slider_latency_root_"))
    state = Path(tempfile.mkdtemp(prefix="slider_latency_state_"))
    bare_source = Path(tempfile.mkdtemp(prefix="slider_latency_bare_")) / "bare_interact.ipynb"
    bare_order = bare_notebook(bare_source, sizes)
    results: dict[str, dict[str, list]] = {}
    lab = conftest.Lab(root, state)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=conftest.CHROMIUM_ARGS)
            version = browser.version

            def opened(source: Path) -> Any:
                page = NotebookPage(lab, browser, source)
                page.start(timeout=browser_tests.RUN_ALL_TIMEOUT)  # every cell rendered, kernel idle; Run All
                cells = page.wait_executed()  # folded solutions count once they show their output
                page.assert_clean("after Run All")
                page.assert_executed(cells)
                page.wait_widgets()
                return page

            bare = opened(bare_source)
            bare_mover = Mover(bare)
            import course_utils

            print(f"course_utils from {Path(course_utils.__file__).parent}")
            print(f"JupyterLab on 127.0.0.1:{lab.port}, Chromium {version}, {os.cpu_count()} CPUs; "
                  f"{args.moves} moves per slider; load average at the start {' '.join(load_start)}")
            for source in notebooks:
                page = opened(source)
                try:
                    mover = Mover(page)
                    course, floor = [], []
                    sliders = mover.sliders()
                    bare_index = bare_order.index(source.stem) if source.stem in bare_order else 0
                    for index, j, label in sliders:
                        keys = plan(args.moves)
                        for step in range(len(keys)):
                            key = keys[step]
                            if mover.at_end(mover.handle(index, j), key):
                                keys[step:] = [flip(k) for k in keys[step:]]
                                key = keys[step]
                            what = f"{source.stem}, interact {index + 1}, {label!r} {key}"
                            move = mover.move(index, j, key, what)
                            course.append(move)
                            floor_move = bare_mover.move(bare_index, 0, "ArrowRight", f"bare interact {bare_index + 1}")
                            floor.append(floor_move)
                            if args.verbose:
                                print(f"  {source.stem[:2]} {label:<34} {key:<10} {move['from']:>10} -> {move['to']:<10} "
                                      f"{move['ms']:7.1f} ms ({move['bytes'] / 1e3:5.1f} kB)   bare {floor_move['ms']:6.1f} ms "
                                      f"({floor_move['bytes'] / 1e3:5.1f} kB)", flush=True)
                    results[source.stem] = {"course": course, "bare": floor}
                finally:
                    page.close()
            bare.close()
            browser.close()
    finally:
        lab.stop()
        for folder in (root, state, bare_source.parent):
            shutil.rmtree(folder, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load_end = f.read().split()[:3]

    report(results, sizes)
    print(f"load average at the end {' '.join(load_end)}")
    return 0


def report(results: dict[str, dict[str, list]], sizes: dict[str, tuple[float, float, float]]) -> None:
    print()
    header = (f"{'notebook':<36} {'moves':>5} {'median':>7} {'p90':>6} {'max':>6} {'kB':>5}   "
              f"{'bare med':>8} {'p90':>6} {'max':>6}   {'× med':>5} {'× p90':>5}")
    print(header + "\n" + "-" * len(header))
    all_course, all_bare = [], []
    for stem, moves in results.items():
        course = [m["ms"] for m in moves["course"]]
        floor = [m["ms"] for m in moves["bare"]]
        all_course += course
        all_bare += floor
        if not course:
            print(f"{stem:<36} {0:>5}   (no slider)")
            continue
        kb = statistics.median(m["bytes"] for m in moves["course"]) / 1e3
        c, b = summary(course), summary(floor)
        print(f"{stem:<36} {len(course):>5} {c[0]:7.0f} {c[1]:6.0f} {c[2]:6.0f} {kb:5.0f}   "
              f"{b[0]:8.0f} {b[1]:6.0f} {b[2]:6.0f}   {c[0] / b[0]:5.2f} {c[1] / b[1]:5.2f}")
    if not all_course:
        print("no slider moved")
        return
    c, b = summary(all_course), summary(all_bare)
    print("-" * len(header))
    print(f"{'all notebooks':<36} {len(all_course):>5} {c[0]:7.0f} {c[1]:6.0f} {c[2]:6.0f} {'':>5}   "
          f"{b[0]:8.0f} {b[1]:6.0f} {b[2]:6.0f}   {c[0] / b[0]:5.2f} {c[1] / b[1]:5.2f}")
    print("times in ms, keydown on a slider handle -> the interact's new figure <img> in the page and loaded; "
          "kB: median PNG size")
    goals = [
        (f"median <= {GOAL_MEDIAN}x bare", c[0] / b[0] <= GOAL_MEDIAN, f"{c[0] / b[0]:.2f}x"),
        (f"p90 <= {GOAL_P90}x bare", c[1] / b[1] <= GOAL_P90, f"{c[1] / b[1]:.2f}x"),
        (f"every move <= {GOAL_MAX_MS:.0f} ms", c[2] <= GOAL_MAX_MS, f"max {c[2]:.0f} ms"),
    ]
    print("goals: " + "; ".join(f"{name}: {shown} {'ok' if ok else 'MISSED'}" for name, ok, shown in goals))


if __name__ == "__main__":
    sys.exit(main())
