"""Figures of the course: loss curves and the operator's matrices.

Every function returns the matplotlib ``Figure`` it drew on (made with
``pyplot`` so that a notebook shows it with ``plt.show()``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._checks import check_int, describe
from .operator import SparseMatrix
from .training import History

__all__ = ["plot_loss", "plot_matrices", "new_axes"]

#: the smallest value drawn on a log axis (an exact zero loss would vanish)
LOG_FLOOR = 1e-12

#: fixed margins of a loss curve's own figure (it is redrawn by sliders)
LOSS_MARGINS = {"left": 0.13, "right": 0.97, "bottom": 0.14, "top": 0.9}


def new_axes(
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.0, 3.5),
    margins: dict[str, float] | None = None,
) -> Axes:
    """``ax`` itself, or the axes of a new figure of size ``figsize``.

    A new figure gets matplotlib's constrained layout, or, for figures that a
    slider redraws, the fixed ``margins`` (``subplots_adjust`` keywords):
    constrained layout costs more than half of a small figure's redraw.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout=None if margins else "constrained")
        if margins:
            fig.subplots_adjust(**margins)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {describe(ax)}")
    return ax


def plot_loss(
    history: History,
    ax: Axes | None = None,
    label: str | None = None,
    title: str | None = None,
) -> Figure:
    """The loss per epoch on a log scale, with the stopping epoch marked.

    A converged run ends with a dot and a dashed line at its stopping epoch; a
    diverged one with a red cross at its last finite loss and a note of the
    epoch where the loss stopped being finite. ``tol`` is drawn as a dotted
    line. Pass ``ax`` to draw several runs on one figure.
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be a course_utils.History (what train returns), got {describe(history)}")
    ax = new_axes(ax, margins=LOSS_MARGINS)
    losses = np.asarray(history.losses, dtype=float)
    finite = np.isfinite(losses)
    epochs = np.arange(len(losses))
    (line,) = ax.plot(epochs[finite], np.maximum(losses[finite], LOG_FLOOR), label=label)
    colour = line.get_color()
    stop = history.stop_epoch
    # the note sits left of the stop line, or right of it when that is the axis edge (epoch 0)
    side = {"xytext": (-4, 0), "ha": "right"} if stop > 0 else {"xytext": (4, 0), "ha": "left"}
    if history.diverged:
        last = int(epochs[finite][-1]) if finite.any() else None
        if last is not None:
            ax.plot([last], [max(losses[last], LOG_FLOOR)], "x", color="red", markersize=10, mew=2)
        ax.axvline(stop, color="red", linestyle="--", linewidth=1)
        ax.annotate(
            f"diverged at epoch {stop}",
            xy=(stop, 0.5), xycoords=("data", "axes fraction"),
            textcoords="offset points", **side, color="red",
        )
    else:
        marker = "o" if history.converged else "s"
        ax.plot([stop], [max(losses[stop], LOG_FLOOR)], marker, color=colour)
        ax.axvline(stop, color=colour, linestyle="--", linewidth=1, alpha=0.6)
        word = "converged" if history.converged else "stopped"
        ax.annotate(
            f"{word} at epoch {stop}",
            xy=(stop, 0.9), xycoords=("data", "axes fraction"),
            textcoords="offset points", **side, color=colour,
        )
    if history.tol > 0:
        ax.axhline(history.tol, color="grey", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss  ||Y - Ŷ||_F")
    ax.set_xlim(left=0, right=max(stop, 1) * 1.05)
    if title is not None:
        ax.set_title(title)
    if label is not None:
        ax.legend(loc="lower left")
    return ax.figure


def _as_numpy(value: Any, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be real, got {describe(value)}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a matrix of numbers, got {describe(value)}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {array.shape}")
    return array


def plot_matrices(
    matrices: SparseMatrix | Mapping[str, Any],
    annotate: bool | None = None,
    digits: int = 2,
    title: str | None = None,
) -> Figure:
    """Matrices side by side as heatmaps (red positive, blue negative).

    ``matrices`` is a ``SparseMatrix`` (drawn as Init, Ω, U and S) or a mapping
    of titles to matrices. Values are written in the cells when ``annotate``
    is True, or by default when every matrix is at most 8 x 8.
    """
    if isinstance(matrices, SparseMatrix):
        with torch.no_grad():
            matrices = {"Init": matrices.Init, "Ω": matrices.Omega, "U": matrices.U, "S": matrices.matrix}
    elif not isinstance(matrices, Mapping) or not matrices:
        raise TypeError(f"matrices must be a SparseMatrix or a non-empty dict of name -> matrix, got {describe(matrices)}")
    digits = check_int(digits, "digits", minimum=0, maximum=12)
    arrays = {name: _as_numpy(value, f"matrices[{name!r}]") for name, value in matrices.items()}
    if annotate is None:
        annotate = all(max(a.shape) <= 8 for a in arrays.values())
    count = len(arrays)
    fig, axes = plt.subplots(1, count, figsize=(2.4 * count + 0.4, 2.8), layout="constrained", squeeze=False)
    for ax, (name, array) in zip(axes[0], arrays.items()):
        finite = array[np.isfinite(array)]
        bound = float(np.abs(finite).max()) if finite.size else 1.0
        bound = bound if bound > 0 and math.isfinite(bound) else 1.0
        ax.imshow(array, cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.grid(False)  # grid lines would cross the cells' centres
        ax.set_title(name)
        ax.set_xticks(range(array.shape[1]))
        ax.set_yticks(range(array.shape[0]))
        if annotate:
            for (i, j), v in np.ndenumerate(array):
                ax.text(j, i, f"{v:.{digits}f}", ha="center", va="center", fontsize=9,
                        color="white" if abs(v) > 0.6 * bound else "black")
    if title is not None:
        fig.suptitle(title)
    return fig
