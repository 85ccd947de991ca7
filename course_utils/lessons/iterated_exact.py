"""Notebook 04: exact solutions when S is applied several times, by lifting.

Two applications, ``S S X = Y``, are quadratic in S. Choose the hidden state
``H = S X`` yourself (n x m, like X); then both steps are linear in S and
can be stacked side by side:

    S [X  H] = [H  Y]

which is one application of S to the lifted data ``[X H]`` with targets
``[H Y]``: notebook 02's ``exact_solution`` solves it. For k applications
choose k - 1 hidden states: ``S [X H_1 ... H_{k-1}] = [H_1 ... H_{k-1} Y]``.

For the seed's data (X = e1, Y = 2·e3) and H = a·e2 this gives the
one-parameter family ``S(a) = a·e2e1ᵀ + (2/a)·e3e2ᵀ``: S²X = Y for every
a ≠ 0, a 1-1-1 network living just below the diagonal.

Which mask entries does a solution need? Entry (i, j) of S carries the
signal from coordinate j to coordinate i, so ``S^k`` can move e1 to e3 only
along a route e1 → e_{j_1} → ... → e3 of k allowed entries; ``(Ω^k)[3, 1]``
counts those routes. With Init = 0 and no route, row 3 of ``S^k X`` is 0
whatever U is, so the loss can never go below ``|Y[3]| = 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from scipy.optimize import least_squares

from .._checks import as_matrix, check_int, check_mask, check_real, describe
from ..data import seed_data
from ..exact import lift_solve
from ..plotting import basis_labels, describe_figure, description, matrix_summary, plot_trajectory
from ..training import iterate, unroll
from .cache import copied
from .explorer import explorer

__all__ = [
    "explore_family",
    "family_member",
    "family_table",
    "lifting_table",
    "loss_floor",
    "LossFloor",
    "mask_report",
    "mask_without",
    "masked_run",
    "routes",
    "seed_family",
    "subdiagonal_mask",
    "support",
]


def seed_family(a: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``S(a) = a·e2e1ᵀ + (2/a)·e3e2ᵀ`` (3 x 3), the exact two-step solutions
    for the seed's data: ``S(a) e1 = a·e2`` and ``S(a)(a·e2) = 2·e3``, so
    ``S(a)² e1 = 2·e3`` for every a ≠ 0 (notebook 04).

    Args:
        a: the hidden value, any real number but 0.
        dtype: floating dtype of the result.
    """
    a = check_real(a, "a")
    if a == 0:
        raise ValueError("a must not be 0: S(a) = a·e2e1ᵀ + (2/a)·e3e2ᵀ needs 2/a, got a = 0")
    S = torch.zeros((3, 3), dtype=dtype)
    S[1, 0] = a
    S[2, 1] = 2.0 / a
    return S


def family_table(values: Sequence[float]) -> str:
    """For each a: ``||S(a)² X - Y||`` by substitution, whether lifting with
    ``H = a·e2`` returns S(a), and ``||S(a)||_F`` (seed data; notebook 04)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise TypeError(f"values must be a non-empty list of numbers a ≠ 0, got {describe(values)}")
    from ..data import seed_data

    X, Y = seed_data(torch.float64)
    e2 = torch.tensor([[0.0], [1.0], [0.0]], dtype=torch.float64)
    lines = ["     a   ||S(a)² X - Y||   lifting with H = a·e₂ gives S(a)   ||S(a)||_F"]
    for a in values:
        S = seed_family(a)
        lifted = lift_solve(X, Y, a * e2)
        error = float(torch.linalg.matrix_norm(iterate(S, X, 2)[-1] - Y))
        same = bool(torch.allclose(lifted.matrix, S, atol=1e-12))
        lines.append(f"{a:+6.2f}   {error:15.4f}   {str(same):>32}   {float(torch.linalg.matrix_norm(S)):10.4f}")
    return "\n".join(lines)


def lifting_table(X: Any, Y: Any, hidden: dict[str, Any], Init: Any = None, Omega: Any = None) -> str:
    """One line per named choice of hidden state(s): the lifted residual, the
    loss ``||S^k X - Y||`` and the entries the solution S uses (notebook 04)."""
    if not isinstance(hidden, dict) or not hidden:
        raise TypeError(f"hidden must be a non-empty dict of name -> hidden state(s), got {describe(hidden)}")
    width = max(len(name) for name in hidden)
    lines = [f"{'hidden state':{width}}  lifted residual    loss  entries of S used"]
    for name, H in hidden.items():
        sol = lift_solve(X, Y, H, Init, Omega)
        lines.append(f"{name:{width}}  {sol.lifted_residual:15.4f}  {sol.loss:6.4f}  {_format_entries(support(sol.matrix))}")
    return "\n".join(lines)


def support(U: Any, tol: float = 1e-9) -> list[tuple[int, int]]:
    """The entries (i, j), counted from 1 as in e_i, where ``|U[i, j]| > tol``:
    the entries of the mask a solution uses (notebook 04)."""
    U = as_matrix(U, "U")
    tol = check_real(tol, "tol", minimum=0.0)
    return [(int(i) + 1, int(j) + 1) for i, j in torch.nonzero(U.abs() > tol).tolist()]


def mask_without(*entries: tuple[int, int], n: int = 3, base: Any = None) -> torch.Tensor:
    """A 0/1 mask: ``base`` (all ones if None) with the given entries set to 0.

    Entries are (i, j) pairs counted from 1, e.g. ``mask_without((2, 1))``
    forbids the entry that carries e1 into e2 (notebook 04).
    """
    n = check_int(n, "n", minimum=1)
    mask = torch.ones((n, n), dtype=torch.float64) if base is None else check_mask(base, "base", n, torch.float64).clone()
    n = mask.shape[0]
    for entry in entries:
        if not (isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(v, int) for v in entry)):
            raise TypeError(f"entries must be (i, j) pairs of integers counted from 1, got {describe(entry)}")
        i, j = entry
        if not (1 <= i <= n and 1 <= j <= n):
            raise ValueError(f"entries must lie in 1..{n}, got {entry}")
        mask[i - 1, j - 1] = 0
    return mask


def subdiagonal_mask(n: int = 3) -> torch.Tensor:
    """The mask with ones just below the diagonal, entries (i+1, i): the
    layers of a 1-1-...-1 network (notebook 04)."""
    n = check_int(n, "n", minimum=2)
    return torch.diag(torch.ones(n - 1, dtype=torch.float64), -1)


def routes(Omega: Any, iterations: int = 2, source: int = 1, target: int | None = None) -> list[list[tuple[int, int]]]:
    """Every route from e_source to e_target through ``iterations`` allowed
    entries of the mask, as lists of entries (i, j) counted from 1 (notebook 04).

    A route e_source → e_{j_1} → ... → e_target uses the entries
    (j_1, source), (j_2, j_1), ..., (target, j_{k-1}); their number is
    ``(Ω^k)[target, source]``. Without any route, ``S^k`` (Init = 0) cannot
    carry anything from e_source to e_target.

    Args:
        Omega: 0/1 mask, n x n.
        iterations: the route's length k (>= 1).
        source: the input coordinate (default e1).
        target: the output coordinate (default e_n).
    """
    mask = as_matrix(Omega, "Omega")
    n = mask.shape[0]
    mask = check_mask(mask, "Omega", n, torch.float64)
    iterations = check_int(iterations, "iterations", minimum=1)
    source = check_int(source, "source", minimum=1, maximum=n)
    target = n if target is None else check_int(target, "target", minimum=1, maximum=n)
    found: list[list[tuple[int, int]]] = []

    def walk(at: int, path: list[tuple[int, int]]) -> None:
        if len(path) == iterations:
            if at == target:
                found.append(list(path))
            return
        for nxt in range(1, n + 1):
            if mask[nxt - 1, at - 1] == 1:
                walk(nxt, path + [(nxt, at)])

    walk(source, [])
    return found


@dataclass
class LossFloor:
    """The lowest loss found for a mask, and the U that reaches it.

    ``loss`` is the minimum over ``starts`` least-squares runs from random U
    (Init fixed): an upper bound of the true floor, equal to it when a run
    reaches it.
    """

    loss: float
    U: torch.Tensor
    losses: list[float]

    def __repr__(self) -> str:
        return f"LossFloor(loss {self.loss:.4f}, best of {len(self.losses)} starts)"


def loss_floor(
    Omega: Any,
    X: Any,
    Y: Any,
    iterations: int = 2,
    Init: Any = None,
    starts: int = 6,
    steps: int = 200,
    seed: int = 0,
) -> LossFloor:
    """The best loss ``||Y - S^k X||_F`` reachable with ``S = Init + Ω ⊙ U``,
    searched numerically (notebook 04).

    Minimises the squared loss over the free entries of U (float64) with
    ``scipy.optimize.least_squares`` (dogleg trust region, the Jacobian from
    autograd, tolerances near float64's precision) from ``starts`` random points (standard normal, drawn from
    ``torch.Generator().manual_seed(seed)``) and keeps the best. The loss is
    the one ``train`` minimises (no activation, no interim losses; the same
    iteration, ``training.unroll``); random starts avoid the saddle at U = 0.

    Args:
        Omega: 0/1 mask, n x n.
        X, Y: inputs and targets as columns, n x m.
        iterations: applications of S (k >= 1).
        Init: fixed part of S; zeros if None.
        starts: number of random starts (>= 1).
        steps: most evaluations of the loss per start (>= 1), ``max_nfev``.
        seed: seed of the private generator of the starts.
    """
    X = as_matrix(X, "X", dtype=torch.float64)
    n = X.shape[0]
    Y = as_matrix(Y, "Y", dtype=torch.float64)
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {tuple(X.shape)}, got shape {tuple(Y.shape)}")
    mask = check_mask(Omega, "Omega", n, torch.float64)
    Init_t = torch.zeros((n, n), dtype=torch.float64) if Init is None else as_matrix(
        Init, "Init", rows=n, cols=n, dtype=torch.float64
    )
    iterations = check_int(iterations, "iterations", minimum=1)
    starts = check_int(starts, "starts", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)

    free = mask.reshape(-1).bool()

    def U_of(p: torch.Tensor) -> torch.Tensor:
        return torch.zeros(n * n, dtype=torch.float64).masked_scatter(free, p).reshape(n, n)

    def residual_of(p: torch.Tensor) -> torch.Tensor:
        Z = [X, *unroll(Init_t + U_of(p), X, iterations)][-1]
        return (Y - Z).reshape(-1)

    best_loss, best_U, losses = float("inf"), torch.zeros((n, n), dtype=torch.float64), []
    for _ in range(starts):
        start = torch.randn((n, n), generator=generator, dtype=torch.float64).reshape(-1)[free]
        if start.numel():
            start = torch.from_numpy(least_squares(
                lambda p: residual_of(torch.from_numpy(p)).numpy(),
                start.numpy(),
                jac=lambda p: torch.autograd.functional.jacobian(residual_of, torch.from_numpy(p)).numpy(),
                method="dogbox", ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=steps,
            ).x)
        value = float(torch.linalg.vector_norm(residual_of(start)))
        losses.append(value)
        if value < best_loss:
            best_loss, best_U = value, U_of(start)
    return LossFloor(best_loss, best_U, losses)


def _format_entries(entries: Sequence[tuple[int, int]]) -> str:
    return " ".join(f"({i},{j})" for i, j in entries) if entries else "none"


def mask_report(
    masks: dict[str, Any],
    X: Any,
    Y: Any,
    iterations: int = 2,
    seed: int = 0,
) -> str:
    """A table: for each named mask, its routes from e1 to e_n, the entries
    it forbids and the loss floor found by ``loss_floor`` (notebook 04).

    Args:
        masks: name -> n x n 0/1 mask.
        X, Y: inputs and targets as columns (Init = 0).
        iterations: applications of S.
        seed: seed of ``loss_floor``'s random starts.
    """
    if not isinstance(masks, dict) or not masks:
        raise TypeError(f"masks must be a non-empty dict of name -> mask, got {describe(masks)}")
    width = max(len(name) for name in masks)
    lines = [f"{'mask':{width}}  routes  loss floor  forbidden entries"]
    for name, mask in masks.items():
        mask = check_mask(mask, f"masks[{name!r}]", as_matrix(mask, f"masks[{name!r}]").shape[0], torch.float64)
        floor = loss_floor(mask, X, Y, iterations=iterations, seed=seed)
        forbidden = [(int(i) + 1, int(j) + 1) for i, j in torch.nonzero(mask == 0).tolist()]
        shown = _format_entries(forbidden) if len(forbidden) <= 4 else f"{len(forbidden)} entries"
        lines.append(f"{name:{width}}  {len(routes(mask, iterations)):6d}  {floor.loss + 0.0:10.4f}  {shown}")
    return "\n".join(lines)


def masked_run(
    Omega: Any,
    iterations: int = 2,
    init_noise: float = 0.1,
    epochs: int = 401,
    lr: float = 0.01,
    seed: int = 0,
):
    """Train the seed's problem (float64) with a mask, Init noise only where
    the mask allows it (``Init = init_noise · rand ⊙ Ω``), so that a forbidden
    entry is exactly zero (notebook 04).

    Args:
        Omega: 3 x 3 0/1 mask.
        iterations: applications of S.
        init_noise: scale of Init (>= 0).
        epochs, lr: as ``train``.
        seed: seed of the private generator of Init.

    Returns:
        (the trained SparseMatrix, its History).
    """
    from ..data import seed_data
    from ..operator import SparseMatrix
    from ..training import train

    mask = check_mask(Omega, "Omega", 3, torch.float64)
    init_noise = check_real(init_noise, "init_noise", minimum=0.0)
    seed = check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    Init = torch.rand((3, 3), generator=generator, dtype=torch.float64) * init_noise * mask
    S = SparseMatrix(3, Init=Init, Omega=mask)
    X, Y = seed_data(torch.float64)
    history = train(S, X, Y, iterations=iterations, epochs=epochs, lr=lr)
    return S, history


NOTEBOOK = "04_iterated_exact"


@copied(maxsize=256)
def family_member(a: float) -> tuple[np.ndarray, list[np.ndarray], float, float]:
    """S(a), its trajectory [X, SX, S²X] on the seed's data, ||S(a)||_F and
    ||S²X - Y||_F (a ≠ 0)."""
    X, Y = seed_data(torch.float64)
    S = seed_family(a)
    states = iterate(S, X, 2)
    return (
        S.numpy(),
        [z.numpy() for z in states],
        float(torch.linalg.matrix_norm(S)),
        float(torch.linalg.matrix_norm(states[-1] - Y)),
    )


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {"a": widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.25, description="a", style=style)}


def _draw_matrix(ax, S: np.ndarray, title: str) -> None:
    """S as an annotated heatmap, axes e₁, e₂, …; a value that rounds to 0 is written "0" (never "-0.00")."""
    bound = float(np.abs(S).max()) or 1.0
    ax.imshow(S, cmap="RdBu_r", vmin=-bound, vmax=bound)
    for (i, j), v in np.ndenumerate(S):
        text = f"{v:.2f}"
        ax.text(j, i, "0" if float(text) == 0 else text, ha="center", va="center", fontsize=9,
                color="white" if abs(v) > 0.6 * bound else "black")
    ax.set_xticks(range(S.shape[1]), basis_labels(S.shape[1]))
    ax.set_yticks(range(S.shape[0]), basis_labels(S.shape[0]))
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title)


@explorer(NOTEBOOK, _controls)
def explore_family(a: float = 1.0) -> Figure:
    """S(a) = a·e2e1ᵀ + (2/a)·e3e2ᵀ as a heatmap, and the trajectory X, SX, S²X."""
    a = float(a)
    # A fixed layout: constrained layout would double the time of a redraw.
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 2.9), gridspec_kw={"width_ratios": [1, 1.5]})
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.1, top=0.88, wspace=0.2)
    X, Y = seed_data(torch.float64)
    if a == 0:
        left.axis("off")
        left.text(0.5, 0.5, "a = 0: S e1 = 0·e2 carries nothing,\nand 2/a does not exist.\nNo member of the family.",
                  ha="center", va="center", transform=left.transAxes)
        plot_trajectory([X, 0 * X, 0 * X], target=Y, ax=right)
        right.set_title("with S e1 = 0 the signal is lost: S²X = 0")
        return describe_figure(fig, (
            "At a = 0 there is no member of the family: S e1 = 0·e2 carries nothing and 2/a does not exist. "
            f"Right, the {description(right)}: the signal is lost."
        ))
    S, states, norm, error = family_member(a)
    _draw_matrix(left, S, f"S(a), a = {a:.2f}")
    plot_trajectory(states, target=Y, ax=right)
    right.set_title(f"||S²X - Y|| = {error:.1e},  ||S||_F = {norm:.3f}")
    reached = "S²X = Y (||S²X - Y|| below 1e-12)" if error < 1e-12 else f"||S²X - Y|| = {error:.2g}"
    return describe_figure(fig, (
        f"Left, a heatmap of S(a) for a = {a:.2f} (red positive, blue negative, the values written in the cells): "
        f"{matrix_summary(S)}, ||S||_F = {norm:.3f}. Right, the {description(right)}: {reached}."
    ))
