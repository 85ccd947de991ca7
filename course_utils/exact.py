"""Exact solutions for one application of the operator (notebook 02).

We want U with ``(Init + Ω ⊙ U) X = Y``, i.e. ``(Ω ⊙ U) X = R`` for the
residual target ``R = Y - Init X``. Row i of that equation only involves the
free entries F_i = {j : Ω_ij = 1} of row i of U:

    U[i, F_i] X[F_i, :] = R[i, :]

Each row is a least-squares problem, solved with the pseudo-inverse:
``U[i, F_i] = R[i, :] pinv(X[F_i, :])``. With Ω = 1 this is ``U = R pinv(X)``:
the unique solution when X is square and invertible, the minimum-Frobenius-norm
one when X has fewer columns than rows (a whole family solves it), and the
least-squares one when it has more (none solves it exactly).

Applied k times, ``S^k X = Y`` is no longer linear in S. Lifting (notebook 04)
makes it so: choose the hidden states ``H_1 … H_{k-1}`` yourself and solve the
one linear system ``S [X H_1 … H_{k-1}] = [H_1 … H_{k-1} Y]`` with
``exact_solution`` (``lift_solve``). For the seed's data and ``H = a·e₂`` this
gives the family ``S(a) = a·e₂e₁ᵀ + (2/a)·e₃e₂ᵀ``, with S²X = Y for every a ≠ 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._checks import as_matrix, check_mask, check_precision
from .training import pass_loss


def _prepare(X: Any, Y: Any, Init: Any, Omega: Any, owner: str) -> tuple[torch.Tensor, ...]:
    """X, Y, Init (zeros if None) and Ω (None stays None: every entry free) in X's dtype, on X's device.

    A tensor Y or Init finer than X is refused, not rounded (``_checks``' input policy).
    """
    X = as_matrix(X, "X")
    n, m = X.shape
    Y = _like_X(Y, "Y", X, owner)
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {(n, m)}, got shape {tuple(Y.shape)}")
    Init = X.new_zeros((n, n)) if Init is None else _like_X(Init, "Init", X, owner, rows=n, cols=n)
    Omega = None if Omega is None else check_mask(Omega, "Omega", n, X.dtype).to(X.device)
    return X, Y, Init, Omega


def _like_X(value: Any, name: str, X: torch.Tensor, owner: str, **shape: int) -> torch.Tensor:
    """``value`` as a matrix of X's dtype on X's device; a finer tensor raises."""
    check_precision(value, name, X.dtype, f"{owner} (in X's dtype)", fix="X{to}")
    return as_matrix(value, name, dtype=X.dtype, **shape).to(X.device)


def exact_solution(X: Any, Y: Any, Init: Any = None, Omega: Any = None) -> torch.Tensor:
    """The U that makes ``(Init + Ω ⊙ U) X = Y`` for one application.

    Args:
        X: inputs as columns, shape (n, m).
        Y: targets, shape (n, m).
        Init: fixed part of the operator, n x n; zeros if None.
        Omega: 0/1 mask of trainable entries, n x n; all ones if None.

    Returns:
        U (n x n, X's dtype and device), zero outside the mask: per row, the
        minimum-norm least-squares solution over that row's free entries.
    """
    X, Y, Init, Omega = _prepare(X, Y, Init, Omega, "exact_solution")
    n = X.shape[0]
    # Solve in float64 for accuracy, hand back X's dtype.
    X64, R64 = X.double(), (Y - Init @ X).double()
    if Omega is None or bool((Omega == 1).all()):
        return (R64 @ torch.linalg.pinv(X64)).to(X.dtype)
    U = X64.new_zeros((n, n))
    for i in range(n):
        free = Omega[i].bool()
        if free.any():
            U[i, free] = R64[i] @ torch.linalg.pinv(X64[free])
    return U.to(X.dtype)


def residual(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> float:
    """The Frobenius norm ``||(Init + Ω ⊙ U) X - Y||_F`` as a float."""
    X, Y, Init, Omega = _prepare(X, Y, Init, Omega, "residual")
    U = _like_X(U, "U", X, "residual", rows=X.shape[0], cols=X.shape[0])
    S = Init + (U if Omega is None else Omega * U)
    return float(torch.linalg.matrix_norm(S @ X - Y, ord="fro"))


@dataclass
class Lifting:
    """A solution of ``S [X H_1 ... H_{k-1}] = [H_1 ... H_{k-1} Y]``.

    Attributes:
        U: the update (n x n); ``S = Init + Ω ⊙ U``.
        matrix: S itself.
        hidden: the hidden states H_1, ..., H_{k-1} that were chosen.
        lifted_residual: ``||S [X H] - [H Y]||_F``, the error of the stacked
            one-step problem (0 when the lifted problem is solvable).
        loss: ``||S^k X - Y||_F``, the training loss of the solution (no
            activation).
    """

    U: torch.Tensor
    matrix: torch.Tensor
    hidden: list[torch.Tensor]
    lifted_residual: float
    loss: float

    @property
    def iterations(self) -> int:
        return len(self.hidden) + 1

    def __repr__(self) -> str:
        return (
            f"Lifting({self.iterations} iterations, lifted residual {self.lifted_residual:.4f}, "
            f"loss ||S^{self.iterations} X - Y|| = {self.loss:.4f})"
        )


def lift_solve(X: Any, Y: Any, hidden: Any, Init: Any = None, Omega: Any = None) -> Lifting:
    """Solve ``S^k X = Y`` exactly by lifting, for chosen hidden states (notebook 04).

    Stacks ``A = [X H_1 ... H_{k-1}]`` and ``B = [H_1 ... H_{k-1} Y]`` and
    returns notebook 02's ``exact_solution(A, B, Init, Omega)``: per row the
    minimum-norm least-squares U over the mask's free entries.

    Args:
        X: inputs as columns, n x m.
        Y: targets, n x m.
        hidden: one n x m hidden state H (k = 2 applications) or a list of
            k - 1 of them (H_j is meant to be S^j X).
        Init: fixed part of S, n x n; zeros if None.
        Omega: 0/1 mask, n x n; all ones if None.

    Returns:
        a ``Lifting`` with U, S, the hidden states, the lifted residual and
        the loss ``||S^k X - Y||_F``.
    """
    X, Y, Init, Omega = _prepare(X, Y, Init, Omega, "lift_solve")
    n, m = X.shape
    states = _hidden_states(hidden, n, m)
    H = []
    for j, h in enumerate(states):
        name = "hidden" if len(states) == 1 else f"hidden[{j}]"
        h = _like_X(h, name, X, "lift_solve")
        if h.shape != (n, m):
            raise ValueError(f"{name} must have the shape of X {(n, m)} (a hidden state per example), got shape {tuple(h.shape)}")
        H.append(h)
    A = torch.cat([X] + H, dim=1)
    B = torch.cat(H + [Y], dim=1)
    U = exact_solution(A, B, Init, Omega)
    S = Init + (U if Omega is None else Omega * U)
    lifted = float(torch.linalg.matrix_norm(S @ A - B, ord="fro"))
    loss = float(pass_loss(S, X, Y, len(H) + 1))  # ||Y - S^k X||_F, the loss train minimises
    return Lifting(U, S, H, lifted, loss)


def _hidden_states(hidden: Any, n: int, m: int) -> list:
    """One hidden state or a list of them, as a list."""
    if isinstance(hidden, (torch.Tensor, np.ndarray)):
        return list(hidden) if hidden.ndim == 3 else [hidden]
    if isinstance(hidden, (list, tuple)):
        if len(hidden) == 0:
            raise ValueError(f"hidden must be an n x m matrix ({n} x {m}) or a non-empty list of them, got an empty list")
        if all(isinstance(h, (torch.Tensor, np.ndarray)) for h in hidden):
            return list(hidden)
        try:
            depth = np.asarray(hidden, dtype=float).ndim
        except (TypeError, ValueError):
            depth = 2  # let as_matrix name the problem
        return list(hidden) if depth == 3 else [hidden]
    return [hidden]  # as_matrix raises a TypeError naming it
