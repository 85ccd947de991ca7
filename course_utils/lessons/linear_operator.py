"""Sliders of notebook 01: training the linear operator.

The slider redraws the loss curve of the seed's problem (X = e1, Y = 2 e3,
the seed's Init scaled to the chosen noise) for a learning rate, a number of
iterations and a number of epochs. It runs ``course_utils.train`` itself
(float64), once per (lr, iterations, init noise) for ``EPOCHS_MAX`` epochs,
and cuts the run to the epochs asked for: the curve is the one ``train``
draws.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from .._checks import check_int, check_real
from ..data import seed_data, seed_generator
from ..operator import SparseMatrix
from ..plotting import describe_figure, loss_summary, plot_loss, rounded
from ..training import History, train
from .cache import copied
from .explorer import explorer

__all__ = [
    "EPOCHS_MAX",
    "explore_training",
    "seed_run",
]

NOTEBOOK = "01_linear_operator"


#: the epochs slider's maximum; runs are computed this far once and cut
EPOCHS_MAX = 2001

#: the seed's stopping rule
TOL = 0.01


@copied(maxsize=128)  # a run holds up to EPOCHS_MAX floats
def _full_run(lr: float, iterations: int, init_noise: float, epochs: int) -> tuple[tuple[float, ...], bool, bool]:
    """The losses, ``converged`` and ``diverged`` of ``train`` on the seed's problem (plain data: cached)."""
    X, Y = seed_data(torch.float64)
    Init = torch.rand((3, 3), generator=seed_generator()).double() * init_noise
    history = train(SparseMatrix(3, Init=Init), X, Y, iterations=iterations, epochs=epochs, lr=lr, tol=TOL)
    return tuple(history.losses), history.converged, history.diverged


def seed_run(lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401) -> History:
    """The seed's run (its data, its Init scaled to ``init_noise``, tol 0.01) with other settings.

    Computed once for ``EPOCHS_MAX`` epochs per (lr, iterations, init_noise)
    and cut to ``epochs``: the first epochs of a longer run are the same run.
    """
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    iterations = check_int(iterations, "iterations", minimum=1)
    init_noise = check_real(init_noise, "init_noise", minimum=0.0)
    epochs = check_int(epochs, "epochs", minimum=1)
    losses, converged, diverged = _full_run(lr, iterations, init_noise, max(epochs, EPOCHS_MAX))
    if len(losses) > epochs:  # the run went on past the epochs asked for: cut it there
        losses, converged, diverged = losses[:epochs], False, False
    return History(list(losses), converged, diverged, lr=lr, iterations=iterations, tol=TOL)


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "lr": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1, description="learning rate", style=style),
        "iterations": widgets.IntSlider(value=2, min=1, max=5, description="iterations", style=style),
        "init_noise": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01, description="init noise", style=style),
        "epochs": widgets.IntSlider(value=401, min=1, max=EPOCHS_MAX, step=50, description="epochs", style=style),
        "log_scale": widgets.Checkbox(value=True, description="log scale", indent=False),
    }


@explorer(NOTEBOOK, _controls)
def explore_training(
    lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401, log_scale: bool = True
) -> Figure:
    """Loss curve of the seed's problem for one choice of the settings.

    On the log axis a loss falling by the same amount every epoch (one
    iteration: lr per epoch) bends down as it nears zero and looks like a
    plateau and a plunge; the linear axis shows it as the straight line it is.

    Args:
        lr: SGD learning rate.
        iterations: applications of S per forward pass.
        init_noise: scale of Init (the seed's draw times this).
        epochs: most epochs to run.
        log_scale: draw the loss on a log axis (True) or a linear one from 0.
    """
    history = seed_run(lr, iterations, init_noise, epochs)
    title = f"lr {lr:.3g}, k = {iterations}, init noise {init_noise:.2f}: {history.status}"
    fig = plot_loss(history, title=title)
    if not log_scale:
        ax = fig.axes[0]
        ax.set_yscale("linear")
        finite = [v for v in history.losses if math.isfinite(v)]
        top = max(finite, default=0.0)
        ax.set_ylim(0, min(1.05 * top, 1e300) if top > 0 else 1.0)  # a diverged run can reach ~1e308
    return describe_figure(fig, (
        f"Loss curve of the seed's problem on a {'log' if log_scale else 'linear'} scale for learning rate "
        f"{rounded(lr)}, {iterations} iteration{'s' if iterations > 1 else ''}, init noise {init_noise:.2f} and at most "
        f"{epochs} epoch{'s' if epochs != 1 else ''}: {loss_summary(history)}."
    ))
