"""Notebook 02: around the exact solution, the family, the checks, the figures.

For one application of ``S = Init + Ω ⊙ U`` the equation ``S X = Y`` is
linear in U. ``exact_solution`` (in ``exact.py``) picks the minimum-norm
least-squares U; this module holds what the notebook sets beside it:

- ``padded_solution``: the seed's way for m < n examples: append n - m columns
  to X (and targets for them) to make it square, then solve exactly. Each
  padding gives another member of the family of exact solutions.
- ``normal_residual`` and ``row_residuals``: the checks of a least-squares U.
- ``solution_table``: residual and size of several candidate U, as text.
- ``sweep_examples``: residual and ``||U||_F`` of the exact U as the number of
  examples grows, and ``explore_examples``, its slider;
- ``plot_norms`` and ``plot_sweep``: the notebook's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from .._checks import as_matrix, check_int, check_mask, check_real, describe
from ..data import example_data
from ..exact import exact_solution, residual
from ..plotting import PALETTE, _describe, describe_figure, new_axes
from .cache import copied
from .explorer import explorer

__all__ = [
    "explore_examples",
    "M_MAX",
    "normal_residual",
    "padded_solution",
    "plot_norms",
    "plot_sweep",
    "row_residuals",
    "solution_table",
    "Sweep",
    "sweep_examples",
]


def _operator(X: torch.Tensor, U: Any, Init: Any, Omega: Any) -> torch.Tensor:
    """``Init + Ω ⊙ U`` in X's dtype, the parts checked against X's size."""
    n = X.shape[0]
    U = as_matrix(U, "U", rows=n, cols=n, dtype=X.dtype)
    Init = torch.zeros((n, n), dtype=X.dtype) if Init is None else as_matrix(Init, "Init", rows=n, cols=n, dtype=X.dtype)
    Omega = torch.ones((n, n), dtype=X.dtype) if Omega is None else check_mask(Omega, "Omega", n, X.dtype)
    return Init + Omega * U


def padded_solution(X: Any, Y: Any, padding: Any, Init: Any = None, targets: Any = None) -> torch.Tensor:
    """The exact U for X padded to a square matrix (the seed's construction, notebook 02).

    Solves ``(Init + U) [X Q] = [Y T]``: with ``[X Q]`` invertible there is one
    such U, and it also solves ``(Init + U) X = Y``. Each choice of the
    padding Q (and of the targets T of its columns) gives a member of the
    family of exact solutions.

    Args:
        X: inputs as columns, n x m with m < n.
        Y: targets, n x m.
        padding: the extra columns Q, n x (n - m).
        Init: fixed part of the operator, n x n; zeros if None.
        targets: where the extra columns should go, T, n x (n - m); zeros if None.
    """
    X = as_matrix(X, "X")
    n, m = X.shape
    if m >= n:
        raise ValueError(f"X must have fewer columns than rows to be padded, got shape {tuple(X.shape)}")
    Y = as_matrix(Y, "Y", rows=n, cols=m, dtype=X.dtype)
    P = as_matrix(padding, "padding", rows=n, cols=n - m, dtype=X.dtype)
    T = torch.zeros_like(P) if targets is None else as_matrix(targets, "targets", rows=n, cols=n - m, dtype=X.dtype)
    square = torch.hstack((X, P))
    if int(torch.linalg.matrix_rank(square.double())) < n:
        raise ValueError("padding must make [X padding] invertible; these columns are linearly dependent on X's")
    return exact_solution(square, torch.hstack((Y, T)), Init=Init)


def normal_residual(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> float:
    """``||Ω ⊙ ((S X - Y) Xᵀ)||_F``: zero exactly when U is a least-squares solution.

    These are the normal equations: the residual ``S X - Y`` is orthogonal to
    every direction U may move in (the rows of X, for each free entry). It is
    also the gradient of ``½ ||S X - Y||_F²`` with respect to U.

    Args:
        X, Y: inputs and targets as columns, n x m each.
        U: the candidate update, n x n.
        Init, Omega: as in ``exact_solution``.
    """
    X = as_matrix(X, "X")
    Y = as_matrix(Y, "Y", rows=X.shape[0], cols=X.shape[1], dtype=X.dtype)
    n = X.shape[0]
    Omega = torch.ones((n, n), dtype=X.dtype) if Omega is None else check_mask(Omega, "Omega", n, X.dtype)
    S = _operator(X, U, Init, Omega)
    return float(torch.linalg.matrix_norm(Omega * ((S @ X - Y) @ X.T), ord="fro"))


def row_residuals(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> torch.Tensor:
    """The residual of each row, ``||(S X - Y)[i, :]||``, as a 1-D tensor.

    With a mask every row of U is its own least-squares problem; this shows
    which rows are solved exactly and which only in the least-squares sense.
    """
    X = as_matrix(X, "X")
    Y = as_matrix(Y, "Y", rows=X.shape[0], cols=X.shape[1], dtype=X.dtype)
    return torch.linalg.vector_norm(_operator(X, U, Init, Omega) @ X - Y, dim=1)


def solution_table(
    X: Any,
    Y: Any,
    solutions: Mapping[str, Any],
    Init: Any = None,
    Omega: Any = None,
    reference: str | None = None,
    squared: bool = True,
    digits: int = 4,
) -> str:
    """A text table: for each named U, the residual ``||S X - Y||_F`` and the size of U.

    The size is ``||U||_F²`` (or ``||U||_F`` when ``squared`` is False). With
    ``reference`` (one of the names) a third column gives the distance
    ``||U - U_reference||_F`` (squared likewise), so that Pythagoras
    ``||U||² = ||U_ref||² + ||U - U_ref||²`` can be read off when it holds.

    Args:
        X, Y: inputs and targets as columns.
        solutions: name -> U (n x n).
        Init, Omega: as in ``exact_solution``.
        reference: name of the U to measure distances from, or None.
        squared: print squared norms (True) or norms.
        digits: decimals printed.
    """
    if not isinstance(solutions, Mapping) or not solutions:
        raise TypeError(f"solutions must be a non-empty dict of name -> U, got {describe(solutions)}")
    if reference is not None and reference not in solutions:
        raise ValueError(f"reference must be one of {list(solutions)}, got {reference!r}")
    X = as_matrix(X, "X")
    n = X.shape[0]
    Us = {
        name: as_matrix(U, f"solutions[{name!r}]", rows=n, cols=n, dtype=X.dtype).detach()
        for name, U in solutions.items()
    }

    def size(A: torch.Tensor) -> float:
        value = float((A * A).sum())
        return value if squared else value**0.5

    power = "²" if squared else ""
    width = max(12, *(len(name) for name in Us))
    header = f"{'':{width}}  {'||SX - Y||_F':>13}  {'||U||_F' + power:>10}"
    if reference is not None:
        header += f"  {'||U - U_ref||_F' + power:>17}"
    lines = [header]
    for name, U in Us.items():
        line = f"{name:{width}}  {residual(X, Y, U, Init, Omega):13.{digits}f}  {size(U):10.{digits}f}"
        if reference is not None:
            line += f"  {size(U - Us[reference]):17.{digits}f}"
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Sweep:
    """Residual and size of the exact U for m = 1 .. len(residuals) examples."""

    ms: tuple[int, ...]
    residuals: tuple[float, ...]
    norms: tuple[float, ...]
    norm_A: float
    n: int
    noise: float


def sweep_examples(noise: float = 0.0, m_max: int = 8, n: int = 3, seed: int = 0) -> Sweep:
    """For m = 1 .. m_max examples of ``example_data``, the exact U's residual and ``||U||_F``.

    ``Init = 0`` and ``Ω = 1`` (the seed's exact solution), so ``U = Y pinv(X)``.
    Cached: the slider of notebook 02 asks for the same noise many times.

    Args:
        noise: scale of the noise in Y (>= 0).
        m_max: the largest number of examples.
        n: dimension of the examples.
        seed: seed of ``example_data``.
    """
    noise = check_real(noise, "noise", minimum=0.0)
    m_max = check_int(m_max, "m_max", minimum=1)
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    return _sweep(noise, m_max, n, seed)


@copied(maxsize=128)
def _sweep(noise: float, m_max: int, n: int, seed: int) -> Sweep:
    X, Y, A = example_data(m_max, noise, n, seed)
    residuals, norms = [], []
    for m in range(1, m_max + 1):
        U = exact_solution(X[:, :m], Y[:, :m])
        residuals.append(residual(X[:, :m], Y[:, :m], U))
        norms.append(float(torch.linalg.matrix_norm(U)))
    return Sweep(tuple(range(1, m_max + 1)), tuple(residuals), tuple(norms), float(torch.linalg.matrix_norm(A)), n, float(noise))


#: colours: the member set apart (also hatched), and the others; the residual's line
HIGHLIGHT, PLAIN, RESIDUAL = PALETTE[1], PALETTE[0], PALETTE[3]


def plot_norms(
    solutions: Mapping[str, Any],
    highlight: str | None = None,
    ax: Axes | None = None,
    title: str | None = "size of each solution",
) -> Figure:
    """Horizontal bars of ``||U||_F`` for each named U, the values written beside them.

    Args:
        solutions: name -> U (any 2-D matrix).
        highlight: the name drawn in a second colour; by default the smallest.
        ax: draw there instead of on a new figure.
        title: the axes' title (None for none).
    """
    if not isinstance(solutions, Mapping) or not solutions:
        raise TypeError(f"solutions must be a non-empty dict of name -> U, got {describe(solutions)}")
    names = list(solutions)
    norms = [float(torch.linalg.matrix_norm(as_matrix(U, f"solutions[{name!r}]", dtype=torch.float64))) for name, U in solutions.items()]
    if highlight is None:
        highlight = names[int(np.argmin(norms))]
    elif highlight not in solutions:
        raise ValueError(f"highlight must be one of {names}, got {highlight!r}")
    owned = ax is None
    ax = new_axes(ax, figsize=(6.0, 0.45 * len(names) + 1.2))
    rows = np.arange(len(names))[::-1]  # first name on top
    bars = ax.barh(rows, norms, color=[HIGHLIGHT if name == highlight else PLAIN for name in names])
    bars[names.index(highlight)].set_hatch("//")  # set apart by more than its colour
    for row, value in zip(rows, norms):
        ax.annotate(f"{value:.3f}", xy=(value, row), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(rows, names)
    ax.set_xlim(0, max(norms) * 1.2 if max(norms) > 0 else 1.0)
    ax.set_xlabel("||U||_F")
    ax.grid(axis="y", visible=False)
    if title is not None:
        ax.set_title(title)
    smallest = " (the smallest)" if norms[names.index(highlight)] == min(norms) else ""
    values = "; ".join(f"{name} {value:.3f}" for name, value in zip(names, norms))
    return _describe(ax, f"horizontal bars of ||U||_F, one per solution: {values}; {highlight}{smallest} is set apart "
                         f"(hatched, in orange)", owned)


def plot_sweep(sweep: Sweep, m: int) -> Figure:
    """Residual ``||S X - Y||_F`` and ``||U||_F`` of the exact U against the number of examples.

    Both are drawn on one axes against m; the column of ``m`` examples is
    highlighted, a dashed line marks ``m = n`` (left of it a family of exact
    solutions, the minimum-norm one drawn; right of it least squares), a dotted
    one ``||A||_F`` of the operator that made the data.

    Args:
        sweep: what ``sweep_examples`` computed.
        m: the number of examples to highlight.
    """
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep must be what sweep_examples returns, got {describe(sweep)}")
    m = check_int(m, "m", minimum=1, maximum=len(sweep.ms))
    ms = np.array(sweep.ms)
    fig = plt.figure(figsize=(7.5, 3.5))
    fig.subplots_adjust(left=0.07, right=0.7, bottom=0.14, top=0.88)  # fixed: faster than constrained
    ax = fig.add_subplot()
    ax.axvspan(m - 0.4, m + 0.4, facecolor=to_rgba(HIGHLIGHT, 0.15), linewidth=0, hatch="//", hatchcolor=to_rgba(HIGHLIGHT, 0.5))
    ax.plot(ms, sweep.norms, "o-", color=PLAIN, label="||U||_F")
    ax.plot(ms, sweep.residuals, "s-", color=RESIDUAL, label="residual ||SX - Y||_F")
    ax.axhline(sweep.norm_A, color="black", linestyle=":", linewidth=1, label="||A||_F (made the data)")
    ax.axvline(sweep.n + 0.5, color="grey", linestyle="--", linewidth=1)
    top = max(max(sweep.norms), max(sweep.residuals), sweep.norm_A) * 1.2
    ax.set_ylim(0, top)
    ax.set_xlim(0.5, ms[-1] + 0.5)
    ax.text(sweep.n + 0.4, 0.97 * top, "a family: min norm ", ha="right", va="top", fontsize=8, color="grey")
    ax.text(sweep.n + 0.6, 0.97 * top, " least squares", ha="left", va="top", fontsize=8, color="grey")
    ax.set_xticks(ms)
    ax.set_xlabel("number of examples m")
    ax.grid(axis="x", visible=False)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9, frameon=False)
    k = m - 1
    ax.set_title(f"n = {sweep.n}, m = {m}, noise {sweep.noise:.2f}:  residual {sweep.residuals[k]:.3f},  ||U||_F {sweep.norms[k]:.3f}",
                 loc="left")
    exact = [mm for mm, r in zip(sweep.ms, sweep.residuals) if r < 5e-4]
    if len(exact) == len(ms):
        fits = "The residual is 0 (to 3 decimals) for every m"
    else:
        fits = (f"The residual is 0 (to 3 decimals) for m = {_ranges(exact)}" if exact else "The residual is never 0 (to 3 decimals)")
        fits += f" and {sweep.residuals[-1]:.3f} at m = {len(ms)}"
    return describe_figure(fig, (
        f"Two lines against the number of examples m = 1 to {len(ms)}, for n = {sweep.n} and noise {sweep.noise:.2f}: "
        f"||U||_F of the exact U (dots) and its residual ||SX - Y||_F (squares); the dotted line is ||A||_F = {sweep.norm_A:.3f}, "
        f"the dashed one m = n (left: a family, the minimum-norm member drawn; right: least squares). "
        f"At m = {m} (the hatched column): residual {sweep.residuals[k]:.3f}, ||U||_F {sweep.norms[k]:.3f}. "
        f"{fits}; ||U||_F goes from {sweep.norms[0]:.3f} at m = 1 to {sweep.norms[-1]:.3f} at m = {len(ms)}."
    ))


def _ranges(values: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``"1 to 3, 5"``."""
    groups: list[list[int]] = []
    for v in values:
        if groups and v == groups[-1][-1] + 1:
            groups[-1].append(v)
        else:
            groups.append([v])
    return ", ".join(f"{g[0]} to {g[-1]}" if len(g) > 2 else ", ".join(map(str, g)) for g in groups)


NOTEBOOK = "02_exact_inverse"


#: the largest number of examples the slider offers (n = 3)
M_MAX = 8


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "m": widgets.IntSlider(value=3, min=1, max=M_MAX, description="examples m", style=style),
        "noise": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="noise in Y", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_examples(m: int = 3, noise: float = 0.0) -> Figure:
    """Residual and ``||U||_F`` of the exact U for m = 1 .. 8 examples of
    ``Y = A X + noise · E`` (n = 3), the bars of ``m`` examples highlighted.

    Args:
        m: number of examples (columns of X) to highlight.
        noise: scale of the noise added to Y.
    """
    m = check_int(m, "m", minimum=1, maximum=M_MAX)
    noise = check_real(noise, "noise", minimum=0.0)
    return plot_sweep(sweep_examples(round(noise, 6), M_MAX), m)
