"""How immediate the sliders feel, and how long each notebook takes under nbval.

For every explorer of every notebook (``course_utils.lessons.explorers()``):
  * its median time per call, computing and rendering the figure to PNG as the
    inline backend does, at the defaults and at its most expensive setting
    (the slowest corner of the controls' ranges, found by trying them all);
    'cold' clears the package's result caches before every call (a value the
    learner has not seen yet), 'warm' does not (a value seen before);
  * a bare render of an empty figure of the same size, measured side by side,
    and the ratio cold / bare.
Figures are drawn with the settings of ``course_utils.setup()``, which every
notebook calls first.
Then each notebook's time under strict nbval, kernel start included.

    python benchmarks/sliders.py [--reps 7] [--no-nbval]
"""

from __future__ import annotations

import argparse
import functools
import io
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import course_utils  # noqa: E402
from course_utils.lessons import explorers  # noqa: E402
from course_utils.lessons.explorer import control_values  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def clear_caches() -> None:
    """Forget every result the package remembers (lru_cache'd functions)."""
    for name, module in list(sys.modules.items()):
        if name == "course_utils" or name.startswith("course_utils."):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()


def render(fig) -> None:
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def time_call(explorer, values: dict, cold: bool) -> tuple[float, tuple[float, float]]:
    if cold:
        clear_caches()
    start = time.perf_counter()
    fig = explorer.figure(**values)
    size = tuple(fig.get_size_inches())
    render(fig)
    return time.perf_counter() - start, size


def time_bare(size: tuple[float, float]) -> float:
    start = time.perf_counter()
    fig, _ = plt.subplots(figsize=size)
    render(fig)
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def corners(explorer) -> list[dict]:
    """Every combination of each control's extreme values (at most 256)."""
    controls = explorer.controls()
    names = list(controls)
    choices = []
    for name in names:
        values = control_values(controls[name])
        choices.append(values if len(values) <= 4 else [values[0], values[-1]])
    combos = list(itertools.islice(itertools.product(*choices), 256))
    return [dict(zip(names, combo)) for combo in combos]


def bench_explorer(explorer, reps: int) -> dict:
    time_call(explorer, {}, cold=True)  # imports and first-draw costs out of the way
    # one cold call per corner, then the three slowest again: the slowest median wins
    scanned = sorted(corners(explorer), key=lambda values: -time_call(explorer, values, cold=True)[0])
    slowest = max(
        scanned[:3],
        key=lambda values: statistics.median(time_call(explorer, values, cold=True)[0] for _ in range(3)),
    )
    row = {"name": explorer.name, "notebook": explorer.notebook, "max_setting": slowest}
    for label, values in [("default", {}), ("max", slowest)]:
        cold, warm, bare = [], [], []
        for _ in range(reps):
            elapsed, size = time_call(explorer, values, cold=True)
            cold.append(elapsed)
            warm.append(time_call(explorer, values, cold=False)[0])
            bare.append(time_bare(size))
        row[label] = (median_ms(cold), median_ms(warm), median_ms(bare))
    return row


def nbval_seconds(notebook: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "nbval_sanitize.cfg"), str(notebook)],
        cwd=ROOT, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-2000:], file=sys.stderr)
        return float("nan")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--no-nbval", action="store_true")
    args = parser.parse_args()
    import torch

    course_utils.setup()  # as every notebook does first (figure dpi, print precision)
    print(f"course_utils {course_utils.__version__}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs; median of {args.reps}")
    print()
    header = (f"{'explorer':<28} {'setting':<8} {'cold ms':>8} {'warm ms':>8} {'bare ms':>8} "
              f"{'cold/bare':>9}  goal")
    print(header)
    print("-" * len(header))
    misses = 0
    for explorer in sorted(explorers().values(), key=lambda e: (e.notebook, e.name)):
        row = bench_explorer(explorer, args.reps)
        for label, goal in [("default", 100.0), ("max", 300.0)]:
            cold, warm, bare = row[label]
            ok = cold <= goal
            misses += not ok
            print(f"{explorer.name:<28} {label:<8} {cold:8.1f} {warm:8.1f} {bare:8.1f} {cold / bare:9.1f}  "
                  f"<= {goal:.0f} ms {'ok' if ok else 'MISSED'}")
        shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row["max_setting"].items())
        print(f"{'':<28} max setting: {shown}")
    print()
    if not args.no_nbval:
        print(f"{'notebook':<40} {'nbval s':>8}  goal")
        for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
            seconds = nbval_seconds(notebook)
            goal = "<= 30 s" if notebook.name.startswith("07") else "<= 15 s"
            ok = seconds <= (30.0 if notebook.name.startswith("07") else 15.0)
            misses += not ok
            print(f"{notebook.stem:<40} {seconds:8.1f}  {goal} {'ok' if ok else 'MISSED'}")
    print(f"\n{misses} goals missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
