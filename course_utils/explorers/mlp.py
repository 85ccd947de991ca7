"""Slider of notebook 07: a random mask's density and the hidden width against
test accuracy on the digits and time per training step."""

from __future__ import annotations

import time
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn

from ..digits import digits_data, plot_mask, single_thread
from ..mlp import IteratedMap, mlp_mask, random_mask
from . import explorer

NOTEBOOK = "07_mlp_as_sparse_map"

#: a small, quick version of the notebook's experiment: 600 training images,
#: float32, 30 full-batch Adam steps
TRAIN_IMAGES, EPOCHS, LR = 600, 30, 0.05


@lru_cache(maxsize=4)
def _data() -> tuple[torch.Tensor, ...]:
    x_train, y_train, x_test, y_test = digits_data(torch.float32)
    return x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES], x_test, y_test


@lru_cache(maxsize=256)
def mask_run(hidden: int = 16, density: float = 0.1, random: bool = True, seed: int = 0) -> tuple[float, float, str, torch.Tensor]:
    """Train sizes [64, hidden, hidden, 10] with the MLP mask or a random mask of
    ``density`` (entries / n²); return (test accuracy, seconds per step, storage, mask)."""
    sizes = [64, hidden, hidden, 10]
    n = sum(sizes)
    generator = torch.Generator().manual_seed(seed)
    if random:
        entries = max(1, min(int(round(density * n * n)), (n - 64) * n))
        mask = random_mask(sizes, entries, generator)
    else:
        mask = mlp_mask(sizes)
    imap = IteratedMap(sizes, mask, dtype=torch.float32, generator=generator)
    x, y, x_test, y_test = _data()
    optimiser = torch.optim.Adam(imap.parameters(), lr=LR)
    best = float("inf")
    with single_thread():
        for _ in range(EPOCHS):
            start = time.perf_counter()
            optimiser.zero_grad()
            nn.functional.cross_entropy(imap(x), y).backward()
            optimiser.step()
            best = min(best, time.perf_counter() - start)
        with torch.no_grad():
            accuracy = float((imap(x_test).argmax(dim=1) == y_test).float().mean().item())
    return accuracy, best, imap.kind, mask


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "hidden": widgets.IntSlider(value=16, min=8, max=32, step=8, description="hidden width", style=style),
        "density": widgets.FloatLogSlider(value=0.1, base=10, min=-2, max=-0.5, step=0.25,
                                          description="random mask density", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_mask_density(hidden: int = 16, density: float = 0.1) -> Figure:
    """A random mask of the chosen density against the MLP mask of the chosen
    hidden width: the mask, test accuracy and time per training step."""
    hidden, density = int(hidden), float(density)
    sizes = [64, hidden, hidden, 10]
    acc_r, time_r, kind_r, mask = mask_run(hidden, density, True)
    acc_m, time_m, kind_m, _ = mask_run(hidden, density, False)
    fig, (ax_mask, ax_acc) = plt.subplots(1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1, 1.5]})
    fig.subplots_adjust(left=0.06, right=0.97, bottom=0.16, top=0.84, wspace=0.25)
    plot_mask(mask, sizes, ax=ax_mask, title="random Ω")
    rows = [("MLP mask", int(mlp_mask(sizes).sum()), acc_m, time_m, kind_m),
            ("random mask", int(mask.sum()), acc_r, time_r, kind_r)]
    ax_acc.barh([0, 1], [acc_m, acc_r], color=["C0", "C1"])
    for k, (label, entries, acc, seconds, kind) in enumerate(rows):
        ax_acc.text(0.02, k, f"{label}: {entries} entries\naccuracy {acc:.3f}, {seconds * 1e3:.1f} ms/step ({kind})",
                    va="center", color="white", fontsize=9)
    ax_acc.set_yticks([])
    ax_acc.set_xlim(0, 1)
    ax_acc.set_xlabel("test accuracy (digits)")
    fig.suptitle(f"sizes {sizes}, random mask density {density:.1%}, {TRAIN_IMAGES} training images")
    return fig
