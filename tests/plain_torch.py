"""The seed's computations written out in plain torch, with no course_utils code.

The independent references of the tests (``from plain_torch import ...``):
a test compares what the package computes or draws with these, never with
the package's own helpers.

- ``loss``: L = ||Y - Z_k||_F + w · Σ_j ||Y - Z_j||_F with Z_j = σ(S Z_(j-1), j-1),
  S = Init + Ω ⊙ U;
- ``sgd``: the seed's training loop, U ← U - lr · ∂L/∂U until L <= tol, L not
  finite, or the epochs run out;
- ``trajectory``: [X, Z_1, …, Z_k].
"""

from __future__ import annotations

import math
from typing import Callable

import torch

Activation = Callable[[torch.Tensor, int], torch.Tensor]


def frobenius(A: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((A**2).sum())


def trajectory(S: torch.Tensor, X: torch.Tensor, iterations: int, activation: Activation | None = None) -> list[torch.Tensor]:
    """[X, Z_1, …, Z_k], Z_j = activation(S Z_(j-1), j-1)."""
    states = [X]
    for k in range(iterations):
        Z = S @ states[-1]
        states.append(Z if activation is None else activation(Z, k))
    return states


def loss(Init, Omega, U, X, Y, iterations, activation: Activation | None = None, interim_weight: float = 0.0):
    """The seed's loss, the interim losses added with ``interim_weight``."""
    states = trajectory(Init + Omega * U, X, iterations, activation)
    last = frobenius(Y - states[-1])
    if not interim_weight:
        return last
    return last + interim_weight * sum(frobenius(Y - Z) for Z in states[1:])


def sgd(Init, Omega, X, Y, *, U=None, iterations: int = 2, epochs: int = 401, lr: float = 0.01, tol: float = 0.01,
        activation: Activation | None = None, interim_weight: float = 0.0) -> tuple[list[float], torch.Tensor]:
    """The seed's training loop: (the loss of every epoch evaluated, the last U).

    U starts at zero (or at ``U``); each epoch evaluates L and stops when
    L <= tol or L is not finite, else steps U ← U - lr · ∂L/∂U.
    """
    U = (torch.zeros_like(Init) if U is None else U.detach().clone()).requires_grad_(True)
    losses = []
    for _ in range(epochs):
        L = loss(Init, Omega, U, X, Y, iterations, activation, interim_weight)
        losses.append(L.item())
        if not math.isfinite(losses[-1]) or losses[-1] <= tol:
            break
        (grad,) = torch.autograd.grad(L, U)
        with torch.no_grad():
            U -= lr * grad
    return losses, U.detach()


def on_row(row: int, fn: Callable[[torch.Tensor], torch.Tensor]) -> Activation:
    """An activation with the seed's (Z, k) signature: ``fn`` on one row of Z only."""

    def activation(Z: torch.Tensor, k: int) -> torch.Tensor:
        return torch.cat([Z[:row], fn(Z[row : row + 1]), Z[row + 1 :]], dim=0)

    return activation
