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
"""

from __future__ import annotations

from typing import Any

import torch

from ._checks import as_matrix, check_mask

__all__ = ["exact_solution", "residual"]


def _prepare(X: Any, Y: Any, Init: Any, Omega: Any) -> tuple[torch.Tensor, ...]:
    X = as_matrix(X, "X")
    n, m = X.shape
    Y = as_matrix(Y, "Y", dtype=X.dtype)
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {(n, m)}, got shape {tuple(Y.shape)}")
    Init = torch.zeros((n, n), dtype=X.dtype) if Init is None else as_matrix(Init, "Init", rows=n, cols=n, dtype=X.dtype)
    Omega = torch.ones((n, n), dtype=X.dtype) if Omega is None else check_mask(Omega, "Omega", n, X.dtype)
    return X, Y, Init, Omega


def exact_solution(X: Any, Y: Any, Init: Any = None, Omega: Any = None) -> torch.Tensor:
    """The U that makes ``(Init + Ω ⊙ U) X = Y`` for one application.

    Args:
        X: inputs as columns, shape (n, m).
        Y: targets, shape (n, m).
        Init: fixed part of the operator, n x n; zeros if None.
        Omega: 0/1 mask of trainable entries, n x n; all ones if None.

    Returns:
        U (n x n, X's dtype), zero outside the mask: per row, the
        minimum-norm least-squares solution over that row's free entries.
    """
    X, Y, Init, Omega = _prepare(X, Y, Init, Omega)
    n = X.shape[0]
    # Solve in float64 for accuracy, hand back X's dtype.
    X64, R64 = X.double(), (Y - Init @ X).double()
    if bool((Omega == 1).all()):
        return (R64 @ torch.linalg.pinv(X64)).to(X.dtype)
    U = torch.zeros((n, n), dtype=torch.float64)
    for i in range(n):
        free = Omega[i].bool()
        if free.any():
            U[i, free] = R64[i] @ torch.linalg.pinv(X64[free])
    return U.to(X.dtype)


def residual(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> float:
    """The Frobenius norm ``||(Init + Ω ⊙ U) X - Y||_F`` as a float."""
    X, Y, Init, Omega = _prepare(X, Y, Init, Omega)
    U = as_matrix(U, "U", rows=X.shape[0], cols=X.shape[0], dtype=X.dtype)
    return float(torch.linalg.matrix_norm((Init + Omega * U) @ X - Y, ord="fro"))
