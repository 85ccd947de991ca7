"""Sliders of notebook 01: training the linear operator."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..operator import SparseMatrix
from ..plotting import plot_loss
from ..training import History, seed_data, seed_generator, train
from . import explorer

NOTEBOOK = "01_linear_operator"


@lru_cache(maxsize=256)
def seed_run(lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401) -> History:
    """The seed's run (its data and its Init, scaled to ``init_noise``) with other settings."""
    X, Y = seed_data()
    S = SparseMatrix(3, init_noise=init_noise, generator=seed_generator())
    return train(S, X, Y, iterations=iterations, epochs=epochs, lr=lr)


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "lr": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1, description="learning rate", style=style),
        "iterations": widgets.IntSlider(value=2, min=1, max=5, description="iterations", style=style),
        "init_noise": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01, description="init noise", style=style),
        "epochs": widgets.IntSlider(value=401, min=1, max=2001, step=50, description="epochs", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_training(lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401) -> Figure:
    """Loss curve of the seed's problem for one choice of the settings."""
    history = seed_run(float(lr), int(iterations), float(init_noise), int(epochs))
    title = f"lr {lr:.3g}, {iterations} iterations, init noise {init_noise:.2f}: {history.status}"
    return plot_loss(history, title=title)
