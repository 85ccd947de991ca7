"""The sparse matrix operator of notebook 01.

    S = Init + Ω ⊙ U

``Init`` is a fixed initialisation (small noise), ``Ω`` a fixed 0/1 mask and
``U`` the only trainable tensor; ``⊙`` is the elementwise product. Data are
columns: ``S(X) = S X`` for ``X`` of shape ``(n, m)``, m examples.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import as_input, as_matrix, check_generator, check_int, check_mask, check_precision, check_real

__all__ = ["SparseMatrix"]


class SparseMatrix(nn.Module):
    """The operator ``S = Init + Ω ⊙ U`` (notebook 01), U its only parameter.

    Args:
        n: size of the square operator (n x n).
        Init: fixed initialisation; default ``init_noise * rand(n, n)``, drawn
            from ``generator`` or, like the seed notebook, the global RNG.
        Omega: fixed 0/1 mask; default all ones (every entry trainable).
        U: starting value of the trainable update; default zeros.
        init_noise: scale of the default ``Init`` (>= 0). Zero puts training on
            a saddle of the loss for two or more iterations (notebook 03).
        generator: a ``torch.Generator`` for the default ``Init``.

    ``S.matrix`` is ``Init + Omega * U``; ``S(X)`` is ``S.matrix @ X``.
    """

    def __init__(
        self,
        n: int = 3,
        *,
        Init: Any = None,
        Omega: Any = None,
        U: Any = None,
        init_noise: float = 0.1,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        n = check_int(n, "n", minimum=1)
        init_noise = check_real(init_noise, "init_noise", minimum=0.0)
        check_generator(generator)
        dtype = torch.get_default_dtype()
        if Init is None:
            # Drawn even when init_noise is 0, as the seed does, so that the
            # global RNG advances the same way.
            Init = torch.rand((n, n), generator=generator, dtype=dtype) * init_noise
        else:
            Init = as_matrix(Init, "Init", rows=n, cols=n).detach().clone()
            dtype = Init.dtype
        Omega = torch.ones((n, n), dtype=dtype) if Omega is None else check_mask(Omega, "Omega", n, dtype)
        if U is None:
            U = torch.zeros((n, n), dtype=dtype)
        else:
            check_precision(U, "U", dtype, "S", fix="Init{to}")  # S computes in Init's dtype
            U = as_matrix(U, "U", rows=n, cols=n, dtype=dtype).detach().clone()
        self.n = n
        self.register_buffer("Init", Init)
        self.register_buffer("Omega", Omega.detach().clone())
        self.U = nn.Parameter(U)

    @property
    def matrix(self) -> torch.Tensor:
        """The operator as a dense n x n tensor, ``Init + Omega * U``."""
        return self.Init + self.Omega * self.U

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Apply S once: ``S X`` for X of shape (n, m), in S's dtype.

        A tensor X finer than S (float64 for a float32 S) raises a TypeError
        rather than being rounded: call ``S.double()`` or ``X.float()``.
        """
        return self.matrix @ as_input(X, "X", self.U.dtype, rows=self.n, finite=False)

    def extra_repr(self) -> str:
        free = int(self.Omega.sum().item())
        return f"n={self.n}, trainable entries={free} of {self.n * self.n}"
