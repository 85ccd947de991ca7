"""Notebook 06: interim losses, and iterating the trained map further.

The notebook builds on notebooks 03 and 05: it uses their ``gradient_at``
(the gradient of the loss at a point) and ``train_on_seed``, ``distances``,
``format_vector``, ``plot_drift``, ``chain_mask`` (training on the seed's
problem, and how far the iterated state drifts), imported here so that the
notebook finds them all in its own lesson. Its own figure: ``plot_zigzag``, a
long run of the unsquared loss and a close look at its last epochs."""

from __future__ import annotations

from typing import Any, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .._checks import check_int, check_real, describe
from ..data import seed_data
from ..plotting import (check_histories, describe_figure, draw_loss_curve, light_log_axis, plot_loss, plot_trajectory,
                        state_labels)
from ..training import History
from .depth_and_the_saddle import gradient_at
from .explorer import explorer
from .nonlinear_activations import (LINE_MARKERS, MARKER_NAMES, _mark_lines, _number, _run_words, _vector, chain_mask,
                                    distances, format_vector, plot_drift, train_on_seed)

__all__ = [
    "chain_mask",
    "distances",
    "explore_interim",
    "format_vector",
    "gradient_at",
    "plot_drift",
    "plot_zigzag",
    "train_on_seed",
]

NOTEBOOK = "06_interim_losses_and_fixed_points"


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "interim_weight": widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="interim weight", style=style),
        "extra": widgets.IntSlider(value=4, min=0, max=8, description="iterations past depth", style=style),
        "init_noise": widgets.Dropdown(options=[0.0, 0.1], value=0.0, description="init noise", style=style),
    }


def _interim_run(interim_weight: float, init_noise: float) -> Any:
    """The slider's training run (cached by ``train_on_seed``)."""
    return train_on_seed("identity", "full", init_noise=float(init_noise), interim_weight=round(float(interim_weight), 3))


@explorer(NOTEBOOK, _controls)
def explore_interim(interim_weight: float = 1.0, extra: int = 4, init_noise: float = 0.0) -> Figure:
    """The seed's problem trained with interim losses, then iterated further.

    Left: the loss curve (401 epochs at most, lr 0.01). Right: the trajectory
    X, SX, …, S^(2+extra)X next to the target Y = 2·e3.
    """
    run = _interim_run(interim_weight, init_noise)
    X, Y = seed_data()
    states = run.states(int(extra))
    # no layout engine: it would double the drawing time; inline output is cropped anyway
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.88, wspace=0.12)
    plot_loss(run.history, ax=left, title=f"interim weight {interim_weight:.1f}, init noise {init_noise:.1f}")
    light_log_axis(left)
    plot_trajectory(states, labels=state_labels(len(states)), target=Y, ax=right)
    right.set_title(f"trained for 2 iterations, run {2 + int(extra)}")
    depth, last = run.iterations, len(states) - 1
    d = distances(states, Y)
    return describe_figure(fig, (
        f"Left: the loss per epoch on a log axis of the seed's problem trained with interim weight "
        f"{interim_weight:.1f} from init noise {init_noise:.1f}: "
        f"{_run_words('the run', run.history).removeprefix('the run ')}. Right: heatmap of the trajectory X, SX, … "
        f"run {last} iterations ({int(extra)} past the trained depth {depth}) beside the target Y = {_vector(Y)}: "
        f"the state is {_vector(states[min(depth, last)])} after iteration {min(depth, last)}, "
        f"{_number(d[min(depth, last)])} from Y"
        + (f", and {_vector(states[-1])} after iteration {last}, {_number(d[-1])} from Y." if last > depth else ".")))


def plot_zigzag(histories: Mapping[str, History], window: tuple[int, int] = (2500, 2540),
                tol: float | None = 0.01) -> Figure:
    """Long loss curves, whole and up close (notebook 06).

    Left: every epoch of each run on a log axis. Right: the epochs
    ``window = (first, last)``, one dot per epoch, so that a loss alternating
    between a low and a high value from one epoch to the next shows as a
    zig-zag. The dotted line is ``tol``, the stopping rule of the usual runs
    (the long runs shown are meant to be trained with ``tol=0``).

    Args:
        histories: label -> History (what ``train`` returns).
        window: the first and last epoch of the close-up (0 <= first < last).
        tol: a loss level drawn as a dotted line, or None.
    """
    check_histories(histories)
    if not (isinstance(window, tuple) and len(window) == 2):
        raise TypeError(f"window must be a pair (first, last) of epochs, got {describe(window)}")
    first = check_int(window[0], "window[0]", minimum=0)
    last = check_int(window[1], "window[1]", minimum=first + 1)
    tol = None if tol is None else check_real(tol, "tol", minimum=0.0, strict=True)
    fig, (whole, close) = plt.subplots(1, 2, figsize=(10.4, 3.3), layout="constrained")
    shown = drawn = False  # any finite loss inside the window, any at all
    words = []
    for k, (label, history) in enumerate(histories.items()):
        marker = LINE_MARKERS[k % len(LINE_MARKERS)]  # each run its own marker, not only its colour
        if history.diverged:
            label = f"{label} (diverged at epoch {history.stop_epoch})"
        line = draw_loss_curve(whole, history, cross={"markersize": 9, "mew": 2}, dot=None, linewidth=0.6, label=label)
        _mark_lines([line], [marker], count=10, size=4)
        epochs, losses = line.get_xdata(), line.get_ydata()  # the finite losses, floored
        drawn |= len(epochs) > 0
        part = (epochs >= first) & (epochs <= last)
        if part.any():
            shown = True
            close.plot(epochs[part], losses[part], "-", marker=marker, markersize=3, linewidth=0.8,
                       color=line.get_color(), label=label)
        words.append(f"{label} ({MARKER_NAMES[marker]}), {len(history.losses)} epochs: "
                     + _window_words(losses[part], tol))
    axes = [ax for ax, data in ((whole, drawn), (close, shown)) if data]  # a log axis needs a positive value
    if not shown:
        close.text(0.5, 0.5, f"no finite loss between epochs {first} and {last}", ha="center", va="center",
                   transform=close.transAxes, color="grey")
        close.set_xticks([])
        close.set_yticks([])
    for ax in axes:
        ax.set_yscale("log")
        light_log_axis(ax)
        ax.set_xlabel("epoch")
        if tol is not None:
            ax.axhline(tol, color="grey", linestyle=":", linewidth=1)
    whole.set_ylabel("loss")
    whole.set_title("every epoch")
    whole.axvspan(first, last, color="grey", alpha=0.15)
    whole.legend(fontsize=8, loc="lower left")
    close.set_title(f"epochs {first} to {last}, one marker per epoch")
    if tol is not None and shown:
        close.annotate(f"tol = {tol:g}", xy=(1.0, tol), xycoords=("axes fraction", "data"), xytext=(0, 2),
                       textcoords="offset points", ha="right", va="bottom", fontsize=8, color="grey")
    return describe_figure(fig, (
        f"Loss curves on log axes, one line and marker per run: left, every epoch, epochs {first} to {last} shaded; "
        f"right, those epochs up close, one marker per epoch"
        + (f", the dotted line tol = {tol:g}" if tol is not None else "") + ". " + "; ".join(words) + "."))


def _window_words(losses: np.ndarray, tol: float | None) -> str:
    """What holds of a long run's losses in the close-up, in words that do not
    depend on the last bits of thousands of zig-zag steps: whether it zig-zags
    (rises and falls on alternate epochs at three steps in four or more) and
    whether it comes back above ``tol`` (its highest loss at least twice tol)."""
    if len(losses) < 3:
        return "too few finite losses in the close-up to say how it moves"
    rises = np.sign(np.diff(losses))
    turns = float(np.mean(rises[1:] != rises[:-1]))
    text = ("the loss zig-zags, rising and falling on alternate epochs" if turns >= 0.75
            else "the loss does not zig-zag from one epoch to the next")
    if tol is not None:
        text += (f", and keeps coming back above tol = {tol:g}" if losses.max() >= 2 * tol
                 else f", and stays below {2 * tol:g}")
    return text
