"""Small helpers the exercise modules share: tensors of the learner's default dtype,
drawn from fixed private generators (the global random state is never touched)."""

from __future__ import annotations

import torch


def tensor(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.get_default_dtype())


def randn(seed: int, *shape: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=generator, dtype=torch.float64)).to(torch.get_default_dtype())


def random_mask(seed: int, n: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand((n, n), generator=generator) < 0.6).to(torch.get_default_dtype())


def e(i: int, n: int = 3) -> torch.Tensor:
    """The unit column with a 1 in row i (0-based): e(0) is e₁."""
    column = torch.zeros((n, 1), dtype=torch.get_default_dtype())
    column[i, 0] = 1.0
    return column


def seed_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's data: X = e₁, Y = 2 e₃."""
    return e(0), 2 * e(2)


def norm(A: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """The Frobenius norm (``squared=True`` only to recognise that mistake)."""
    value = torch.linalg.matrix_norm(A)
    return value**2 if squared else value


def chain(a: float, b: float, n: int = 3) -> torch.Tensor:
    """S with S e₁ = a e₂ and S e₂ = b e₃: the chain e₁ → e₂ → e₃."""
    S = torch.zeros((n, n), dtype=torch.get_default_dtype())
    S[1, 0], S[2, 1] = a, b
    return S


def slot_starts(sizes) -> list[int]:
    """Where each slot starts: slot l covers rows sum(sizes[:l]) .. + sizes[l]."""
    return [sum(sizes[:i]) for i in range(len(sizes))]


def cube(z: torch.Tensor) -> torch.Tensor:
    return z**3
