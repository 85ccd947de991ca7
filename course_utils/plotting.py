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
``plt.show()``).
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
    return fig


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
    ax = new_axes(ax, figsize=(6.5, 3.5))
    for label, history in histories.items():
        word = "diverged" if history.diverged else "converged" if history.converged else "stopped"
        draw_loss_curve(ax, history, cross={"markersize": 6}, dot={"markersize": 6},
                        label=f"{label}: {word} at {history.stop_epoch}")
    tols = {h.tol for h in histories.values() if h.tol > 0}
    for tol in tols:
        ax.axhline(tol, color="grey", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    light_log_axis(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    right = max(h.stop_epoch for h in histories.values())
    ax.set_xlim(0, max(right, 1) * 1.05)
    ax.legend(fontsize=8, loc="lower left")
    if title is not None:
        ax.set_title(title)
    return ax.figure


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
        }
    )


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
    itself, such as h←h) red and the others blue."""
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    array = np.array(mask, dtype=float)
    if diagonal:
        for rows in slot_slices(sizes):
            array[rows, rows] *= 2  # 2: an entry of a diagonal block
        ax.imshow(array, cmap=_listed(["white", "C0", "C3"]), vmin=0, vmax=2, interpolation="nearest")
    else:
        ax.imshow(array, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    draw_slots(ax, sizes, names)
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
    return fig
