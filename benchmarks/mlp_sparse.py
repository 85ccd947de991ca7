"""What the iterated map of an MLP costs, against the MLP itself (notebook 07).

    python benchmarks/mlp_sparse.py [--threads 1] [--repeats 30]

Part 1, sizes [64, 128, 128, 10] and [784, 256, 256, 10], batch 256, CPU.
One training step = forward through all iterations, cross-entropy, backward,
one SGD step. Rows:

* nn.Sequential: the anchor (ratio 1).
* dense, literal S z: S = Init + Ω ⊙ U as an n x n matrix
  (``DenseMasked``), every iteration the full n x n product (the reference).
* dense masked: ``from_sequential(model, kind="dense")``, the same dense S,
  but the input rows (which copy x) are not multiplied, the product with
  the input columns is computed once per step, and so is a slot that reads
  the input alone (the first layer); the first iteration, from a zero
  state, multiplies nothing but the input columns.
* sparse (blocks): ``kind="blocks"``, one dense matrix per layer, every block
  applied at every iteration except the blocks that read a slot still zero
  (the first iteration's); the products with the input slot, which never
  changes, are computed once per step. Goal: <= 1.5x nn.Sequential.
* skipping: the same storage, ``schedule="skip"``: each slot computed once,
  when its inputs are reached. Goal: <= 1.1x.

Times: the steps of all rows are interleaved (row 1, row 2, …, row 1, …) so
that a disturbance hits every row alike; the table gives the median and the
best step. Memory: "tensors" = bytes of the parameters and fixed buffers
(Init, Ω, masks, indices); "step peak RSS" = how far the process's resident
memory rises above its level before the first step, at its peak over 3
training steps (activations, gradients, optimiser state and temporaries),
measured in a fresh subprocess per row after torch has been warmed up on a
tiny net, with Linux's VmHWM reset just before the steps, and glibc told to
return every block of 64 kB or more to the system when freed (so that RSS
follows the live tensors; torch's allocations are invisible to tracemalloc,
hence RSS). The ratio columns divide by nn.Sequential's; the time
ratio uses the best step (the least disturbed by other programs), the median
ratio is printed beside it.

Part 2, random masks (no block structure), n = 1306 (a 6-dimensional input
slot and one slot of 1300 for the rest, so that densities up to 50 % fit
below the input rows), 256 columns: time of one
application of S, forward and backward, at densities 1 % … 50 %:
dense masked, torch.sparse (a CSR tensor with torch's own autograd) and the
operator ``make_operator(kind="auto")`` picks (CSR with its sparse backward
below ``CSR_CROSSOVER``, dense masked above). Goal: operator <= 1.2x the
faster of dense masked and torch.sparse, at each density. The four are timed
in rounds (one of each per round); the ratio is the median over the rounds of
the operator's time over the faster of the other two in the same round, which
cancels most of the drift of a busy machine. "CSR ours" is ``CSRSparse`` at
every density, for the crossover.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_utils import from_sequential, random_mask  # noqa: E402
from course_utils.storage import CSR_CROSSOVER, CSRSparse, DenseMasked, make_operator  # noqa: E402

SIZES = ([64, 128, 128, 10], [784, 256, 256, 10])
BATCH = 256
ROWS = ("nn.Sequential", "dense, literal S z", "dense masked", "sparse (blocks)", "skipping")
GOALS = {"sparse (blocks)": 1.5, "skipping": 1.1}
DENSITIES = (0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.16, 0.2, 0.3, 0.4, 0.5)


def make_model(sizes: list[int]) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class LiteralDense(nn.Module):
    """z ← σ(S z + b) with the whole n x n product ``DenseMasked(z)`` at every iteration."""

    def __init__(self, imap: nn.Module) -> None:
        super().__init__()
        self.imap = imap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        imap = self.imap
        X = x.T
        Z = torch.cat([X, X.new_zeros((imap.n - imap.sizes[0], X.shape[1]))])
        for _ in range(imap.depth):
            P = imap.operator(Z)
            parts = [P[imap.slices[0]]]
            for i in range(1, len(imap.sizes)):
                pre = P[imap.slices[i]] + imap.biases[i - 1]
                parts.append(imap.activations[str(i)](pre) if str(i) in imap.activations else pre)
            Z = torch.cat(parts)
        return Z[imap.slices[-1]].T


def make_row(row: str, model: nn.Sequential):
    """(module, forward keyword arguments) of one row of the table."""
    if row == "nn.Sequential":
        return model, {}
    if row == "dense, literal S z":
        return LiteralDense(from_sequential(model, kind="dense")), {}
    if row == "dense masked":
        return from_sequential(model, kind="dense"), {}
    imap = from_sequential(model, kind="blocks")
    return imap, ({"schedule": "skip"} if row == "skipping" else {})


def tensor_bytes(module: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in [*module.parameters(), *module.buffers()])


def stepper(module: nn.Module, kwargs: dict, x: torch.Tensor, y: torch.Tensor):
    optimiser = torch.optim.SGD(module.parameters(), lr=1e-3)

    def step() -> None:
        optimiser.zero_grad()
        nn.functional.cross_entropy(module(x, **kwargs), y).backward()
        optimiser.step()

    return step


def data(sizes: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(BATCH, sizes[0], generator=g), torch.randint(0, sizes[-1], (BATCH,), generator=g)


def rss_child(row: str, sizes: list[int]) -> None:
    """Run in a fresh process: print the peak RSS rise over 3 steps, in bytes."""
    # load torch's kernels and libraries first, on something tiny
    warm = make_model([4, 4, 2])
    stepper(warm, {}, torch.randn(2, 4), torch.tensor([0, 1]))()
    from_sequential(warm, kind="dense")(torch.randn(2, 4)).sum().backward()
    model = make_model(sizes)
    module, kwargs = make_row(row, model)
    x, y = data(sizes)
    step = stepper(module, kwargs, x, y)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:  # resets VmHWM to the current RSS
        f.write("5")
    before = _status_bytes("VmRSS")
    for _ in range(3):
        step()
    # VmHWM: this process's peak resident memory (ru_maxrss would carry the
    # parent's peak over fork and exec)
    print(json.dumps({"rise": max(0, _status_bytes("VmHWM") - before)}))


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_rss(row: str, sizes: list[int], threads: int) -> int:
    code = [sys.executable, __file__, "--rss-child", row, json.dumps(sizes), "--threads", str(threads)]
    # glibc maps blocks of 64 kB and more on their own and unmaps them when
    # freed, so that resident memory follows the live tensors
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    done = subprocess.run(code, capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])["rise"]


def part1(threads: int, repeats: int) -> list[str]:
    lines = []
    for sizes in SIZES:
        model = make_model(sizes)
        x, y = data(sizes)
        rows = {row: make_row(row, model) for row in ROWS}
        steps = {row: stepper(module, kwargs, x, y) for row, (module, kwargs) in rows.items()}
        # the outputs agree before anything is timed
        with torch.no_grad():
            reference = model(x)
            for row, (module, kwargs) in rows.items():
                assert torch.allclose(module(x, **kwargs), reference, atol=1e-5), row
        times: dict[str, list[float]] = {row: [] for row in ROWS}
        for step in steps.values():  # warm up
            step()
        for _ in range(repeats):
            for row, step in steps.items():
                start = time.perf_counter()
                step()
                times[row].append(time.perf_counter() - start)
        median = {row: statistics.median(t) for row, t in times.items()}
        best = {row: min(t) for row, t in times.items()}
        anchor_bytes = tensor_bytes(model)
        anchor_rss = peak_rss("nn.Sequential", sizes, threads)
        n = sum(sizes)
        lines.append(f"sizes {sizes}  (n = {n}, batch {BATCH}, {repeats} steps per row)")
        lines.append(
            f"  {'row':<18} {'median ms':>9} {'(ratio)':>7} {'best ms':>8} {'ratio':>6} {'goal':>6} {'':>5}"
            f" {'tensors':>10} {'ratio':>6} {'step RSS':>9} {'ratio':>6}"
        )
        for row in ROWS:
            ratio = best[row] / best["nn.Sequential"]
            median_ratio = median[row] / median["nn.Sequential"]
            goal = GOALS.get(row)
            verdict = "" if goal is None else ("met" if ratio <= goal else "MISS")
            module = rows[row][0]
            size = tensor_bytes(module)
            rss = anchor_rss if row == "nn.Sequential" else peak_rss(row, sizes, threads)
            lines.append(
                f"  {row:<18} {median[row] * 1e3:9.2f} {median_ratio:6.2f}x {best[row] * 1e3:8.2f} {ratio:5.2f}x "
                f"{'' if goal is None else f'{goal:.1f}x':>6} {verdict:>5}"
                f" {size / 2**20:7.2f} MB {size / anchor_bytes:5.1f}x {rss / 2**20:6.1f} MB {rss / max(anchor_rss, 1):5.1f}x"
            )
        lines.append("")
    return lines


def builtin_csr(mask: torch.Tensor, U: torch.Tensor, n0: int):
    """torch.sparse's own CSR product with autograd, for (Init + Ω ⊙ U) Z."""
    n = mask.shape[0]
    pattern = mask.clone()
    pattern[:n0, :n0] += torch.eye(n0)
    rows, cols = pattern.nonzero(as_tuple=True)
    fixed = torch.zeros(len(rows))
    fixed[rows < n0] = 1.0  # Init: the identity on the input slot
    values = (U * mask)[rows, cols].clone().requires_grad_()
    offsets = torch.zeros(n + 1, dtype=torch.int64)
    offsets[1:] = torch.cumsum(torch.bincount(rows, minlength=n), dim=0)

    def apply(Z: torch.Tensor) -> torch.Tensor:
        with warnings.catch_warnings():  # torch's one-time "beta" notice
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            S = torch.sparse_csr_tensor(offsets, cols, fixed + values, (n, n), check_invariants=False)
        return S @ Z

    return apply, [values]


def part2(repeats: int) -> list[str]:
    sizes = [6, 1300]
    n, n0, m = sum(sizes), sizes[0], BATCH
    g = torch.Generator().manual_seed(0)
    Z = torch.randn(n, m, generator=g).requires_grad_()
    lines = [
        f"random masks, n = {n}, {m} columns: one application of S, forward + backward, best of {repeats} (ms);",
        "  ratio = median over the rounds of operator / faster of dense and torch.sparse in the same round",
        f"  {'density':>7} {'dense':>8} {'torch.sparse':>12} {'operator':>9} {'(kind)':>8} {'ratio':>6} {'goal':>5}"
        f"  {'CSR ours':>8}",
    ]
    worst = 0.0
    for density in DENSITIES:
        mask = random_mask(sizes, int(round(density * n * n)), g)
        U = torch.randn(n, n, generator=g)
        dense = DenseMasked(sizes, mask, U)
        auto = make_operator(sizes, mask, U)
        ours = auto if isinstance(auto, CSRSparse) else CSRSparse(sizes, mask, U)
        apply_builtin, builtin_params = builtin_csr(mask, U, n0)
        runs = {
            "dense": (dense, list(dense.parameters())),
            "torch.sparse": (apply_builtin, builtin_params),
            "operator": (auto, list(auto.parameters())),
            "csr": (ours, list(ours.parameters())),
        }
        best = {name: float("inf") for name in runs}
        paired = []  # per round: operator / faster of dense and torch.sparse, same round
        for k in range(repeats + 1):
            round_times = {}
            for name, (apply, params) in runs.items():
                start = time.perf_counter()
                apply(Z).sum().backward()
                round_times[name] = time.perf_counter() - start
                for p in params + [Z]:
                    p.grad = None
            if k:  # the first round warms up
                for name, elapsed in round_times.items():
                    best[name] = min(best[name], elapsed)
                paired.append(round_times["operator"] / min(round_times["dense"], round_times["torch.sparse"]))
        ratio = statistics.median(paired)
        worst = max(worst, ratio)
        lines.append(
            f"  {density:7.0%} {best['dense'] * 1e3:8.2f} {best['torch.sparse'] * 1e3:12.2f} "
            f"{best['operator'] * 1e3:9.2f} {auto.kind:>8} {ratio:5.2f}x {'met' if ratio <= 1.2 else 'MISS':>5}"
            f"  {best['csr'] * 1e3:8.2f}"
        )
    lines.append(f"  worst ratio {worst:.2f}x (goal <= 1.2x); CSR_CROSSOVER = {CSR_CROSSOVER:.0%}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads for every measurement")
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per row")
    parser.add_argument("--part", type=int, choices=(1, 2), help="run only part 1 or part 2")
    parser.add_argument("--rss-child", nargs=2, metavar=("ROW", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.rss_child:
        rss_child(args.rss_child[0], json.loads(args.rss_child[1]))
        return 0
    print(f"torch {torch.__version__}, torch.set_num_threads({torch.get_num_threads()}), "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} CPUs")
    print("time ratio = best step / nn.Sequential's best step (median ratio in brackets); memory ratios against nn.Sequential's")
    print()
    if args.part in (None, 1):
        for line in part1(args.threads, args.repeats):
            print(line, flush=True)
    if args.part in (None, 2):
        for line in part2(max(5, args.repeats // 2)):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
