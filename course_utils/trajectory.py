"""Trajectories of the iterated map, drawn (notebook 04, reused by 05 and 06).

A trajectory is the list of states ``[Z_0, Z_1, ..., Z_k]`` with ``Z_0 = X``
and ``Z_j = σ(S Z_{j-1})``, each an n x m matrix (m examples as columns), as
``course_utils.iterate`` returns it. ``plot_trajectory`` lays the states side
by side as one heatmap: a block of m columns per iteration, rows = the n
coordinates of the state, so one sees the signal travel through the rows
(for the seed's data: e1 → a·e2 → 2·e3).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._checks import check_int, describe
from .plotting import new_axes

__all__ = ["plot_trajectory", "state_labels"]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def state_labels(count: int, operator: str = "S", start: str = "X") -> list[str]:
    """Default names of ``count`` states: ``X, SX, S²X, S³X, ...``.

    Args:
        count: how many states (>= 0).
        operator: the symbol of the map ("S", or e.g. "σS" with an activation).
        start: the symbol of the first state.
    """
    count = check_int(count, "count", minimum=0)
    if not isinstance(operator, str) or not isinstance(start, str):
        raise TypeError(f"operator and start must be strings, got {describe(operator)} and {describe(start)}")
    labels = []
    for j in range(count):
        power = "" if j < 2 else str(j).translate(_SUPERSCRIPTS)
        labels.append(start if j == 0 else f"{operator}{power}{start}" if len(operator) == 1 else f"({operator}){power}{start}")
    return labels


def _as_state(value: Any, name: str) -> np.ndarray:
    """A state as a 2-D float array (a 1-D vector becomes one column)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().numpy()
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a matrix of numbers (tensor, array or nested list), got {describe(value)}") from err
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty n x m matrix (or a vector), got shape {array.shape}")
    return array


def plot_trajectory(
    states: Sequence[Any],
    labels: Sequence[str] | None = None,
    target: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the states ``Z_0, ..., Z_k`` of an iterated map side by side.

    One heatmap (red positive, blue negative, values written in the cells when
    small enough): column block j holds the m columns of ``Z_j``; row i is the
    i-th coordinate ``e_i`` of the state. A non-finite entry (a diverged run)
    is drawn grey and written as "nan"/"inf".

    Args:
        states: the trajectory, a list of n x m matrices (tensors, arrays or
            nested lists; a 1-D vector counts as one column), e.g. what
            ``course_utils.iterate`` returns.
        labels: one name per state; default ``X, SX, S²X, ...``.
        target: optional n x m target Y, drawn after a gap as the last block.
        ax: matplotlib Axes to draw on; a new figure when None.
        title: the axes' title; a default one when None.

    Returns:
        the matplotlib Figure.
    """
    if isinstance(states, (torch.Tensor, np.ndarray)) or not isinstance(states, Sequence) or isinstance(states, str):
        raise TypeError(f"states must be a list of n x m matrices, got {describe(states)}")
    if len(states) == 0:
        raise ValueError("states must hold at least one state, got an empty list")
    arrays = [_as_state(s, f"states[{j}]") for j, s in enumerate(states)]
    shape = arrays[0].shape
    for j, a in enumerate(arrays):
        if a.shape != shape:
            raise ValueError(f"states[{j}] must have the shape of states[0] {shape}, got shape {a.shape}")
    if labels is None:
        labels = state_labels(len(arrays))
    else:
        if isinstance(labels, str) or not isinstance(labels, Sequence):
            raise TypeError(f"labels must be a list of strings or None, got {describe(labels)}")
        labels = [str(label) for label in labels]
        if len(labels) != len(arrays):
            raise ValueError(f"labels must have one name per state ({len(arrays)}), got {len(labels)}")
    blocks = list(arrays)
    names = list(labels)
    if target is not None:
        target_array = _as_state(target, "target")
        if target_array.shape != shape:
            raise ValueError(f"target must have the shape of the states {shape}, got shape {target_array.shape}")
        blocks.append(target_array)
        names.append("target Y")

    n, m = shape
    # One blank column between blocks of several examples; the target always
    # stands one blank column apart.
    gap = 1 if m > 1 else 0
    starts, col = [], 0
    for b in range(len(blocks)):
        if target is not None and b == len(blocks) - 1:
            col += 1 - gap
        starts.append(col)
        col += m + gap
    width = starts[-1] + m
    grid = np.full((n, width), np.nan)
    for block, start in zip(blocks, starts):
        grid[:, start : start + m] = block

    if ax is None:
        ax = new_axes(figsize=(min(1.0 + 0.55 * width + 0.6, 11.0), min(1.2 + 0.45 * n, 6.0)))
    else:
        ax = new_axes(ax)
    finite = grid[np.isfinite(grid)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    bound = bound if bound > 0 and math.isfinite(bound) else 1.0
    cmap = _cmap()
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-bound, vmax=bound, aspect="auto")
    # Grey cells where a state holds nan/inf (the gaps stay white).
    for block, start in zip(blocks, starts):
        bad = ~np.isfinite(block)
        for i, j in zip(*np.nonzero(bad)):
            ax.add_patch(_cell(start + j, i, "lightgrey"))
    if width * n <= 120:
        for block, start in zip(blocks, starts):
            for (i, j), v in np.ndenumerate(block):
                text = _short(v)
                colour = "white" if math.isfinite(v) and abs(v) > 0.6 * bound else "black"
                ax.text(start + j, i, text, ha="center", va="center", fontsize=8, color=colour)
    centres = [s + (m - 1) / 2 for s in starts]
    ax.set_xticks(centres)
    ax.set_xticklabels(names)
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"e{i + 1}" for i in range(n)])
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is None:
        title = "trajectory: one column per iteration" if m == 1 else "trajectory: one block of columns per iteration"
    ax.set_title(title)
    return ax.figure


def _short(v: float) -> str:
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if abs(v) < 5e-3:
        return "0"
    if abs(v) >= 1e3:
        return f"{v:.0e}"
    return f"{v:.2f}"


def _cell(x: float, y: float, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="none")


def _cmap():
    import matplotlib

    return matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
