"""exact_solution and its companions (notebook 02), against NumPy references.

The reference for ``U`` is ``np.linalg.lstsq`` (which returns the
minimum-norm least-squares solution), applied to ``U X = Y - Init X`` as
``Xᵀ Uᵀ = Rᵀ``, or row by row over the free entries when there is a mask.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.lessons import exact_inverse as exact_inverse

CASES = {"square": (3, 3), "square n=4": (4, 4), "fewer examples": (4, 2), "one example": (3, 1), "more examples": (3, 7)}


def reference(X: np.ndarray, Y: np.ndarray, Init: np.ndarray | None, Omega: np.ndarray | None) -> np.ndarray:
    """Minimum-norm least-squares U of (Init + Ω ⊙ U) X = Y, per row, by np.linalg.lstsq."""
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    n = X.shape[0]
    R = Y - (0 if Init is None else Init.astype(np.float64) @ X)
    Omega = np.ones((n, n)) if Omega is None else Omega
    U = np.zeros((n, n))
    for i in range(n):
        free = Omega[i] == 1
        if free.any():
            U[i, free] = np.linalg.lstsq(X[free].T, R[i], rcond=None)[0]
    return U


def make(n: int, m: int, seed: int, dtype: torch.dtype, init: bool, mask: bool):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, m, generator=g, dtype=torch.float64).to(dtype)
    Y = torch.randn(n, m, generator=g, dtype=torch.float64).to(dtype)
    Init = (0.3 * torch.rand(n, n, generator=g, dtype=torch.float64)).to(dtype) if init else None
    Omega = None
    if mask:
        Omega = (torch.rand(n, n, generator=g) < 0.6).to(dtype)
        Omega[0] = 0  # a row with nothing free
        Omega[-1] = 1  # a row with everything free
    return X, Y, Init, Omega


def npy(t):
    return None if t is None else t.detach().numpy()


# ----------------------------------------------------------- NumPy reference
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("init", [False, True])
@pytest.mark.parametrize("mask", [False, True])
def test_matches_numpy_lstsq(case: str, dtype: torch.dtype, init: bool, mask: bool) -> None:
    n, m = CASES[case]
    X, Y, Init, Omega = make(n, m, seed=n * 10 + m, dtype=dtype, init=init, mask=mask)
    U = cu.exact_solution(X, Y, Init=Init, Omega=Omega)
    assert U.dtype == dtype and U.shape == (n, n)
    expected = reference(npy(X), npy(Y), npy(Init), npy(Omega))
    tol = 1e-10 if dtype == torch.float64 else 2e-5
    np.testing.assert_allclose(U.numpy(), expected, rtol=tol, atol=tol)
    if Omega is not None:
        assert bool((U[Omega == 0] == 0).all())


def test_accepts_numpy_and_lists() -> None:
    X, Y, Init, Omega = make(3, 2, 1, torch.float64, True, True)
    a = cu.exact_solution(X, Y, Init, Omega)
    b = cu.exact_solution(X.numpy(), Y.tolist(), Init.numpy(), Omega.tolist())  # converted to the default dtype
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------- square
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_square_direct_substitution(dtype: torch.dtype, tol: float) -> None:
    X, Y, Init, _ = make(4, 4, 5, dtype, True, False)
    U = cu.exact_solution(X, Y, Init=Init)
    np.testing.assert_allclose(((Init + U) @ X).numpy(), Y.numpy(), atol=tol)
    assert cu.residual(X, Y, U, Init) < tol


def test_square_is_unique_and_recovers_the_operator() -> None:
    X, Y, A = cu.example_data(3)
    U = cu.exact_solution(X, Y)
    np.testing.assert_allclose(U.numpy(), A.numpy(), atol=1e-10)
    # with Init, U = A - Init (one solution only)
    Init = torch.full((3, 3), 0.5, dtype=torch.float64)
    np.testing.assert_allclose(cu.exact_solution(X, Y, Init=Init).numpy(), (A - Init).numpy(), atol=1e-10)


# -------------------------------------------------------- fewer examples: a family
def family_member(U: torch.Tensor, X: torch.Tensor, seed: int) -> torch.Tensor:
    """U + W with W X = 0: W = Z (I - X X⁺), Z random (NumPy pseudo-inverse)."""
    rng = np.random.default_rng(seed)
    Xn = X.numpy()
    P = np.eye(Xn.shape[0]) - Xn @ np.linalg.pinv(Xn)
    return U + torch.from_numpy(rng.standard_normal(U.shape) @ P)


def test_fewer_examples_minimum_norm_among_the_family() -> None:
    X, Y, Init, _ = make(4, 2, 7, torch.float64, True, False)
    U = cu.exact_solution(X, Y, Init=Init)
    assert cu.residual(X, Y, U, Init) < 1e-10
    for seed in range(5):
        V = family_member(U, X, seed)
        assert cu.residual(X, Y, V, Init) < 1e-10  # another exact solution
        gap = float(((V - U) ** 2).sum())
        assert gap > 1e-3
        # Pythagoras: ||V||² = ||U||² + ||V - U||², so U is the smallest
        assert float((V**2).sum()) == pytest.approx(float((U**2).sum()) + gap, rel=1e-10)


def test_paddings_are_members_of_the_family() -> None:
    X, Y = cu.seed_data(torch.float64)
    U_min = cu.exact_solution(X, Y)
    np.testing.assert_allclose(U_min.numpy(), [[0, 0, 0], [0, 0, 0], [2, 0, 0]], atol=1e-12)
    g = torch.Generator().manual_seed(0)
    norms = []
    for _ in range(4):
        P = torch.rand((3, 2), generator=g, dtype=torch.float64)
        U = exact_inverse.padded_solution(X, Y, P)
        # the padded square system holds exactly (NumPy solve as the reference)
        expected = np.linalg.solve(np.hstack([X.numpy(), P.numpy()]).T, np.hstack([Y.numpy(), np.zeros((3, 2))]).T).T
        np.testing.assert_allclose(U.numpy(), expected, atol=1e-9)
        assert cu.residual(X, Y, U) < 1e-10
        norms.append(float(torch.linalg.matrix_norm(U)))
    assert min(norms) > float(torch.linalg.matrix_norm(U_min)) + 1e-6
    assert len({round(v, 6) for v in norms}) == 4  # different members


def test_padding_targets_and_init() -> None:
    X, Y = cu.seed_data(torch.float64)
    P = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    Init = 0.1 * torch.ones(3, 3, dtype=torch.float64)
    T = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
    U = exact_inverse.padded_solution(X, Y, P, Init=Init, targets=T)
    # [X P] = I here, so (Init + U) = [Y T]
    np.testing.assert_allclose((Init + U).numpy(), np.hstack([Y.numpy(), T.numpy()]), atol=1e-12)


def test_padding_refuses_bad_shapes() -> None:
    X, Y = cu.seed_data(torch.float64)
    with pytest.raises(ValueError, match="padding"):
        exact_inverse.padded_solution(X, Y, torch.zeros(3, 2, dtype=torch.float64))  # [X P] singular
    with pytest.raises(ValueError, match="padding"):
        exact_inverse.padded_solution(X, Y, torch.ones(3, 3))
    X3, Y3, _ = cu.example_data(3)
    with pytest.raises(ValueError, match="X"):
        exact_inverse.padded_solution(X3, Y3, torch.ones(3, 1))


# --------------------------------------------------- more examples: least squares
def test_more_examples_least_squares() -> None:
    X, Y, Init, _ = make(3, 7, 9, torch.float64, True, False)
    U = cu.exact_solution(X, Y, Init=Init)
    Xn, Yn, In = X.numpy(), Y.numpy(), Init.numpy()
    R = (In + U.numpy()) @ Xn - Yn
    assert cu.residual(X, Y, U, Init) == pytest.approx(np.linalg.norm(R), rel=1e-12)
    assert np.linalg.norm(R) > 0.1  # no exact solution
    np.testing.assert_allclose(R @ Xn.T, 0, atol=1e-10)  # normal equations
    assert exact_inverse.normal_residual(X, Y, U, Init) < 1e-10
    rng = np.random.default_rng(0)
    for _ in range(5):  # any other U fits worse
        V = U + torch.from_numpy(1e-3 * rng.standard_normal((3, 3)))
        assert cu.residual(X, Y, V, Init) > cu.residual(X, Y, U, Init)


def test_masked_rows_solve_their_own_least_squares() -> None:
    X, Y, A = cu.example_data(3)
    Omega = torch.tril(torch.ones(3, 3, dtype=torch.float64))
    U = cu.exact_solution(X, Y, Omega=Omega)
    R = (Omega * U).numpy() @ X.numpy() - Y.numpy()
    np.testing.assert_allclose(exact_inverse.row_residuals(X, Y, U, Omega=Omega).numpy(), np.linalg.norm(R, axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((Omega.numpy() * (R @ X.numpy().T)), 0, atol=1e-10)
    assert exact_inverse.normal_residual(X, Y, U, Omega=Omega) < 1e-10
    # the last row is free and square: solved exactly, equal to A's last row
    np.testing.assert_allclose(U[2].numpy(), A[2].numpy(), atol=1e-10)
    assert np.linalg.norm(R[2]) < 1e-10 and np.linalg.norm(R[0]) > 0.1


def test_normal_residual_is_the_gradient_of_half_the_squared_loss() -> None:
    X, Y, Init, Omega = make(3, 5, 3, torch.float64, True, True)
    U = torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).requires_grad_()
    loss = 0.5 * (((Init + Omega * U) @ X - Y) ** 2).sum()
    (grad,) = torch.autograd.grad(loss, U)
    assert exact_inverse.normal_residual(X, Y, U.detach(), Init, Omega) == pytest.approx(float(grad.norm()), rel=1e-12)


# ------------------------------------------------------------------- helpers
def test_residual_against_numpy() -> None:
    X, Y, Init, Omega = make(3, 4, 2, torch.float64, True, True)
    U = torch.ones(3, 3, dtype=torch.float64)
    expected = np.linalg.norm((Init.numpy() + Omega.numpy()) @ X.numpy() - Y.numpy())
    assert cu.residual(X, Y, U, Init, Omega) == pytest.approx(expected, rel=1e-12)


def test_example_data_prefix_and_noise() -> None:
    X3, Y3, A3 = cu.example_data(3)
    X8, Y8, A8 = cu.example_data(8, noise=0.5)
    assert X8.shape == Y8.shape == (3, 8) and X8.dtype == torch.float64
    assert torch.equal(A3, A8) and torch.equal(X3, X8[:, :3])
    np.testing.assert_allclose(Y3.numpy(), A3.numpy() @ X3.numpy(), atol=1e-12)
    assert np.linalg.norm(Y8.numpy() - A8.numpy() @ X8.numpy()) > 0.5
    assert not torch.equal(cu.example_data(3, seed=1)[0], X3)


def test_sweep_against_numpy() -> None:
    sweep = exact_inverse.sweep_examples(0.4, m_max=6)
    X, Y, A = cu.example_data(6, noise=0.4)
    assert sweep.ms == tuple(range(1, 7))
    for m, res, norm in zip(sweep.ms, sweep.residuals, sweep.norms):
        U = np.linalg.lstsq(X[:, :m].numpy().T, Y[:, :m].numpy().T, rcond=None)[0].T
        assert norm == pytest.approx(np.linalg.norm(U), rel=1e-9)
        assert res == pytest.approx(np.linalg.norm(U @ X[:, :m].numpy() - Y[:, :m].numpy()), abs=1e-9)
    assert max(sweep.residuals[:3]) < 1e-9 < min(sweep.residuals[3:])
    assert sweep.norm_A == pytest.approx(np.linalg.norm(A.numpy()))


def test_solution_table_numbers() -> None:
    X, Y = cu.seed_data(torch.float64)
    U_min = cu.exact_solution(X, Y)
    V = U_min + torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]], dtype=torch.float64)
    table = exact_inverse.solution_table(X, Y, {"min": U_min, "other": V}, reference="min").splitlines()
    assert table[1].split() == ["min", "0.0000", "4.0000", "0.0000"]
    assert table[2].split() == ["other", "0.0000", "9.0000", "5.0000"]
    plain = exact_inverse.solution_table(X, Y, {"other": V}, squared=False).splitlines()
    assert plain[1].split() == ["other", "0.0000", "3.0000"]
    with pytest.raises(ValueError, match="reference"):
        exact_inverse.solution_table(X, Y, {"min": U_min}, reference="nope")


# ---------------------------------------------- issue 17: every statement right
def test_exact_solution_stays_on_the_inputs_device() -> None:
    """The zeros it builds (Init, Omega by default) are made on X's device: 'meta' stands in for a GPU."""
    X = torch.randn(3, 2, dtype=torch.float64).to("meta")
    Y = torch.randn(3, 2, dtype=torch.float64).to("meta")
    U = cu.exact_solution(X, Y)
    assert U.device.type == "meta" and U.shape == (3, 3) and U.dtype == torch.float64
    assert cu.exact_solution(X.float(), Y.float(), Init=torch.zeros(3, 3, device="meta")).device.type == "meta"


@pytest.mark.parametrize("argument", ["Y", "Init"])
def test_a_finer_tensor_is_refused_not_rounded(argument: str) -> None:
    """One input policy: float64 Y or Init given with float32 X raises, naming both dtypes, like train's X."""
    X = torch.eye(3)
    given = {"Y": torch.eye(3), "Init": None, argument: torch.eye(3, dtype=torch.float64)}
    with pytest.raises(TypeError, match=rf"{argument} is torch.float64 but .*torch.float32"):
        cu.exact_solution(X, given["Y"], given["Init"])
    U = cu.exact_solution(X.double(), **{k: v.double() if v is not None else None for k, v in given.items()})
    assert U.dtype == torch.float64


def test_residual_refuses_a_finer_U() -> None:
    with pytest.raises(TypeError, match=r"U is torch.float64 but .*torch.float32"):
        cu.residual(torch.eye(3), torch.eye(3), torch.eye(3, dtype=torch.float64))
