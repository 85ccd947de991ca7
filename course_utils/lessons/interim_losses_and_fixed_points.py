"""Notebook 06: interim losses, and iterating the trained map further.

The notebook builds on notebooks 03 and 05: it uses their ``gradient_at``
(the gradient of the loss at a point) and ``train_on_seed``, ``distances``,
``format_vector``, ``plot_drift`` (training on the seed's problem, and how far
the iterated state drifts), imported here so that the notebook finds them all
in its own lesson.""" 

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..data import seed_data
from ..plotting import light_log_axis, plot_loss, plot_trajectory, state_labels
from .depth_and_the_saddle import gradient_at
from .explorer import explorer
from .nonlinear_activations import distances, format_vector, plot_drift, train_on_seed

__all__ = ["distances", "explore_interim", "format_vector", "gradient_at", "plot_drift", "train_on_seed"]

NOTEBOOK = "06_interim_losses_and_fixed_points"


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "interim_weight": widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="interim weight", style=style),
        "extra": widgets.IntSlider(value=4, min=0, max=8, description="iterations past depth", style=style),
        "init_noise": widgets.Dropdown(options=[0.0, 0.1], value=0.0, description="init noise", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_interim(interim_weight: float = 1.0, extra: int = 4, init_noise: float = 0.0) -> Figure:
    """The seed's problem trained with interim losses, then iterated further.

    Left: the loss curve (401 epochs at most, lr 0.01). Right: the trajectory
    X, SX, …, S^(2+extra)X next to the target Y = 2·e3.
    """
    run = train_on_seed("identity", "full", init_noise=float(init_noise), interim_weight=round(float(interim_weight), 3))
    X, Y = seed_data()
    states = run.states(int(extra))
    # no layout engine: it would double the drawing time; inline output is cropped anyway
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.88, wspace=0.12)
    plot_loss(run.history, ax=left, title=f"interim weight {interim_weight:.1f}, init noise {init_noise:.1f}")
    light_log_axis(left)
    plot_trajectory(states, labels=state_labels(len(states)), target=Y, ax=right)
    right.set_title(f"trained for 2 iterations, run {2 + int(extra)}")
    return fig
