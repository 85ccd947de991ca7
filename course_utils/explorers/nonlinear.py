"""Sliders of notebook 05: activations, and iterating past the trained depth."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..activations import ELEMENTWISE, Injection, per_row
from ..fixed_points import train_on_seed, settling_iteration
from ..trajectory import plot_trajectory, state_labels
from ..training import seed_data
from . import explorer

NOTEBOOK = "05_nonlinear_activations"

#: the trained set-up of the notebook: the 1-1-1 chain e1 → e2 → e3
CHAIN = dict(mask="chain", init_noise=0.5, lr=0.01, epochs=1000)
EXTRA_MAX = 8


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "activation": widgets.Dropdown(options=list(ELEMENTWISE), value="cube", description="σ on row 1", style=style),
        "extra": widgets.IntSlider(value=3, min=0, max=EXTRA_MAX, description="iterations past depth", style=style),
        "injection": widgets.Checkbox(value=True, description="inject X (clamp row 0)", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_activation(activation: str = "cube", extra: int = 3, injection: bool = True) -> Figure:
    """The chain e1 → e2 → e3 trained with σ on row 1, run 2 + ``extra`` iterations.

    The trajectory X, σ(SX), … next to the target Y = 2·e3; the title says
    from which iteration on the state stops changing, if it does.
    """
    run = train_on_seed(str(activation), **CHAIN)
    X, Y = seed_data()
    sigma = per_row(1, str(activation))
    if injection:
        sigma = Injection(X, rows=0) >> sigma
    states = run.states(int(extra), sigma)
    # no layout engine: it would double the drawing time; inline output is cropped anyway
    fig, ax = plt.subplots(figsize=(1.6 + 0.62 * (len(states) + 1), 2.6))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.85)
    plot_trajectory(states, labels=state_labels(len(states), operator="σS"), target=Y, ax=ax)
    settle = settling_iteration(states)
    fixed = f"fixed from iteration {settle}" if settle is not None else "still changing"
    ax.set_title(f"σ = {activation} on row 1, {'with' if injection else 'without'} injection: {fixed}")
    return ax.figure
