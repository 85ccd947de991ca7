"""The figures more than one notebook draws.

- ``plot_loss``: one loss curve on a log scale, the stop or divergence marked;
  ``plot_losses``: several, side by side in one axes; both draw each run
  with ``draw_loss_curve``, the one way a ``History`` is drawn;
- ``plot_matrices``: matrices as annotated heatmaps (Init, Ω, U, S, ...);
- ``plot_trajectory``: the states ``[Z_0, Z_1, …, Z_k]`` of the iterated map
  side by side, one block of m columns per iteration, so that one sees the
  signal travel through the coordinates (seed data: e₁ → a·e₂ → 2·e₃).
- ``plot_slots``, ``draw_slots``, ``draw_mask``: a map whose state is cut
  into slots (notebooks 07 and 08): its matrices, its slots' borders and
  names, its mask.

Every function returns the matplotlib ``Figure`` it drew on (made with
``pyplot``, imported at the first figure, so that a notebook shows it with
``plt.show()``), described in words (``describe_figure``: the figure's text
alternative, its numbers rounded on purpose). Given an ``ax``, a function
describes only that axes (``describe_axes``) and the figure's owner writes
the figure's description from its parts (``description(ax)``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._checks import check_int, describe
from .operator import SparseMatrix
from .storage import slot_slices
from .training import History

#: the smallest value drawn on a log axis (an exact zero loss would vanish)
LOG_FLOOR = 1e-12
#: the same floor, under the name the lessons use for their own log axes
FLOOR = LOG_FLOOR


#: fixed margins of a loss curve's own figure (it is redrawn by sliders)
LOSS_MARGINS = {"left": 0.13, "right": 0.97, "bottom": 0.14, "top": 0.9}


def _pyplot():
    """matplotlib.pyplot, imported when the first figure is drawn (not on
    ``import course_utils``): figures are made with pyplot so that a
    notebook shows them with ``plt.show()``."""
    import matplotlib.pyplot as plt

    return plt


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
        fig, ax = _pyplot().subplots(figsize=figsize, layout=None if margins else "constrained")
        if margins:
            fig.subplots_adjust(**margins)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {describe(ax)}")
    return ax


def check_histories(histories: Any) -> Mapping[str, History]:
    """``histories`` as given, once it is a non-empty dict label -> History."""
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError(f"histories must be a non-empty dict label -> History, got {describe(histories)}")
    for label, history in histories.items():
        if not isinstance(history, History):
            raise TypeError(f"histories[{label!r}] must be a History (what train returns), got {describe(history)}")
    return histories


def draw_loss_curve(
    ax: Axes,
    history: History,
    cross: Mapping[str, Any],
    dot: Mapping[str, Any] | None,
    **style: Any,
) -> Line2D:
    """One run's loss curve on ``ax``, its end marked: the figures' one way
    of drawing a ``History`` (``plot_loss``, ``plot_losses``, notebook 06's
    ``plot_zigzag``).

    The finite losses, one per epoch, are one line (``style``: its keywords
    for ``ax.plot``), floored at ``LOG_FLOOR`` so that a log axis keeps an
    exact zero. A diverged run ends in a red cross at its last finite loss
    (``cross``: the cross's size keywords); any other run in a dot
    (converged) or a square (epochs used up) of the line's colour at its last
    loss (``dot``: the marker's keywords; None draws no marker). Returns the
    line.
    """
    losses = np.asarray(history.losses, dtype=float)
    finite = np.isfinite(losses)
    epochs = np.arange(len(losses))
    (line,) = ax.plot(epochs[finite], np.maximum(losses[finite], LOG_FLOOR), **style)
    if finite.any():
        last = int(epochs[finite][-1])
        end = [max(losses[last], LOG_FLOOR)]
        if history.diverged:
            ax.plot([last], end, "x", color="red", **cross)
        elif dot is not None:
            ax.plot([last], end, "o" if history.converged else "s", color=line.get_color(), **dot)
    return line


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
    owned = ax is None
    ax = new_axes(ax, margins=LOSS_MARGINS)
    line = draw_loss_curve(ax, history, cross={"markersize": 10, "mew": 2}, dot={}, label=label)
    colour = line.get_color()
    stop = history.stop_epoch
    # the note sits left of the stop line, or right of it when that is the axis edge (epoch 0)
    side = {"xytext": (-4, 0), "ha": "right"} if stop > 0 else {"xytext": (4, 0), "ha": "left"}
    if history.diverged:
        ax.axvline(stop, color="red", linestyle="--", linewidth=1)
        ax.annotate(
            f"diverged at epoch {stop}",
            xy=(stop, 0.5), xycoords=("data", "axes fraction"),
            textcoords="offset points", **side, color="red",
        )
    else:
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
    text = f"loss curve{f' of {label}' if label is not None else ''} on a log scale, epochs 0 to {stop}: {loss_summary(history)}"
    if history.tol > 0 and not history.converged:
        text += f"; the dotted line is tol {rounded(history.tol)}"
    return _describe(ax, text, owned)


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
    shared_scale: bool = False,
) -> Figure:
    """Matrices side by side as heatmaps (red positive, blue negative).

    ``matrices`` is a ``SparseMatrix`` (drawn as Init, Ω, U and S) or a mapping
    of titles to matrices. Values are written in the cells, rounded to
    ``digits`` decimals (never ``-0.00``), when ``annotate`` is True, or by
    default when every matrix is at most 8 x 8. Each panel's colours span its
    own largest entry, or the largest of all panels with ``shared_scale``, so
    that equal values get equal colours across panels.

    Axes follow the course's 1-based convention: the rows of a small matrix
    are labelled e₁, e₂, …, and so are its columns when it is square (an
    operator); the columns of a data matrix are examples 1, 2, …
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
    bounds = {name: _bound(array) for name, array in arrays.items()}
    if shared_scale:
        bounds = dict.fromkeys(arrays, max(bounds.values()))
    count = len(arrays)
    fig, axes = _pyplot().subplots(1, count, figsize=(2.4 * count + 0.4, 2.8), layout="constrained", squeeze=False)
    for ax, (name, array) in zip(axes[0], arrays.items()):
        bound = bounds[name]
        ax.imshow(array, cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.grid(False)  # grid lines would cross the cells' centres
        ax.set_title(name)
        rows, cols = array.shape
        if max(rows, cols) <= 8:
            ax.set_yticks(range(rows), basis_labels(rows))
            ax.set_xticks(range(cols), basis_labels(cols) if rows == cols else [str(j + 1) for j in range(cols)])
        else:  # 1-based tick labels where matplotlib puts the ticks
            one_based = _ticker().FuncFormatter(lambda value, _: f"{int(round(value)) + 1}")
            ax.xaxis.set_major_formatter(one_based)
            ax.yaxis.set_major_formatter(one_based)
        if annotate:
            for (i, j), v in np.ndenumerate(array):
                shown = round(float(v), digits) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
                ax.text(j, i, f"{shown:.{digits}f}", ha="center", va="center", fontsize=9,
                        color="white" if abs(v) > 0.6 * bound else "black")
    if title is not None:
        fig.suptitle(title)
    kind = "heatmap" if count == 1 else f"{count} heatmaps side by side"
    how = "red positive, blue negative" + (", the values written in the cells" if annotate else "")
    how += ", one colour scale for all" if shared_scale and count > 1 else ""
    parts = "; ".join(f"{name}: {matrix_summary(array, digits)}" for name, array in arrays.items())
    return describe_figure(fig, sentence(f"{title + ': ' if title else ''}{kind} ({how}). {parts}"))


def _bound(array: np.ndarray) -> float:
    """The largest finite |entry| (1 when there is none or it is 0): the colour scale's end."""
    finite = array[np.isfinite(array)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    return bound if bound > 0 and math.isfinite(bound) else 1.0


def _ticker():
    import matplotlib.ticker

    return matplotlib.ticker


def basis_labels(n: int) -> list[str]:
    """``["e₁", "e₂", …, "eₙ"]``: axis labels in the course's 1-based convention."""
    return [f"e{str(i + 1).translate(_SUBSCRIPTS)}" for i in range(n)]


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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

    owned = ax is None
    if ax is None:
        ax = new_axes(figsize=(min(1.0 + 0.55 * width + 0.6, 11.0), min(1.2 + 0.45 * n, 6.0)))
    else:
        ax = new_axes(ax)
    bound = _bound(grid)
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
    ax.set_yticklabels(basis_labels(n))
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is None:
        title = "trajectory: one column per iteration" if m == 1 else "trajectory: one block of columns per iteration"
    ax.set_title(title)
    return _describe(ax, _trajectory_text(arrays, list(labels), None if target is None else blocks[-1]), owned)


def _trajectory_text(states: list[np.ndarray], labels: list[str], target: np.ndarray | None) -> str:
    """``plot_trajectory``'s heatmap in words: each state (the first two and
    the last two of a long trajectory) and the target."""
    n, m = states[0].shape
    kind = "one column" if m == 1 else f"one block of {m} columns"
    words = [f"{label} = {state_summary(state)}" for label, state in zip(labels, states)]
    if len(words) > 5:
        words = words[:2] + ["…"] + words[-2:]
    text = (f"heatmap of a trajectory of {len(states)} states, {kind} per state, rows e₁ to "
            f"{basis_labels(n)[-1]} (red positive, blue negative): {', '.join(words)}")
    if len(states) > 2:
        last, before = (np.round(s, 2) + 0.0 for s in states[-2:][::-1])
        if np.array_equal(last, before, equal_nan=True):
            text += f" ({labels[-1]} equals {labels[-2]} to 2 decimals)"
    if target is not None:
        text += f"; target Y = {state_summary(target)}"
    return text


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


def light_log_axis(ax: Axes) -> Axes:
    """Plain-text labels at the powers of ten and no minor ticks on a log y axis.

    Same picture as matplotlib's default, drawn in about half the time: the
    default writes each label with mathtext ($10^{-2}$) and builds eight
    minor ticks per decade. Keeps sliders quick (notebooks 05, 06).
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    return ax


def plot_losses(histories: Mapping[str, History], title: str | None = None, ax: Axes | None = None) -> Figure:
    """Several loss curves on one log axis (notebooks 05, 06).

    Each curve ends in a marker at its stopping epoch: a dot when it
    converged, a square when the epochs ran out, a red cross at the last finite
    loss when it diverged; the legend gives the stopping epoch. ``tol`` is the
    dotted line.

    Args:
        histories: label -> History (what ``train`` returns).
        title: the axes' title.
        ax: matplotlib Axes to draw on; a new figure when None.
    """
    check_histories(histories)
    owned = ax is None
    ax = new_axes(ax, figsize=(6.5, 3.5))
    for label, history in histories.items():
        word = "diverged" if history.diverged else "converged" if history.converged else "stopped"
        draw_loss_curve(ax, history, cross={"markersize": 6}, dot={"markersize": 6},
                        label=f"{label}: {word} at {history.stop_epoch}")
    tols = {h.tol for h in histories.values() if h.tol > 0}
    for tol in tols:
        ax.axhline(tol, color="grey", linestyle=":", linewidth=1)
    if not any(np.isfinite(np.asarray(h.losses, dtype=float)).any() for h in histories.values()):
        ax.set_ylim(min(tols, default=1.0) / 10, 10)  # no loss to draw: a range around tol, not a single value
    ax.set_yscale("log")
    light_log_axis(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    right = max(h.stop_epoch for h in histories.values())
    ax.set_xlim(0, max(right, 1) * 1.05)
    ax.legend(fontsize=8, loc="lower left")
    if title is not None:
        ax.set_title(title)
    runs = "; ".join(f"{label}: {loss_summary(history)}" for label, history in histories.items())
    tol_text = f" The dotted line is tol {', '.join(rounded(t) for t in sorted(tols))}." if tols else ""
    text = (f"{len(histories)} loss curves on a log scale, epochs 0 to {right}, each in its own colour and "
            f"line style, labelled in the legend. {runs}.{tol_text}")
    return _describe(ax, text, owned)


# ------------------------------------------------------------------ descriptions
def describe_figure(figure: Figure, text: str) -> Figure:
    """Give ``figure`` its description: what it shows and the numbers that matter, in words.

    Every figure the course draws has one. In a notebook it is shown under the
    figure as its caption line (``setup()`` makes ``plt.show()`` do that); the
    book uses it as the image's text alternative. Numbers in it are rounded on
    purpose, so that nbval can compare it like any printed output.

    Returns ``figure``, so that a drawing function can end ``return describe_figure(fig, ...)``.
    """
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {describe(figure)}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty description of the figure, got {text!r}")
    figure.description = " ".join(text.split())
    return figure


def description(figure: Figure | Axes) -> str | None:
    """The description ``describe_figure`` gave ``figure``, or the part
    ``describe_axes`` gave an axes (None if it has none)."""
    return getattr(figure, "description", None)


def describe_axes(ax: Axes, text: str) -> Axes:
    """Give one axes its part of a description: what a drawing function drew
    on an ``ax`` it was handed. The function that made the figure (its owner)
    reads it with ``description(ax)`` and writes the figure's description with
    ``describe_figure``. Returns ``ax``."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {describe(ax)}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty description of the axes, got {text!r}")
    ax.description = " ".join(text.split())
    return ax


def sentence(text: str) -> str:
    """``text`` as a sentence: its first letter capitalised, a full stop at the end."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _describe(ax: Axes, text: str, owned: bool) -> Figure:
    """``text`` as the axes' part, and as the figure's description (a
    ``sentence``) when the drawing function made the figure itself."""
    describe_axes(ax, text)
    if owned:
        describe_figure(ax.figure, sentence(text))
    return ax.figure


def rounded(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, as a description writes it:
    ``1.98``, ``0.00225``, ``104``, ``2.4e-05``; trailing zeros dropped, never ``-0``."""
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 6:
        return fixed(value, max(digits - 1 - magnitude, 0))
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def fixed(value: float, decimals: int = 2) -> str:
    """``value`` rounded to ``decimals`` decimals, trailing zeros dropped
    (``1.00`` is ``1``, ``-0.001`` is ``0``): the values a heatmap writes, in words."""
    value = float(value)
    if not math.isfinite(value):
        return rounded(value)
    text = f"{round(value, decimals) + 0.0:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def between_powers_of_ten(value: float) -> str:
    """``"between 0.01 and 0.1"``: where a value that depends on many float
    operations lies, in words that do not depend on its last bits."""
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return rounded(value)
    low = 10.0 ** math.floor(math.log10(value))
    return f"between {rounded(low)} and {rounded(low * 10)}"


def loss_summary(history: History) -> str:
    """One run's loss curve in words (what ``draw_loss_curve`` draws): where
    it starts, how long it stays within 10 % of that, how it ends (tol reached
    at an epoch: a dot; epochs used up: a square, and between which powers of
    ten the loss is; not finite: a red cross). Rounded so that the words do not
    depend on the last bits of a long run."""
    losses = np.asarray(history.losses, dtype=float)
    if losses.size == 0:
        return "no epochs run"
    start, stop = float(losses[0]), history.stop_epoch
    if not math.isfinite(start):
        return "the loss is not finite from epoch 0 (diverged, a red cross)"
    text = f"the loss starts at {rounded(start)}"
    below = np.nonzero(losses <= 0.9 * start)[0]
    if below.size == 0 and stop >= 10 and not history.diverged:
        text += ", stays within 10 % of it to the end"
    elif below.size and below[0] >= 10:
        text += f", stays within 10 % of it for {int(below[0])} epochs, then"
    if history.diverged:
        finite = np.nonzero(np.isfinite(losses))[0]
        end = f"stops being finite at epoch {stop} (diverged, a red cross at epoch {int(finite[-1])})"
    elif history.converged:
        end = f"reaches tol {rounded(history.tol)} at epoch {stop} (converged, a dot)"
    else:
        final = float(losses[-1])
        end = f"is {'0' if final == 0 else between_powers_of_ten(final)} when the epochs run out at epoch {stop} (a square)"
    return f"{text} {end}" if text.endswith("then") else f"{text} and {end}"


def matrix_summary(matrix: Any, decimals: int = 2) -> str:
    """A matrix in words, its values rounded to ``decimals`` (as a heatmap
    writes them): its shape and its few non-zero entries, counted from 1
    (``3 x 3, zero except (2,1) = 1, (3,2) = 2``), or the range of its entries."""
    if isinstance(matrix, torch.Tensor):
        matrix = matrix.detach().cpu().double().numpy()
    array = np.asarray(matrix, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    shape = f"{array.shape[0]} x {array.shape[1]}"
    finite = np.isfinite(array)
    values = np.round(np.where(finite, array, 0.0), decimals) + 0.0
    bad = int((~finite).sum())
    tail = f", {bad} of its {array.size} entries not finite" if bad else ""
    shown = values[finite]
    if shown.size == 0:
        return f"{shape}{tail}"
    if shown.min() == shown.max():
        return f"{shape}, every {'finite ' if bad else ''}entry {fixed(shown[0], decimals)}{tail}"
    nonzero = list(zip(*np.nonzero(finite & (values != 0))))
    if len(nonzero) <= 4:
        listed = ", ".join(f"({i + 1},{j + 1}) = {fixed(values[i, j], decimals)}" for i, j in nonzero)
        return f"{shape}, zero except {listed}{tail}"
    zeros = int((shown == 0).sum())
    zero_text = f" ({zeros} of them zero)" if zeros else ""
    return f"{shape}, entries from {fixed(shown.min(), decimals)} to {fixed(shown.max(), decimals)}{zero_text}{tail}"


def state_summary(state: Any, decimals: int = 2) -> str:
    """A state of a trajectory in words: a column as a combination of e₁, e₂,
    … (``2·e₃``, ``0``), a block of several columns as ``matrix_summary``."""
    array = np.asarray(state, dtype=float)
    if array.ndim == 2 and array.shape[1] != 1:
        return matrix_summary(array, decimals)
    column = array.reshape(-1)
    if not np.isfinite(column).all():
        return matrix_summary(column, decimals)
    values = np.round(column, decimals) + 0.0
    nonzero = np.nonzero(values)[0]
    if nonzero.size == 0:
        return "0"
    if nonzero.size > 4:
        return f"entries from {fixed(values.min(), decimals)} to {fixed(values.max(), decimals)}"
    text = ""
    for count, i in enumerate(nonzero):
        v = float(values[i])
        sign = ("-" if v < 0 else "") if count == 0 else (" - " if v < 0 else " + ")
        text += f"{sign}{fixed(abs(v), decimals)}·{basis_labels(i + 1)[-1]}"
    return text


#: the lines' colours: each at least 3:1 against the white background (WCAG
#: 1.4.11; 3.4:1 to 8.9:1) and far apart (CIELAB ΔE ≥ 24) under simulated
#: protanopia, deuteranopia and tritanopia, in matplotlib's order of hues
#: (C0 blue, C1 orange, C2 green, C3 red, C4 purple, C5 teal)
PALETTE = ("#0062FF", "#C47A14", "#009E64", "#AC1317", "#822699", "#005259")
#: the lines' styles, one per colour: runs in one axes differ by more than
#: colour (WCAG 1.4.1); none is dotted, the style of the reference lines (tol)
LINESTYLES = ("-", "--", "-.", (0, (3, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (2, 1)))


def line_cycle():
    """The property cycle of ``setup()``: ``PALETTE`` and ``LINESTYLES`` together."""
    import matplotlib as mpl

    return mpl.cycler(color=list(PALETTE), linestyle=list(LINESTYLES))


class Caption:
    """A figure's description as a notebook output: a line of HTML under the figure, the same words as text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Figure: {self.text}"

    def _repr_html_(self) -> str:
        import html

        return f'<p class="course-figure-description"><em>Figure:</em> {html.escape(self.text)}</p>'


def figure_outputs(figure: Figure) -> list[tuple[dict, dict]]:
    """What the inline backend's ``show`` publishes for ``figure`` in this
    kernel, as ``(data, metadata)`` pairs: the figure as the display formatter
    renders it (the PNG and ``<Figure size ...>``), then its ``Caption`` if it
    has a description. ``IPython.display.publish_display_data`` shows them."""
    from IPython import get_ipython
    from matplotlib_inline import backend_inline

    format = get_ipython().display_formatter.format
    shown = [(figure, backend_inline._fetch_figure_metadata(figure))]
    if description(figure):
        shown.append((Caption(description(figure)), {"course": {"figure_description": True}}))
    outputs = []
    for obj, metadata in shown:
        data, found = format(obj)
        if data:  # as IPython's display(obj, metadata=...): the metadata given wins
            outputs.append((data, {**(found or {}), **(metadata or {})}))
    return outputs


def _show_with_descriptions(close: bool | None = None, block: bool | None = None) -> None:
    """matplotlib_inline's ``show``, each figure followed by its ``Caption`` (``setup()`` installs it)."""
    from IPython.display import publish_display_data
    from matplotlib._pylab_helpers import Gcf
    from matplotlib_inline.config import InlineBackend

    if close is None:
        close = InlineBackend.instance().close_figures
    try:
        for manager in Gcf.get_all_fig_managers():
            for data, metadata in figure_outputs(manager.canvas.figure):
                publish_display_data(data, metadata)
    finally:
        _show_with_descriptions._to_draw = []  # type: ignore[attr-defined]
        if close and Gcf.get_all_fig_managers():
            _pyplot().close("all")


_show_with_descriptions._draw_called = False  # type: ignore[attr-defined]  # what the inline backend keeps on its show
_show_with_descriptions._to_draw = []  # type: ignore[attr-defined]


def _inline_kernel() -> tuple[Any, str] | None:
    """(IPython's shell, the backend's name) when this runs in IPython with
    matplotlib's inline backend chosen (not resolved yet, if it is not); else None."""
    import sys

    import matplotlib as mpl

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    try:
        backend = mpl.get_backend(auto_select=False)  # without resolving it (matplotlib >= 3.10)
    except TypeError:
        backend = mpl.rcParams._get("backend")
    if shell is None or backend not in ("inline", "module://matplotlib_inline.backend_inline"):
        return None
    return shell, backend


def _show_descriptions() -> None:
    """In an IPython kernel with the inline backend, make ``plt.show()`` (and the
    end of a cell) show each figure's description under it."""
    found = _inline_kernel()
    if found is None:
        return
    _, backend = found
    from matplotlib_inline import backend_inline

    if backend_inline.show is not _show_with_descriptions:
        backend_inline.show = _show_with_descriptions  # flush_figures and new figures look it up here
        _pyplot().switch_backend(backend)  # pyplot copies a backend's show when it loads it: load it again


def setup(precision: int = 4) -> None:
    """The display defaults a notebook asks for once, at its top.

    Rounds printed tensors and arrays to ``precision`` decimals and sets the
    figure defaults. Importing ``course_utils`` changes nothing by itself.
    """
    import matplotlib as mpl

    precision = check_int(precision, "precision", minimum=0, maximum=16)
    torch.set_printoptions(precision=precision, sci_mode=False)
    np.set_printoptions(precision=precision, suppress=True)
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.prop_cycle": line_cycle(),  # colour and line style: runs differ by more than colour
        }
    )
    _show_descriptions()
    _show_figures_drawn_once()
    _spare_the_imports_from_collections()


# ------------------------------------------------------------ inline PNGs
def tight_png(fig: Figure) -> bytes | None:
    """The PNG that the inline backend shows for ``fig`` (IPython's
    ``print_figure(fig, "png", bbox_inches="tight")``), drawn once instead of twice.

    ``bbox_inches="tight"`` makes matplotlib lay the figure out twice: a draw
    without rendering to find the tight box, then the real draw on a canvas
    cut to that box. Here the figure is drawn once on its own canvas, the
    tight box (``Figure.get_tightbbox``, padded by ``savefig.pad_inches``) is
    found on that drawing and the pixels are cut out of it: the same picture,
    the same size in pixels (at most half a pixel's shift), in about 60 % of
    the time (``benchmarks/slider_latency.py``). A figure drawn since it last
    changed (not ``stale``) is not drawn again. When some artist reaches
    outside the canvas, or the figure is not drawn by Agg, or savefig settings
    would change the picture, matplotlib's own two-pass path is used. A figure
    without axes and lines gives None, as in IPython (nothing is shown).
    """
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba

    if not fig.axes and not fig.lines:
        return None
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg) or mpl.rcParams["savefig.transparent"]:
        return _two_pass_png(fig)
    if fig.stale:  # else the canvas holds its drawing as it is (drawn ahead: lessons/idle.py)
        canvas.draw()
    dpi = fig.dpi
    tight = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.bbox.width, fig.bbox.height  # pixels, float
    if tight is None or tight.x0 * dpi < 0 or tight.y0 * dpi < 0 or tight.x1 * dpi > width or tight.y1 * dpi > height:
        return _two_pass_png(fig)  # something reaches outside the canvas: only the two passes show it
    pad = mpl.rcParams["savefig.pad_inches"]
    box = tight.padded(pad, pad)
    # what adjust_bbox's canvas would be: int(size) pixels, shifted by the box's corner
    cols, rows = int(box.width * dpi), int(box.height * dpi)
    left, top = round(box.x0 * dpi), round(height - box.y0 * dpi - rows)  # matplotlib keeps the bottom edge
    pixels = np.asarray(canvas.buffer_rgba())
    out = np.empty((rows, cols, 4), dtype=np.uint8)
    out[...] = np.round(np.array(to_rgba(fig.get_facecolor())) * 255).astype(np.uint8)  # the padding, if any
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + rows, pixels.shape[0]), min(left + cols, pixels.shape[1])
    out[r0 - top:r1 - top, c0 - left:c1 - left] = pixels[r0:r1, c0:c1]
    buffer = io.BytesIO()
    mpl.image.imsave(buffer, memoryview(out), format="png", origin="upper", dpi=dpi)
    return buffer.getvalue()


def _two_pass_png(fig: Figure) -> bytes:
    """What IPython's ``print_figure(fig, "png", bbox_inches="tight")`` does."""
    import io

    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(),
                            dpi=fig.dpi, bbox_inches="tight")
    return buffer.getvalue()


def _inline_png(fig: Figure) -> str | None:
    """``tight_png`` as the inline backend's formatter wants it: base64 text."""
    from binascii import b2a_base64

    data = tight_png(fig)
    return None if data is None else b2a_base64(data, newline=False).decode("ascii")


def _spare_the_imports_from_collections() -> None:
    """Collect once, then take every object that exists now (the imported
    modules: torch, matplotlib, IPython, ...) out of the cyclic garbage
    collector's sight (``gc.freeze``).

    A figure leaves thousands of objects behind; every so often they trigger
    a full collection, which scans every object of the kernel, some 500 000
    after the imports: a 100-300 ms pause in the middle of a slider's redraw,
    about one redraw in twenty. Frozen objects are not scanned (nor ever
    collected as a cycle: they are the modules, alive until the kernel stops).
    """
    import gc

    gc.collect()
    gc.freeze()


def _show_figures_drawn_once() -> None:
    """In an IPython kernel with matplotlib's inline backend at its default
    PNG settings (``bbox_inches="tight"``, nothing else), show figures with
    ``tight_png``: the same pictures, drawn once. Any other set-up is left as
    it is (a ``%config InlineBackend...`` later replaces this formatter)."""
    import importlib

    found = _inline_kernel()
    if found is None:
        return
    shell, _ = found
    # the inline backend registers its formatters when its module is first
    # imported (matplotlib loads it at the first figure): load it now, so
    # that it does not replace this formatter afterwards
    importlib.import_module("matplotlib_inline.backend_inline")
    formatter = shell.display_formatter.formatters["image/png"]
    current = formatter.type_printers.get(Figure)
    if current is _inline_png:
        return
    default = getattr(current, "func", None)
    if getattr(default, "__name__", "") != "print_figure" or current.args or current.keywords != {
        "fmt": "png", "base64": True, "bbox_inches": "tight"
    }:
        return  # not the inline backend's own PNG: someone chose otherwise
    formatter.for_type(Figure, _inline_png)


# ------------------------------------------------------------------ slots
def subscript(text: str) -> str:
    """``"h1"`` -> ``"h₁"``: digits as subscripts, for labels in figures."""
    return text.translate(_SUBSCRIPTS)


def slot_edges(sizes: Sequence[int]) -> list[float]:
    """Where one slot of a state cut into ``sizes`` ends and the next begins,
    in image coordinates (row r of an image is centred on r): the slots'
    borders."""
    return [rows.stop - 0.5 for rows in slot_slices(sizes)[:-1]]


def slot_centres(sizes: Sequence[int]) -> list[float]:
    """The middle of each slot of a state cut into ``sizes``, in image
    coordinates: where its name goes."""
    return [(rows.start + rows.stop) / 2 - 0.5 for rows in slot_slices(sizes)]


def draw_slots(ax: Axes, sizes: Sequence[int], names: Sequence[str], linewidth: float = 0.8) -> None:
    """Lines between the slots of a state cut into ``sizes`` and their
    ``names`` as ticks at their centres, on both axes (notebooks 07 and 08)."""
    for edge in slot_edges(sizes):
        ax.axhline(edge, color="C1", linewidth=linewidth)
        ax.axvline(edge, color="C1", linewidth=linewidth)
    centres = slot_centres(sizes)
    ax.set_xticks(centres, names)
    ax.set_yticks(centres, names)
    ax.tick_params(length=0)
    ax.grid(False)


def draw_mask(ax: Axes, mask: Any, sizes: Sequence[int], names: Sequence[str], diagonal: bool = False) -> Axes:
    """The mask Ω as an image on ``ax``, its slots drawn and named
    (``draw_slots``; notebooks 07 and 08): its entries black on white, or,
    with ``diagonal``, the entries of the diagonal blocks (a slot reading
    itself, such as h←h) red and hatched with white stripes, the others blue:
    the hatching tells them apart without colour. Gives ``ax`` its part of a
    description (``describe_axes``): the entries of each kind."""
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    array = np.array(mask, dtype=float)
    total = int(np.count_nonzero(array))
    if diagonal:
        from matplotlib.patches import Rectangle

        loops = []
        for rows, name in zip(slot_slices(sizes), names):
            if array[rows, rows].any():
                loops.append((name, int(np.count_nonzero(array[rows, rows]))))
                # white stripes over the block: on its red entries, invisible on its empty (white) ones
                ax.add_patch(Rectangle((rows.start - 0.5, rows.start - 0.5), rows.stop - rows.start, rows.stop - rows.start,
                                       fill=False, hatch="///", hatchcolor="white", edgecolor="none", linewidth=0))
            array[rows, rows] *= 2  # 2: an entry of a diagonal block
        ax.imshow(array, cmap=_listed(["white", "C0", "C3"]), vmin=0, vmax=2, interpolation="nearest")
        inside = sum(count for _, count in loops)
        blocks = ", ".join(f"{count} in {name}←{name}" for name, count in loops) or "none"
        text = (f"mask Ω of slots {', '.join(names)} (sizes {', '.join(str(v) for v in sizes)}): {total} entries; "
                f"in the diagonal blocks (red, hatched) {blocks}; {total - inside} in the other blocks (blue, plain)")
    else:
        ax.imshow(array, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        text = (f"mask Ω of slots {', '.join(names)} (sizes {', '.join(str(v) for v in sizes)}): "
                f"{total} entries of {array.size}, black on white")
    draw_slots(ax, sizes, names)
    describe_axes(ax, text)
    return ax


def _listed(colours: list[str]):
    from matplotlib.colors import ListedColormap

    return ListedColormap(colours)


def plot_slots(imap: Any, names: Sequence[str], block_label: Any) -> Figure:
    """Init, Ω and S = Init + Ω ⊙ U of a map whose state is cut into slots
    (an ``IteratedMap`` or a ``RecurrentMap``), the slots drawn and named, each
    block of the mask labelled ``block_label(i, j)`` (the block reading slot j
    into slot i) and Init's identity blocks "I" (notebooks 07 and 08).

    Args:
        imap: the map: its ``sizes``, ``Init``, ``Omega`` and ``matrix`` are drawn.
        names: one name per slot, e.g. ``["x", "h₁", "h₂", "y"]``.
        block_label: ``block_label(i, j) -> str`` for a block the mask touches.
    """
    sizes = list(imap.sizes)
    if len(names) != len(sizes):
        raise ValueError(f"names must name each of the {len(sizes)} slots, got {len(names)} names")
    with torch.no_grad():
        panels = {"Init": imap.Init, "Ω": imap.Omega, "S = Init + Ω ⊙ U": imap.matrix}
    panels = {name: value.detach().cpu().double().numpy() for name, value in panels.items()}
    slots = slot_slices(sizes)
    centres = slot_centres(sizes)
    touched = [(i, j) for i, rows in enumerate(slots) for j, cols in enumerate(slots) if panels["Ω"][rows, cols].any()]
    identity = [(i, i) for i, rows in enumerate(slots) if panels["Init"][rows, rows].any()]
    fig, axes = _pyplot().subplots(1, 3, figsize=(10.2, 3.7), layout="constrained")
    for ax, (name, array) in zip(axes, panels.items()):
        bound = float(np.abs(array).max()) or 1.0
        cmap, low = ("Greys", 0.0) if name == "Ω" else ("RdBu_r", -bound)
        ax.imshow(array, cmap=cmap, vmin=low, vmax=bound, interpolation="nearest")
        draw_slots(ax, sizes, names, linewidth=0.9)
        ax.set_title(name + (": zero" if name == "Init" and not identity else ""))
        labels = [] if name == "Ω" else [(block, "I") for block in identity]
        labels += [] if name == "Init" else [(block, block_label(*block)) for block in touched]
        for (i, j), text in labels:
            ax.text(centres[j], centres[i], text, ha="center", va="center", fontsize=9, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    fig.supxlabel("columns: the slot read", fontsize=9)
    fig.supylabel("rows: the slot written", fontsize=9)
    init = ("identity blocks I in " + ", ".join(f"{names[i]}←{names[i]}" for i, _ in identity)) if identity else "zero"
    labelled = [block_label(i, j) for i, j in touched]
    shown = ", ".join(labelled) if len(labelled) <= 8 else f"{len(labelled)} blocks"
    S = panels["S = Init + Ω ⊙ U"]
    return describe_figure(fig, (
        f"Three heatmaps of a map whose state is cut into the slots {', '.join(names)} "
        f"(sizes {', '.join(str(v) for v in sizes)}); columns are the slot read, rows the slot written. "
        f"Init is {init}; Ω has {int(np.count_nonzero(panels['Ω']))} entries (black), in the blocks {shown}; "
        f"S = Init + Ω ⊙ U has entries from {fixed(S.min())} to {fixed(S.max())} (red positive, blue negative)."
    ))
