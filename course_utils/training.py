"""The iteration of the course and the training loop of the seed notebook (notebook 01), kept exactly.

The iteration exists once, in ``iteration``: a state stepped k = ``iterations``
times. ``unroll`` steps a dense state with the operator,

    Z_0 = X,   Z_j = σ(S Z_{j-1}, j-1)   (j = 1..k),   Y_hat = Z_k,

and ``mlp.IteratedMap`` (notebooks 07, 08) steps a state held slot by slot,
z ← σ(S z + b).

``iterate`` returns its states (for looking), ``pass_loss`` the loss of one
pass (for training, notebook 03's loss landscape, notebook 04's loss floor),
and ``train`` runs the seed's loop: each epoch feeds X through the iteration
and takes one plain SGD step on U for the loss

    L = ||Y - Y_hat||_F + interim_weight * Σ_j ||Y - Z_j||_F

(as in the seed, the interim sum runs over every iteration, the last one
included). Training stops at the first epoch whose loss is <= tol, without a
step; a non-finite loss stops it too, marked as diverged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

import numpy as np
import torch

from ._checks import as_input, as_matrix, check_activation, check_int, check_real, describe
from .operator import SparseMatrix

#: what ``train`` and ``iterate`` accept as σ: any ``activation(Z, j) -> Z``
#: (an ``activations.Activation`` object, or a plain function like the seed's)
ActivationFn = Callable[[torch.Tensor, int], torch.Tensor]


@dataclass
class History:
    """What ``train`` saw: one loss per epoch evaluated, and how it stopped.

    ``losses[-1]`` is the stopping loss: the first one <= tol (converged), the
    first non-finite one (diverged), or the last epoch's loss (neither).
    """

    losses: list[float] = field(default_factory=list)
    converged: bool = False
    diverged: bool = False
    lr: float = 0.01
    iterations: int = 2
    tol: float = 0.01

    @property
    def stop_epoch(self) -> int:
        """Index of the last epoch evaluated (the seed prints it as 'final')."""
        return len(self.losses) - 1

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    def report(self, every: int | None = None, digits: int = 6) -> str:
        """The seed's printout: the loss every ``every`` epochs and the stop.

        ``every`` defaults to a tenth of the epochs run (at least 1). Losses are
        printed with ``digits`` significant digits, trailing zeros kept, but
        never finer than ``digits - 1`` decimals (2.00000, 1.98452, 0.00225),
        so that the text does not depend on the last bits of a float: a small
        final loss is a difference of nearly equal numbers, its relative error
        far above float precision.
        """
        every = max(1, len(self.losses) // 10) if every is None else check_int(every, "every", minimum=1)
        if not self.losses:
            return "no epochs run"

        def fmt(loss: float) -> str:
            # '#' keeps trailing zeros: 0.99999999 and 1.00000001 both print as 1.00000
            return f"{loss:.{max(digits - 1, 0)}f}" if abs(loss) < 1 else f"{loss:#.{max(digits, 1)}g}"

        lines = [f"epoch {i:4d}  loss {fmt(loss)}" for i, loss in enumerate(self.losses) if i % every == 0]
        lines.append(f"epoch {self.stop_epoch:4d}  {self.status}  loss {fmt(self.final_loss)}")
        return "\n".join(lines)

    @property
    def status(self) -> str:
        if self.diverged:
            return "diverged"
        return "converged" if self.converged else "stopped (epochs used up)"

    def __repr__(self) -> str:
        if not self.losses:
            return "History(0 epochs, no loss yet)"
        return (
            f"History({len(self.losses)} epochs, {self.status}, "
            f"final loss {self.final_loss:.5g})"
        )


def _frobenius(A: torch.Tensor) -> torch.Tensor:
    # ||A||_F, the same kernel as matrix_norm(A, "fro") with less dispatch
    return torch.linalg.vector_norm(A)


State = TypeVar("State")


def iteration(step: Callable[[State, int], State], start: State, iterations: int) -> Iterator[State]:
    """The iteration itself: ``state_j = step(state_{j-1}, j)`` for j = 1..iterations, from ``start``.

    The one loop of the course: ``unroll`` (a dense state Z, hence ``iterate``,
    ``pass_loss`` and ``train``) and ``IteratedMap`` / ``RecurrentMap`` (a
    state as slots) run it with their own step. A generator: each state is
    yielded as it is made, for the caller to keep or drop.
    """
    state = start
    for j in range(1, iterations + 1):
        state = step(state, j)
        yield state


def unroll(
    M: torch.Tensor,
    X: torch.Tensor,
    iterations: int,
    activation: ActivationFn | None = None,
    check_output: bool = False,
) -> Iterator[torch.Tensor]:
    """The iteration ``Z_j = σ(M Z_{j-1}, j-1)`` from ``Z_0 = X``: yields Z_1, ..., Z_k.

    ``iterate``, ``pass_loss`` (hence ``train``) and the lessons run it. Inputs
    are checked tensors of one dtype (``M`` n x n, ``X`` n x m);
    differentiable, so autograd sees every step. ``check_output`` checks what
    the activation returns.
    """

    def step(Z: torch.Tensor, j: int) -> torch.Tensor:
        Z = M @ Z
        if activation is not None:
            Z = activation(Z, j - 1)
            if check_output:
                _check_activation_output(Z, X.shape)
        return Z

    return iteration(step, X, iterations)


def pass_loss(
    M: torch.Tensor,
    X: torch.Tensor,
    Y: torch.Tensor,
    iterations: int,
    activation: ActivationFn | None = None,
    interim_weight: float = 0.0,
    check_output: bool = False,
) -> torch.Tensor:
    """The loss of one forward pass through the matrix ``M`` (checked inputs).

    ``L = ||Y - Z_k||_F + interim_weight · Σ_j ||Y - Z_j||_F`` over the states
    of ``unroll``; the interim sum is skipped when its weight is 0 (it would
    add exactly 0). ``check_output`` checks what the activation returns
    (``train`` does so on its first epoch).
    """
    Z = X
    interim = None
    for Z in unroll(M, X, iterations, activation, check_output):
        if interim_weight:
            step_loss = _frobenius(Y - Z)
            interim = step_loss if interim is None else interim + step_loss
    loss = _frobenius(Y - Z)
    return loss if interim is None else loss + interim_weight * interim


def _check_operator(S: Any) -> SparseMatrix:
    if not isinstance(S, SparseMatrix):
        raise TypeError(f"S must be a course_utils.SparseMatrix, got {describe(S)}")
    return S


def _as_square(S: Any) -> torch.Tensor:
    """The dense n x n matrix of S: a SparseMatrix's ``S.matrix``, or a plain square matrix."""
    if isinstance(S, SparseMatrix):
        return S.matrix
    if isinstance(S, (torch.Tensor, np.ndarray, list, tuple)):
        M = as_matrix(S, "S")
        if M.shape[0] != M.shape[1]:
            raise ValueError(f"S must be a square n x n matrix, got shape {tuple(M.shape)}")
        return M
    raise TypeError(f"S must be a course_utils.SparseMatrix or an n x n matrix, got {describe(S)}")


def iterate(
    S: Any,
    X: Any,
    iterations: int = 2,
    activation: ActivationFn | None = None,
) -> list[torch.Tensor]:
    """The trajectory ``[X, Z_1, ..., Z_k]`` of X under k applications of S.

    ``Z_j = activation(S Z_{j-1}, j-1)`` (the identity when ``activation`` is
    None). Computed without gradients, in S's dtype; for looking, not training.

    Args:
        S: a ``SparseMatrix``, or a plain n x n matrix (tensor, array, list).
        X: the start, n x m (a tensor finer than S raises a TypeError).
        iterations: applications of S (>= 0).
        activation: ``activation(Z, j)`` applied after iteration j; identity if None.

    Every state is the caller's own: the first is a copy of X, not X.
    """
    with torch.no_grad():
        M = _as_square(S)
        X = as_input(X, "X", M.dtype, rows=M.shape[0]).clone()
        iterations = check_int(iterations, "iterations", minimum=0)
        activation = check_activation(activation)
        return [X, *unroll(M, X, iterations, activation, check_output=True)]


def train(
    S: SparseMatrix,
    X: Any,
    Y: Any,
    *,
    iterations: int = 2,
    epochs: int = 401,
    lr: float = 0.01,
    tol: float = 0.01,
    activation: ActivationFn | None = None,
    interim_weight: float = 0.0,
) -> History:
    """Train U of ``S`` in place with plain SGD, as the seed notebook does.

    Args:
        S: the operator; only ``S.U`` changes.
        X, Y: inputs and targets as columns, shape (n, m) each; tensors finer
            than S (float64 for a float32 S) raise a TypeError.
        iterations: applications of S per forward pass (k >= 1).
        epochs: most epochs to run (>= 1).
        lr: SGD learning rate (> 0).
        tol: stop at the first loss <= tol (>= 0), without a step.
        activation: ``activation(Z, j)`` applied after iteration j; identity if None.
        interim_weight: weight of the summed per-iteration losses (>= 0).

    Returns:
        a ``History`` with the losses, ``converged`` and ``diverged``.
    """
    S = _check_operator(S)
    dtype = S.U.dtype
    X = as_input(X, "X", dtype, rows=S.n)
    Y = as_input(Y, "Y", dtype)
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {tuple(X.shape)}, got shape {tuple(Y.shape)}")
    iterations = check_int(iterations, "iterations", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    tol = check_real(tol, "tol", minimum=0.0)
    interim_weight = check_real(interim_weight, "interim_weight", minimum=0.0)
    activation = check_activation(activation)

    history = History(lr=lr, iterations=iterations, tol=tol)
    Init, Omega, U = S.Init, S.Omega, S.U
    for epoch in range(epochs):
        M = Init + Omega * U  # S.matrix, without the module's attribute look-ups
        loss = pass_loss(M, X, Y, iterations, activation, interim_weight, check_output=epoch == 0)
        value = loss.item()
        history.losses.append(value)
        if not math.isfinite(value):
            history.diverged = True
            break
        if value <= tol:
            history.converged = True
            break
        (grad,) = torch.autograd.grad(loss, U)
        with torch.no_grad():
            U.add_(grad, alpha=-lr)  # what torch.optim.SGD(lr=lr) does
    return history


def _check_activation_output(Z: Any, shape: torch.Size) -> None:
    if not isinstance(Z, torch.Tensor):
        raise TypeError(f"activation must return a tensor, got {describe(Z)}")
    if Z.shape != shape:
        raise ValueError(f"activation must return a tensor of shape {tuple(shape)}, got shape {tuple(Z.shape)}")
