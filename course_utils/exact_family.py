"""Around the exact solution of notebook 02: the family, the checks, the data.

For one application of ``S = Init + Ω ⊙ U`` the equation ``S X = Y`` is
linear in U. ``exact_solution`` (in ``exact.py``) picks the minimum-norm
least-squares U; this module holds what the notebook sets beside it:

- ``padded_solution``: the seed's way for m < n examples: append n - m columns
  to X (and targets for them) to make it square, then solve exactly. Each
  padding gives another member of the family of exact solutions.
- ``normal_residual`` and ``row_residuals``: the checks of a least-squares U.
- ``example_data``: a small reproducible data set ``Y = A X + noise``.
- ``solution_table``: residual and size of several candidate U, as text.
- ``sweep_examples``: residual and ``||U||_F`` of the exact U as the number of
  examples grows (the slider of notebook 02).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import torch

from ._checks import as_matrix, check_int, check_mask, check_real, describe
from .exact import exact_solution, residual

__all__ = [
    "Sweep",
    "example_data",
    "normal_residual",
    "padded_solution",
    "row_residuals",
    "solution_table",
    "sweep_examples",
]


def _operator(X: torch.Tensor, U: Any, Init: Any, Omega: Any) -> torch.Tensor:
    """``Init + Ω ⊙ U`` in X's dtype, the parts checked against X's size."""
    n = X.shape[0]
    U = as_matrix(U, "U", rows=n, cols=n, dtype=X.dtype)
    Init = torch.zeros((n, n), dtype=X.dtype) if Init is None else as_matrix(Init, "Init", rows=n, cols=n, dtype=X.dtype)
    Omega = torch.ones((n, n), dtype=X.dtype) if Omega is None else check_mask(Omega, "Omega", n, X.dtype)
    return Init + Omega * U


def padded_solution(X: Any, Y: Any, padding: Any, Init: Any = None, targets: Any = None) -> torch.Tensor:
    """The exact U for X padded to a square matrix (the seed's construction, notebook 02).

    Solves ``(Init + U) [X P] = [Y T]``: with ``[X P]`` invertible there is one
    such U, and it also solves ``(Init + U) X = Y``. Each choice of the
    padding P (and of the targets T of its columns) gives a member of the
    family of exact solutions.

    Args:
        X: inputs as columns, n x m with m < n.
        Y: targets, n x m.
        padding: the extra columns P, n x (n - m).
        Init: fixed part of the operator, n x n; zeros if None.
        targets: where the extra columns should go, T, n x (n - m); zeros if None.
    """
    X = as_matrix(X, "X")
    n, m = X.shape
    if m >= n:
        raise ValueError(f"X must have fewer columns than rows to be padded, got shape {tuple(X.shape)}")
    Y = as_matrix(Y, "Y", rows=n, cols=m, dtype=X.dtype)
    P = as_matrix(padding, "padding", rows=n, cols=n - m, dtype=X.dtype)
    T = torch.zeros_like(P) if targets is None else as_matrix(targets, "targets", rows=n, cols=n - m, dtype=X.dtype)
    square = torch.hstack((X, P))
    if int(torch.linalg.matrix_rank(square.double())) < n:
        raise ValueError("padding must make [X padding] invertible; these columns are linearly dependent on X's")
    return exact_solution(square, torch.hstack((Y, T)), Init=Init)


def normal_residual(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> float:
    """``||Ω ⊙ ((S X - Y) Xᵀ)||_F``: zero exactly when U is a least-squares solution.

    These are the normal equations: the residual ``S X - Y`` is orthogonal to
    every direction U may move in (the rows of X, for each free entry). It is
    also the gradient of ``½ ||S X - Y||_F²`` with respect to U.

    Args:
        X, Y: inputs and targets as columns, n x m each.
        U: the candidate update, n x n.
        Init, Omega: as in ``exact_solution``.
    """
    X = as_matrix(X, "X")
    Y = as_matrix(Y, "Y", rows=X.shape[0], cols=X.shape[1], dtype=X.dtype)
    n = X.shape[0]
    Omega = torch.ones((n, n), dtype=X.dtype) if Omega is None else check_mask(Omega, "Omega", n, X.dtype)
    S = _operator(X, U, Init, Omega)
    return float(torch.linalg.matrix_norm(Omega * ((S @ X - Y) @ X.T), ord="fro"))


def row_residuals(X: Any, Y: Any, U: Any, Init: Any = None, Omega: Any = None) -> torch.Tensor:
    """The residual of each row, ``||(S X - Y)[i, :]||``, as a 1-D tensor.

    With a mask every row of U is its own least-squares problem; this shows
    which rows are solved exactly and which only in the least-squares sense.
    """
    X = as_matrix(X, "X")
    Y = as_matrix(Y, "Y", rows=X.shape[0], cols=X.shape[1], dtype=X.dtype)
    return torch.linalg.vector_norm(_operator(X, U, Init, Omega) @ X - Y, dim=1)


def example_data(m: int, noise: float = 0.0, n: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A small data set ``Y = A X + noise · E`` in float64 (notebook 02).

    ``A`` (n x n, the operator that made the data), the columns of X (n x m)
    and of E are standard normal draws from a generator seeded with ``seed``.
    Columns are drawn one example at a time, so the first m examples are the
    same whatever m is: asking for more examples only adds columns.

    Returns:
        ``(X, Y, A)``.
    """
    m = check_int(m, "m", minimum=1)
    noise = check_real(noise, "noise", minimum=0.0)
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    A = torch.stack([torch.randn(n, generator=generator, dtype=torch.float64) for _ in range(n)])
    columns = [torch.randn(2 * n, generator=generator, dtype=torch.float64) for _ in range(m)]
    X = torch.stack([c[:n] for c in columns], dim=1)
    E = torch.stack([c[n:] for c in columns], dim=1)
    return X, A @ X + noise * E, A


def solution_table(
    X: Any,
    Y: Any,
    solutions: Mapping[str, Any],
    Init: Any = None,
    Omega: Any = None,
    reference: str | None = None,
    squared: bool = True,
    digits: int = 4,
) -> str:
    """A text table: for each named U, the residual ``||S X - Y||_F`` and the size of U.

    The size is ``||U||_F²`` (or ``||U||_F`` when ``squared`` is False). With
    ``reference`` (one of the names) a third column gives the distance
    ``||U - U_reference||_F`` (squared likewise), so that Pythagoras
    ``||U||² = ||U_ref||² + ||U - U_ref||²`` can be read off when it holds.

    Args:
        X, Y: inputs and targets as columns.
        solutions: name -> U (n x n).
        Init, Omega: as in ``exact_solution``.
        reference: name of the U to measure distances from, or None.
        squared: print squared norms (True) or norms.
        digits: decimals printed.
    """
    if not isinstance(solutions, Mapping) or not solutions:
        raise TypeError(f"solutions must be a non-empty dict of name -> U, got {describe(solutions)}")
    if reference is not None and reference not in solutions:
        raise ValueError(f"reference must be one of {list(solutions)}, got {reference!r}")
    X = as_matrix(X, "X")
    n = X.shape[0]
    Us = {
        name: as_matrix(U, f"solutions[{name!r}]", rows=n, cols=n, dtype=X.dtype).detach()
        for name, U in solutions.items()
    }

    def size(A: torch.Tensor) -> float:
        value = float((A * A).sum())
        return value if squared else value**0.5

    power = "²" if squared else ""
    width = max(12, *(len(name) for name in Us))
    header = f"{'':{width}}  {'||SX - Y||_F':>13}  {'||U||_F' + power:>10}"
    if reference is not None:
        header += f"  {'||U - U_ref||_F' + power:>17}"
    lines = [header]
    for name, U in Us.items():
        line = f"{name:{width}}  {residual(X, Y, U, Init, Omega):13.{digits}f}  {size(U):10.{digits}f}"
        if reference is not None:
            line += f"  {size(U - Us[reference]):17.{digits}f}"
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Sweep:
    """Residual and size of the exact U for m = 1 .. len(residuals) examples."""

    ms: tuple[int, ...]
    residuals: tuple[float, ...]
    norms: tuple[float, ...]
    norm_A: float
    n: int
    noise: float


def sweep_examples(noise: float = 0.0, m_max: int = 8, n: int = 3, seed: int = 0) -> Sweep:
    """For m = 1 .. m_max examples of ``example_data``, the exact U's residual and ``||U||_F``.

    ``Init = 0`` and ``Ω = 1`` (the seed's exact solution), so ``U = Y pinv(X)``.
    Cached: the slider of notebook 02 asks for the same noise many times.

    Args:
        noise: scale of the noise in Y (>= 0).
        m_max: the largest number of examples.
        n: dimension of the examples.
        seed: seed of ``example_data``.
    """
    noise = check_real(noise, "noise", minimum=0.0)
    m_max = check_int(m_max, "m_max", minimum=1)
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    return _sweep(noise, m_max, n, seed)


@lru_cache(maxsize=128)
def _sweep(noise: float, m_max: int, n: int, seed: int) -> Sweep:
    X, Y, A = example_data(m_max, noise, n, seed)
    residuals, norms = [], []
    for m in range(1, m_max + 1):
        U = exact_solution(X[:, :m], Y[:, :m])
        residuals.append(residual(X[:, :m], Y[:, :m], U))
        norms.append(float(torch.linalg.matrix_norm(U)))
    return Sweep(tuple(range(1, m_max + 1)), tuple(residuals), tuple(norms), float(torch.linalg.matrix_norm(A)), n, float(noise))
