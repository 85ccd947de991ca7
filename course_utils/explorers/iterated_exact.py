"""Sliders of notebook 04: the exact two-step solutions S(a)."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..lifting import seed_family
from ..training import seed_data
from ..trajectory import plot_trajectory
from . import explorer

NOTEBOOK = "04_iterated_exact"


@lru_cache(maxsize=256)
def family_member(a: float) -> tuple[np.ndarray, list[np.ndarray], float, float]:
    """S(a), its trajectory [X, SX, S²X] on the seed's data, ||S(a)||_F and
    ||S²X - Y||_F (a ≠ 0)."""
    X, Y = seed_data(torch.float64)
    S = seed_family(a)
    states = [X, S @ X, S @ (S @ X)]
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
    bound = float(np.abs(S).max()) or 1.0
    ax.imshow(S, cmap="RdBu_r", vmin=-bound, vmax=bound)
    for (i, j), v in np.ndenumerate(S):
        ax.text(j, i, f"{v:.2f}" if v else "0", ha="center", va="center", fontsize=9,
                color="white" if abs(v) > 0.6 * bound else "black")
    ax.set_xticks(range(S.shape[1]), [f"e{j + 1}" for j in range(S.shape[1])])
    ax.set_yticks(range(S.shape[0]), [f"e{i + 1}" for i in range(S.shape[0])])
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
        return fig
    S, states, norm, error = family_member(a)
    _draw_matrix(left, S, f"S(a), a = {a:.2f}")
    plot_trajectory(states, target=Y, ax=right)
    right.set_title(f"||S²X - Y|| = {error:.1e},  ||S||_F = {norm:.3f}")
    return fig
