"""How long the exercises' checks take, against their time limit.

For every exercise: the time of ``exercises.check`` on the reference answer
(the first call, which builds the hidden cases and may import what the check
needs, then the median and the slowest of the next ``--reps`` calls) and on
the example of its first catalogued mistake (a wrong answer: the checker also
evaluates the mistakes on every case). The tests keep only a generous bound
(half the time limit); this script is where the times are read.

    python benchmarks/exercises.py [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_utils import exercises
from course_utils.exercises import checking


def timed(id: str, answer, reps: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    exercises.check(id, answer)
    first = time.perf_counter() - start
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        exercises.check(id, answer)
        times.append(time.perf_counter() - start)
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torch.set_num_threads(1); time limit {checking.TIME_LIMIT:g} s per check")
    print(f"{'exercise':9} {'kind':9} {'right: first ms':>16} {'median':>8} {'max':>8}   "
          f"{'wrong: median ms':>17} {'max':>8}")
    print("-" * 86)
    slowest = 0.0
    for id in exercises.ids():
        exercise = exercises.exercise(id)
        first, right = timed(id, exercises.reference(id), args.reps)
        _, wrong = timed(id, exercise.mistakes[0].example, args.reps) if exercise.mistakes else (0.0, [0.0])
        kind = "function" if exercise.asks_for_function else "value"
        print(f"{id:9} {kind:9} {1e3 * first:16.1f} {1e3 * statistics.median(right):8.1f} {1e3 * max(right):8.1f}   "
              f"{1e3 * statistics.median(wrong):17.1f} {1e3 * max(wrong):8.1f}")
        slowest = max(slowest, first, *right, *wrong)
    print(f"slowest check {1e3 * slowest:.1f} ms: {slowest / checking.TIME_LIMIT:.1%} of the time limit")


if __name__ == "__main__":
    main()
