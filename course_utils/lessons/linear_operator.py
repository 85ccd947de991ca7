"""Sliders of notebook 01: training the linear operator.

The slider redraws the loss curve of the seed's problem (X = e1, Y = 2 e3,
the seed's Init scaled to the chosen noise) for a learning rate, a number of
iterations and a number of epochs. To answer within a fraction of a second
it runs ``fast_train``: the same loop as ``course_utils.train`` (same loss,
same stopping rule, same SGD step) for the linear case, written in NumPy
float64 with the gradient of the iterated map spelled out instead of autograd
(tests check that both give the same loss trace).
"""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from .._checks import check_int, check_real
from ..data import seed_data, seed_generator
from ..plotting import plot_loss
from ..training import History
from .explorer import explorer

__all__ = [
    "EPOCHS_MAX",
    "explore_training",
    "fast_train",
    "seed_run",
]

NOTEBOOK = "01_linear_operator"


#: the epochs slider's maximum; runs are computed this far once and cut
EPOCHS_MAX = 2001


def fast_train(
    Init: np.ndarray,
    Omega: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    iterations: int = 2,
    epochs: int = 401,
    lr: float = 0.01,
    tol: float = 0.01,
) -> History:
    """``course_utils.train`` for a linear map (no activation, no interim loss), in NumPy.

    With M = Init + Ω ⊙ U, Z_0 = X, Z_j = M Z_{j-1}, R = Y - Z_k, the loss
    L = ||R||_F has the gradient

        ∂L/∂U = Ω ⊙ Σ_j  (Mᵀ)^(k-j) B Z_{j-1}ᵀ,   B = -R / L,

    which is accumulated backwards through the k applications. U starts at 0.

    Args:
        Init, Omega: n x n float arrays (Omega holds 0 and 1).
        X, Y: n x m float arrays.
        iterations, epochs, lr, tol: as in ``train``.
    """
    Init, Omega = np.asarray(Init, dtype=float), np.asarray(Omega, dtype=float)
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    history = History(lr=lr, iterations=iterations, tol=tol)
    U = np.zeros_like(Init)
    with np.errstate(all="ignore"):  # overflow is what divergence looks like
        for _ in range(epochs):
            M = Init + Omega * U
            states = [X]
            for _ in range(iterations):
                states.append(M @ states[-1])
            R = Y - states[-1]
            loss = math.sqrt(float(np.sum(R * R)))
            history.losses.append(loss)
            if not math.isfinite(loss):
                history.diverged = True
                break
            if loss <= tol:
                history.converged = True
                break
            B = R / -loss
            grad = B @ states[-2].T
            for j in range(iterations - 1, 0, -1):
                B = M.T @ B
                grad += B @ states[j - 1].T
            U = U - lr * (Omega * grad)
    return history


@lru_cache(maxsize=128)  # a run holds up to EPOCHS_MAX floats
def _full_run(lr: float, iterations: int, init_noise: float, epochs: int) -> History:
    X, Y = (t.double().numpy() for t in seed_data())
    Init = torch.rand((3, 3), generator=seed_generator()).double().numpy() * init_noise
    return fast_train(Init, np.ones((3, 3)), X, Y, iterations=iterations, epochs=epochs, lr=lr)


def seed_run(lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401) -> History:
    """The seed's run (its data, its Init scaled to ``init_noise``, tol 0.01) with other settings.

    Computed once for ``EPOCHS_MAX`` epochs per (lr, iterations, init_noise)
    and cut to ``epochs``: the first epochs of a longer run are the same run.
    """
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    iterations = check_int(iterations, "iterations", minimum=1)
    init_noise = check_real(init_noise, "init_noise", minimum=0.0)
    epochs = check_int(epochs, "epochs", minimum=1)
    full = _full_run(lr, iterations, init_noise, max(epochs, EPOCHS_MAX))
    if len(full.losses) <= epochs:
        return full
    return History(losses=full.losses[:epochs], lr=full.lr, iterations=full.iterations, tol=full.tol)


def _controls() -> dict:
    style = {"description_width": "initial"}
    return {
        "lr": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1, description="learning rate", style=style),
        "iterations": widgets.IntSlider(value=2, min=1, max=5, description="iterations", style=style),
        "init_noise": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.01, description="init noise", style=style),
        "epochs": widgets.IntSlider(value=401, min=1, max=EPOCHS_MAX, step=50, description="epochs", style=style),
    }


@explorer(NOTEBOOK, _controls)
def explore_training(lr: float = 0.01, iterations: int = 2, init_noise: float = 0.1, epochs: int = 401) -> Figure:
    """Loss curve of the seed's problem for one choice of the settings.

    Args:
        lr: SGD learning rate.
        iterations: applications of S per forward pass.
        init_noise: scale of Init (the seed's draw times this).
        epochs: most epochs to run.
    """
    history = seed_run(lr, iterations, init_noise, epochs)
    title = f"lr {lr:.3g}, k = {iterations}, init noise {init_noise:.2f}: {history.status}"
    return plot_loss(history, title=title)
