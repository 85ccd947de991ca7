"""The course's data: the seed's problem, small example data, the digits.

- ``seed_data``: the seed notebook's single example, ``X = e₁``, ``Y = 2·e₃``
  (3 x 1 columns), and ``seed_generator``, a private generator in the state the
  seed's RNG had when it drew the ``Init`` it trained (notebooks 01-06);
- ``example_data``: a small reproducible data set ``Y = A X + noise`` with m
  examples as columns (notebook 02);
- ``digits_data``: scikit-learn's 8 x 8 handwritten digits (shipped with
  scikit-learn, no download), as rows, split into train and test (notebook 07).
"""

from __future__ import annotations

import torch

from ._checks import check_int, check_real


def seed_data(dtype: torch.dtype | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The seed notebook's training data: ``X = e1``, ``Y = 2 e3`` as 3 x 1 columns."""
    X = torch.tensor([[1.0], [0.0], [0.0]], dtype=dtype)
    Y = torch.tensor([[0.0], [0.0], [2.0]], dtype=dtype)
    return X, Y


def seed_generator() -> torch.Generator:
    """A generator in the state the seed notebook's RNG had when it built its S.

    The seed called ``torch.manual_seed(123)`` and then drew a 3 x 2 padding and
    two 3 x 3 ``Init`` matrices (for its exact solution) before the ``Init`` of
    the operator it trained. Replaying those draws on a private generator gives
    the same ``Init`` without touching the global RNG.
    """
    generator = torch.Generator().manual_seed(123)
    for shape in [(3, 2), (3, 3), (3, 3)]:
        torch.rand(shape, generator=generator)
    return generator


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


def digits_data(dtype: torch.dtype = torch.float64, test_fraction: float = 0.25, seed: int = 0):
    """scikit-learn's 8 x 8 digits as rows: ``x_train, y_train, x_test, y_test``.

    Pixels are scaled from 0..16 to 0..1; the split is a random permutation
    drawn from ``torch.Generator().manual_seed(seed)``.

    Args:
        dtype: floating dtype of the images.
        test_fraction: share of the 1797 images kept for testing (0 < f < 1).
        seed: seed of the split.
    """
    from sklearn.datasets import load_digits

    test_fraction = check_real(test_fraction, "test_fraction", minimum=0.0, strict=True)
    if test_fraction >= 1:
        raise ValueError(f"test_fraction must be < 1, got {test_fraction}")
    data = load_digits()
    x = torch.as_tensor(data.data, dtype=dtype) / 16.0
    y = torch.as_tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]
