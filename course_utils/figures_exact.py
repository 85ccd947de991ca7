"""Figures of notebook 02: sizes of exact solutions, and the examples sweep.

Every function returns the matplotlib ``Figure`` it drew on (made with
``pyplot``, shown in a notebook with ``plt.show()``).
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._checks import as_matrix, check_int, describe
from .exact_family import Sweep
from .plotting import new_axes

__all__ = ["plot_norms", "plot_sweep"]

#: colours: the member set apart, and the others
HIGHLIGHT, PLAIN = "tab:orange", "tab:blue"


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
    ax = new_axes(ax, figsize=(6.0, 0.45 * len(names) + 1.2))
    rows = np.arange(len(names))[::-1]  # first name on top
    ax.barh(rows, norms, color=[HIGHLIGHT if name == highlight else PLAIN for name in names])
    for row, value in zip(rows, norms):
        ax.annotate(f"{value:.3f}", xy=(value, row), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(rows, names)
    ax.set_xlim(0, max(norms) * 1.2 if max(norms) > 0 else 1.0)
    ax.set_xlabel("||U||_F")
    ax.grid(axis="y", visible=False)
    if title is not None:
        ax.set_title(title)
    return ax.figure


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
    ax.axvspan(m - 0.4, m + 0.4, color=HIGHLIGHT, alpha=0.15, linewidth=0)
    ax.plot(ms, sweep.norms, "o-", color=PLAIN, label="||U||_F")
    ax.plot(ms, sweep.residuals, "s-", color="tab:red", label="residual ||SX - Y||_F")
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
    return fig
