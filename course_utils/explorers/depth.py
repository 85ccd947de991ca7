"""Sliders of notebook 03: depth and the saddle."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullLocator
from matplotlib.figure import Figure

from ..analysis import plateau_length, plateau_run
from ..plotting import plot_loss
from ..training import History
from . import explorer

NOTEBOOK = "03_depth_and_the_saddle"

#: the epochs every run of the slider gets (enough for two iterations to
#: converge from the smallest noise, 1e-3, in 536 epochs)
EPOCHS = 600


@lru_cache(maxsize=256)
def depth_run(init_noise: float = 0.1, iterations: int = 2) -> History:
    """The seed's run with its Init scaled to ``init_noise`` (float64, EPOCHS epochs)."""
    return plateau_run(init_noise, iterations, epochs=EPOCHS)


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "init_noise": widgets.FloatLogSlider(
            value=0.1, base=10, min=-3, max=0, step=0.25, description="init noise", style=style
        ),
        "iterations": widgets.IntSlider(value=2, min=1, max=4, description="iterations", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_depth(init_noise: float = 0.1, iterations: int = 2) -> Figure:
    """Loss curve of the seed's run for one init noise and depth, the plateau shaded."""
    history = depth_run(float(init_noise), int(iterations))
    plateau = plateau_length(history)
    # A fixed layout: constrained layout would double the time of a redraw.
    fig, ax = plt.subplots(figsize=(6.0, 3.5))
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.9)
    plot_loss(history, ax=ax, title=f"init noise {init_noise:.4g}, {iterations} iterations: {history.status}")
    # Plain tick labels: the default 10^k labels go through mathtext, slow to redraw.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    end = plateau if plateau is not None else history.stop_epoch
    ax.axvspan(0, max(end, 0.5), color="orange", alpha=0.15, linewidth=0)
    text = f"plateau: {plateau} epochs" if plateau is not None else f"still on the plateau after {len(history.losses)} epochs"
    ax.annotate(text, xy=(0.02, 0.06), xycoords="axes fraction", color="darkorange")
    return fig
