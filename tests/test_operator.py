"""SparseMatrix: the operator S = Init + Ω ⊙ U of notebook 01.

References used here are independent of the implementation: the seed
notebook's own class and RNG order (copied below), NumPy arithmetic, and the
gradient of a linear function written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import course_utils as cu


class SeedSparseMatrix:
    """The seed notebook's class, verbatim (bug included), as a reference."""

    def __init__(self, U=None, Init=None, Omega=None, Init_noise=0.1):
        if U is None:
            self.U = torch.zeros((3, 3), requires_grad=True)
        else:
            self.U = U
        if Init is None:
            self.Init = torch.rand((3, 3), requires_grad=False) * Init_noise
        else:
            self.Init = U
        if Omega is None:
            self.Omega = torch.tensor([[1, 1, 1], [1, 1, 1], [1, 1, 1]], requires_grad=False)
        else:
            self.Omega = Omega

    def __call__(self, X):
        return (self.Init + self.Omega * self.U) @ X


def seed_notebook_init() -> torch.Tensor:
    """Replay the seed notebook's cells 1-8 on the global RNG; return the trained S's Init."""
    torch.manual_seed(123)
    X = torch.tensor([[1.0], [0.0], [0.0]])
    Y = torch.tensor([[0.0], [0.0], [2.0]])
    with torch.no_grad():
        X_padded = torch.hstack((X, torch.rand((3, 2))))
        S = SeedSparseMatrix(Init_noise=0.0)
        U_exact = (Y - S.Init @ X_padded) @ X_padded.inverse()
        SeedSparseMatrix(U=U_exact, Init_noise=0.0)
    return SeedSparseMatrix().Init


# ------------------------------------------------------------------ defaults
def test_defaults() -> None:
    S = cu.SparseMatrix()
    assert isinstance(S, nn.Module)
    assert S.n == 3
    assert S.Init.shape == S.Omega.shape == S.U.shape == (3, 3)
    assert S.U.dtype == torch.get_default_dtype()
    assert torch.equal(S.Omega, torch.ones(3, 3))
    assert torch.equal(S.U.detach(), torch.zeros(3, 3))
    assert S.U.requires_grad
    assert not S.Init.requires_grad and not S.Omega.requires_grad
    assert bool((S.Init >= 0).all()) and bool((S.Init < 0.1).all())


def test_size_n() -> None:
    S = cu.SparseMatrix(5, generator=torch.Generator().manual_seed(0))
    assert S.Init.shape == S.Omega.shape == S.U.shape == (5, 5)


def test_default_init_uses_global_rng_like_the_seed() -> None:
    torch.manual_seed(7)
    S = cu.SparseMatrix(init_noise=0.3)
    torch.manual_seed(7)
    expected = torch.rand((3, 3)) * 0.3
    assert torch.equal(S.Init, expected)


def test_zero_noise_still_draws_like_the_seed() -> None:
    """The seed's SparseMatrix(Init_noise=0.0) draws and multiplies by 0: the RNG advances."""
    torch.manual_seed(11)
    S = cu.SparseMatrix(init_noise=0.0)
    after_ours = torch.rand(4)
    torch.manual_seed(11)
    SeedSparseMatrix(Init_noise=0.0)
    after_seed = torch.rand(4)
    assert torch.equal(S.Init, torch.zeros(3, 3))
    assert torch.equal(after_ours, after_seed)


def test_init_noise_scales_the_same_draw() -> None:
    a = cu.SparseMatrix(init_noise=0.1, generator=torch.Generator().manual_seed(3)).Init
    b = cu.SparseMatrix(init_noise=0.5, generator=torch.Generator().manual_seed(3)).Init
    torch.testing.assert_close(b, 5 * a)


# ----------------------------------------------------- the seed's bug, fixed
def test_given_init_is_used_not_U() -> None:
    Init = torch.arange(9.0).reshape(3, 3)
    U = -torch.ones(3, 3)
    S = cu.SparseMatrix(Init=Init, U=U)
    assert torch.equal(S.Init, Init)
    assert torch.equal(S.U.detach(), U)
    # the seed's class, for contrast, replaces Init by U
    assert torch.equal(SeedSparseMatrix(U=U, Init=Init).Init, U)


def test_given_init_without_U() -> None:
    Init = torch.eye(3)
    S = cu.SparseMatrix(Init=Init)
    assert torch.equal(S.Init, Init)
    assert torch.equal(S.U.detach(), torch.zeros(3, 3))


def test_given_tensors_are_copied() -> None:
    Init, U = torch.eye(3), torch.ones(3, 3)
    S = cu.SparseMatrix(Init=Init, U=U)
    Init[0, 0] = 42.0
    U[0, 0] = 42.0
    assert S.Init[0, 0] == 1.0 and S.U[0, 0] == 1.0


def test_numpy_and_lists_accepted() -> None:
    Init = np.arange(9.0).reshape(3, 3)
    Omega = [[1, 0, 1], [0, 1, 0], [1, 1, 1]]
    S = cu.SparseMatrix(Init=Init, Omega=Omega)
    np.testing.assert_array_equal(S.Init.numpy(), Init)
    np.testing.assert_array_equal(S.Omega.numpy(), np.array(Omega, dtype=float))


def test_float64_init_gives_float64_operator() -> None:
    S = cu.SparseMatrix(Init=torch.eye(3, dtype=torch.float64))
    assert S.U.dtype == S.Omega.dtype == S.matrix.dtype == torch.float64


# ------------------------------------------------------------ reproducibility
def test_generator_reproducible_and_global_rng_untouched() -> None:
    state = torch.get_rng_state()
    a = cu.SparseMatrix(4, generator=torch.Generator().manual_seed(99)).Init
    b = cu.SparseMatrix(4, generator=torch.Generator().manual_seed(99)).Init
    c = cu.SparseMatrix(4, generator=torch.Generator().manual_seed(100)).Init
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_seed_generator_replays_the_seed_order() -> None:
    torch.manual_seed(123)
    torch.rand(3, 2)
    torch.rand(3, 3)
    torch.rand(3, 3)
    expected = torch.rand(3, 3) * 0.1
    ours = cu.SparseMatrix(generator=cu.seed_generator()).Init
    assert torch.equal(ours, expected)


def test_seed_generator_matches_the_seed_notebook_cells() -> None:
    ours = cu.SparseMatrix(generator=cu.seed_generator()).Init
    assert torch.equal(ours, seed_notebook_init())


def test_seed_generator_is_fresh_each_time() -> None:
    g1, g2 = cu.seed_generator(), cu.seed_generator()
    assert g1 is not g2
    assert torch.equal(torch.rand(5, generator=g1), torch.rand(5, generator=g2))


# ------------------------------------------------------------ matrix, forward
def test_matrix_and_forward_against_numpy() -> None:
    g = torch.Generator().manual_seed(1)
    Init = torch.randn(4, 4, generator=g)
    U = torch.randn(4, 4, generator=g)
    Omega = (torch.rand(4, 4, generator=g) > 0.5).float()
    X = torch.randn(4, 6, generator=g)
    S = cu.SparseMatrix(4, Init=Init, Omega=Omega, U=U)
    M = Init.numpy() + Omega.numpy() * U.numpy()
    np.testing.assert_allclose(S.matrix.detach().numpy(), M, rtol=1e-6)
    np.testing.assert_allclose(S(X).detach().numpy(), M @ X.numpy(), rtol=1e-5, atol=1e-6)


def test_forward_accepts_lists() -> None:
    S = cu.SparseMatrix(Init=torch.eye(3))
    np.testing.assert_allclose(S([[1.0], [2.0], [3.0]]).detach().numpy(), [[1.0], [2.0], [3.0]])


def test_forward_repeated_is_a_matrix_power() -> None:
    g = torch.Generator().manual_seed(2)
    S = cu.SparseMatrix(3, Init=torch.randn(3, 3, generator=g))
    X = torch.randn(3, 2, generator=g)
    M = S.matrix.detach().numpy()
    np.testing.assert_allclose(S(S(S(X))).detach().numpy(), np.linalg.matrix_power(M, 3) @ X.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- parameters, gradient
def test_U_is_the_only_parameter() -> None:
    S = cu.SparseMatrix()
    params = dict(S.named_parameters())
    assert list(params) == ["U"]
    assert params["U"] is S.U
    assert set(dict(S.named_buffers())) == {"Init", "Omega"}
    assert set(S.state_dict()) == {"Init", "Omega", "U"}


def test_omega_masks_the_gradient() -> None:
    g = torch.Generator().manual_seed(4)
    Omega = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    S = cu.SparseMatrix(Init=torch.randn(3, 3, generator=g), Omega=Omega)
    X = torch.randn(3, 5, generator=g)
    W = torch.randn(3, 5, generator=g)
    (S(X) * W).sum().backward()  # L = <M X, W>, so dL/dM = W Xᵀ and dL/dU = Ω ⊙ W Xᵀ
    expected = Omega.numpy() * (W.numpy() @ X.numpy().T)
    np.testing.assert_allclose(S.U.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert bool((S.U.grad[Omega == 0] == 0).all())


def test_training_never_moves_masked_entries() -> None:
    g = torch.Generator().manual_seed(5)
    Omega = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    U0 = torch.randn(3, 3, generator=g)
    S = cu.SparseMatrix(Init=0.1 * torch.rand(3, 3, generator=g), Omega=Omega, U=U0)
    X, Y = torch.randn(3, 2, generator=g), torch.randn(3, 2, generator=g)
    cu.train(S, X, Y, iterations=2, epochs=30, lr=0.05, tol=0.0)
    U = S.U.detach()
    assert torch.equal(U[Omega == 0], U0[Omega == 0])
    assert not torch.equal(U[Omega == 1], U0[Omega == 1])


def test_repr_names_the_size() -> None:
    text = repr(cu.SparseMatrix(Omega=torch.eye(3)))
    assert "n=3" in text and "3 of 9" in text


# ------------------------------------------------------------ precision (bug 4)
def _float32_operator() -> cu.SparseMatrix:
    return cu.SparseMatrix(Init=torch.rand(3, 3, generator=torch.Generator().manual_seed(6)))


def _assert_names_dtypes_and_fix(message: str, name: str) -> None:
    for part in ("torch.float64", "torch.float32", "S.double()", f"{name}.float()", name):
        assert part in message, f"the message does not name {part!r}: {message!r}"


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda S, X: S(X), "X"),
        (lambda S, X: cu.iterate(S, X, 2), "X"),
        (lambda S, X: cu.train(S, X, X.float(), epochs=2), "X"),
        (lambda S, X: cu.train(S, X.float(), X, epochs=2), "Y"),
    ],
    ids=["forward", "iterate", "train X", "train Y"],
)
def test_a_float64_tensor_is_not_rounded_to_a_float32_operator(call, name: str) -> None:
    S = _float32_operator()
    X = torch.rand(3, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    before = S.U.detach().clone()
    with pytest.raises(TypeError) as info:
        call(S, X)
    _assert_names_dtypes_and_fix(str(info.value), name)
    assert torch.equal(S.U.detach(), before), "S changed before the error"
    # the two fixes the message names both work, and compute in the dtype they say
    assert S.double()(X).dtype == torch.float64
    assert _float32_operator()(X.float()).dtype == torch.float32


def test_lower_precision_lists_and_arrays_are_converted_as_before() -> None:
    S64 = _float32_operator().double()
    X32 = torch.rand(3, 2, generator=torch.Generator().manual_seed(8))
    M = S64.matrix.detach().numpy()
    # float32 into a float64 operator: exact, computed in float64
    out = S64(X32)
    assert out.dtype == torch.float64
    np.testing.assert_array_equal(out.detach().numpy(), M @ X32.double().numpy())
    assert cu.iterate(S64, X32, 1)[1].dtype == torch.float64
    # float64 NumPy arrays and Python lists into a float32 operator: converted, as always
    S32 = _float32_operator()
    array = X32.double().numpy()
    assert S32(array).dtype == torch.float32
    assert S32(array.tolist()).dtype == torch.float32
    assert cu.iterate(S32, array, 1)[1].dtype == torch.float32
    assert len(cu.train(S32, array, array.tolist(), epochs=3).losses) == 3
    # integer tensors too
    assert S32(torch.ones(3, 2, dtype=torch.int64)).dtype == torch.float32


# ---------------------------------------------- issue 17: every statement right
def test_a_finer_U_is_refused_not_rounded() -> None:
    """U float64 for an operator computing in float32 (its Init's dtype) raises, naming both dtypes."""
    with pytest.raises(TypeError, match=r"U is torch.float64 but .*torch.float32"):
        cu.SparseMatrix(3, Init=torch.zeros(3, 3), U=torch.ones(3, 3, dtype=torch.float64))
    S = cu.SparseMatrix(3, Init=torch.zeros(3, 3, dtype=torch.float64), U=torch.ones(3, 3, dtype=torch.float64))
    assert S.U.dtype == torch.float64
