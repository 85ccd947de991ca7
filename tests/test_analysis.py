"""The loss, gradient and Hessian at a point, and the plateau (notebook 03).

References: the seed's loss and SGD loop written in plain torch
(``plain_torch``: its first loss and its first step), central finite
differences, ``torch.autograd.functional.hessian`` on that loss, and the closed-form Hessian at U = 0 derived
by hand from L(U) = ||Y|| - <Y, U² X>/||Y|| + O(|U|⁴).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import course_utils as cu
from course_utils.lessons import depth_and_the_saddle as saddle
from course_utils.lessons.depth_and_the_saddle import CriticalPoint, PlateauSweep

import plain_torch
from plain_torch import on_row


def random_problem(seed: int, n: int = 3, m: int = 2):
    g = torch.Generator().manual_seed(seed)
    Init = 0.3 * torch.rand((n, n), generator=g, dtype=torch.float64)
    U = 0.5 * torch.randn((n, n), generator=g, dtype=torch.float64)
    X = torch.randn((n, m), generator=g, dtype=torch.float64)
    Y = torch.randn((n, m), generator=g, dtype=torch.float64)
    Omega = (torch.rand((n, n), generator=g) > 0.3).double()
    return Init, U, X, Y, Omega


#: an activation with the seed's (Z, k) signature: tanh on row 1 only
tanh_on_row_one = on_row(1, torch.tanh)


SETUPS = [
    dict(iterations=1),
    dict(iterations=2),
    dict(iterations=3, interim_weight=0.5),
    dict(iterations=2, activation=tanh_on_row_one),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("setup", SETUPS)
def test_loss_at_is_the_first_loss_of_the_plain_sgd_loop(seed, setup):
    Init, U, X, Y, Omega = random_problem(seed)
    losses, _ = plain_torch.sgd(Init, Omega, X, Y, U=U, epochs=1, tol=0.0, **setup)
    assert float(saddle.loss_at(Init, U, X, Y, Omega=Omega, **setup)) == pytest.approx(losses[0], rel=1e-12)
    # and from the SparseMatrix itself (its Init and Omega)
    S = cu.SparseMatrix(3, Init=Init, Omega=Omega, U=U)
    assert float(saddle.loss_at(S, U, X, Y, **setup)) == pytest.approx(losses[0], rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("setup", SETUPS)
def test_gradient_is_what_one_step_of_the_plain_sgd_loop_subtracts(seed, setup):
    Init, U, X, Y, Omega = random_problem(seed)
    lr = 0.01
    _, stepped = plain_torch.sgd(Init, Omega, X, Y, U=U, epochs=1, tol=0.0, lr=lr, **setup)  # one step
    step = (U - stepped) / lr
    grad = saddle.gradient_at(Init, U, X, Y, Omega=Omega, **setup)
    torch.testing.assert_close(grad, step, rtol=1e-9, atol=1e-9)
    # the package's own loop takes the same step
    S = cu.SparseMatrix(3, Init=Init, Omega=Omega, U=U)
    cu.train(S, X, Y, epochs=1, tol=0.0, lr=lr, **setup)
    torch.testing.assert_close(S.U.detach(), stepped, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("setup", SETUPS)
def test_gradient_matches_central_finite_differences(seed, setup):
    Init, U, X, Y, Omega = random_problem(seed)
    grad = saddle.gradient_at(Init, U, X, Y, Omega=Omega, **setup)
    h = 1e-6
    fd = torch.zeros_like(U)
    for i in range(3):
        for j in range(3):
            E = torch.zeros_like(U)
            E[i, j] = h
            plus = plain_torch.loss(Init, Omega, U + E, X, Y, **setup)
            minus = plain_torch.loss(Init, Omega, U - E, X, Y, **setup)
            fd[i, j] = (plus - minus) / (2 * h)
    torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-7)
    assert bool((grad[Omega == 0] == 0).all())


@pytest.mark.parametrize("seed", [6, 7])
@pytest.mark.parametrize("setup", SETUPS)
def test_hessian_matches_autograd_functional_hessian_of_reference(seed, setup):
    Init, U, X, Y, Omega = random_problem(seed)
    H = saddle.hessian_at(Init, U, X, Y, Omega=Omega, **setup)
    expected = torch.autograd.functional.hessian(
        lambda u: plain_torch.loss(Init, Omega, u.reshape(3, 3), X, Y, **setup), U.reshape(-1)
    )
    torch.testing.assert_close(H, expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(H, H.T, rtol=1e-9, atol=1e-9)


def test_hessian_matches_finite_differences_of_the_gradient():
    Init, U, X, Y, Omega = random_problem(8)
    H = saddle.hessian_at(Init, U, X, Y, iterations=2)
    h = 1e-5
    for index in range(9):
        E = torch.zeros(9, dtype=torch.float64)
        E[index] = h
        E = E.reshape(3, 3)
        column = (saddle.gradient_at(Init, U + E, X, Y, 2) - saddle.gradient_at(Init, U - E, X, Y, 2)) / (2 * h)
        torch.testing.assert_close(H[:, index], column.reshape(-1), rtol=1e-5, atol=1e-6)


def closed_form_hessian_at_zero(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Hessian of L(U) = ||Y - U² X|| at U = 0, by hand.

    L = ||Y|| - <Y, U U X>/||Y|| + O(|U|⁴), and
    ∂²<Y, U U X>/∂U_ab ∂U_cd = δ_bc (Y Xᵀ)_ad + δ_da (Y Xᵀ)_cb.
    """
    n = X.shape[0]
    C = Y @ X.T
    H = np.zeros((n, n, n, n))
    for a in range(n):
        for b in range(n):
            for c in range(n):
                for d in range(n):
                    H[a, b, c, d] = (b == c) * C[a, d] + (d == a) * C[c, b]
    return -H.reshape(n * n, n * n) / np.linalg.norm(Y)


def test_seed_facts_at_zero_gradient_norms():
    X, Y = cu.seed_data(torch.float64)
    zero = torch.zeros((3, 3), dtype=torch.float64)
    # one iteration: ∇L = -(Y - 0) Xᵀ / ||Y||, norm 1 for X = e1, Y = 2 e3
    g1 = saddle.gradient_at(None, zero, X, Y, iterations=1)
    torch.testing.assert_close(g1, -(Y @ X.T) / torch.linalg.norm(Y))
    assert float(torch.linalg.norm(g1)) == pytest.approx(1.0, abs=1e-15)
    for k in (2, 3):
        assert bool((saddle.gradient_at(None, zero, X, Y, iterations=k) == 0).all())


def test_seed_facts_at_zero_hessian_two_iterations_is_a_saddle():
    X, Y = cu.seed_data(torch.float64)
    zero = torch.zeros((3, 3), dtype=torch.float64)
    H = saddle.hessian_at(None, zero, X, Y, iterations=2).numpy()
    closed = closed_form_hessian_at_zero(X.numpy(), Y.numpy())
    np.testing.assert_allclose(H, closed, atol=1e-12)
    eig = np.linalg.eigvalsh(closed)
    assert eig.min() == pytest.approx(-math.sqrt(2), abs=1e-12)
    assert eig.max() == pytest.approx(math.sqrt(2), abs=1e-12)
    point = saddle.critical_point(iterations=2)
    np.testing.assert_allclose(np.sort(point.eigenvalues), np.sort(eig), atol=1e-12)
    assert point.kind == "saddle"
    assert point.gradient_norm == 0.0


def test_closed_form_hessian_for_random_data():
    g = torch.Generator().manual_seed(11)
    X = torch.randn((3, 2), generator=g, dtype=torch.float64)
    Y = torch.randn((3, 2), generator=g, dtype=torch.float64)
    H = saddle.hessian_at(None, torch.zeros((3, 3), dtype=torch.float64), X, Y, iterations=2).numpy()
    np.testing.assert_allclose(H, closed_form_hessian_at_zero(X.numpy(), Y.numpy()), atol=1e-12)


def test_seed_facts_at_zero_hessian_three_iterations_is_zero():
    point = saddle.critical_point(iterations=3)
    assert point.gradient_norm == 0.0
    assert np.abs(point.eigenvalues).max() == 0.0
    assert point.kind == "degenerate (Hessian = 0)"
    one = saddle.critical_point(iterations=1)
    assert one.gradient_norm == pytest.approx(1.0)
    assert one.kind == "not critical"


def test_critical_point_kinds_from_eigenvalues():
    def kind(values):
        return CriticalPoint(2, 0.0, 0.0, np.asarray(values, dtype=float)).kind

    assert kind([1.0, 2.0]) == "minimum"
    assert kind([-1.0, -2.0]) == "maximum"
    assert kind([-1.0, 2.0]) == "saddle"
    assert kind([0.0, 2.0]) == "degenerate"
    assert kind([0.0, 0.0]) == "degenerate (Hessian = 0)"
    assert CriticalPoint(2, 0.0, 0.5, np.ones(2)).kind == "not critical"
    assert "-0.0" not in str(CriticalPoint(2, 0.0, 0.0, np.array([-0.0, -1e-17, 1.0])))


def test_plateau_length_counts_epochs_until_the_drop():
    losses = [2.0, 1.95, 1.9, 1.81, 1.8, 1.0]
    assert saddle.plateau_length(losses) == 4  # 1.8 <= 0.9 * 2.0
    assert saddle.plateau_length(losses, fraction=0.5) == 5
    assert saddle.plateau_length([2.0, 1.99, 1.98]) is None
    assert saddle.plateau_length(np.array(losses)) == 4
    history = saddle.plateau_run(0.1, 2)
    expected = next(i for i, v in enumerate(history.losses) if v <= 0.9 * history.losses[0])
    assert saddle.plateau_length(history) == expected


@pytest.mark.parametrize("iterations, noise", [(2, [0.003, 0.05, 0.3]), (3, [0.08, 0.3])])
def test_plateau_sweep_agrees_with_full_runs(iterations, noise):
    sweep = saddle.plateau_sweep(noise, iterations=iterations, epochs=1500)
    for level, length in zip(noise, sweep.lengths):
        full = saddle.plateau_run(level, iterations, epochs=1500, tol=0.0)
        assert length == saddle.plateau_length(full)
    assert sweep.lengths == sorted(sweep.lengths, reverse=True)  # less noise, longer plateau


def test_plateau_sweep_reports_runs_that_never_leave():
    sweep = saddle.plateau_sweep([1e-3], iterations=3, epochs=50)
    assert sweep.lengths == [None]
    assert ">=50" in sweep.table()
    with pytest.raises(ValueError, match="at least two"):
        sweep.per_decade()


def test_plateau_fits_recover_known_laws():
    noise = [1e-4, 1e-3, 1e-2, 1e-1]
    log_law = PlateauSweep(noise, [100 + 50 * k for k in range(4, 0, -1)], 2, 10_000, 0.9)
    assert log_law.per_decade() == pytest.approx(50.0)
    power_law = PlateauSweep(noise, [int(round(3 / v)) for v in noise], 3, 10**6, 0.9)
    assert power_law.exponent() == pytest.approx(1.0, abs=1e-3)


def test_zero_noise_never_moves_for_two_iterations():
    history = saddle.plateau_run(0.0, 2, epochs=50)
    assert history.losses == [2.0] * 50


def test_figures():
    assert isinstance(saddle.plot_saddle_slices((1, 2, 3), steps=11), Figure)
    sweep = saddle.plateau_sweep([0.01, 0.3], iterations=2, epochs=100)
    assert isinstance(saddle.plot_plateau_sweep(sweep), Figure)
    assert isinstance(saddle.plot_plateau_sweep([sweep, sweep]), Figure)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: saddle.loss_at(None, torch.zeros(3, 2), torch.ones(3, 1), torch.ones(3, 1)), "U"),
        (lambda: saddle.loss_at(torch.zeros(3, 3), torch.zeros(3, 3), torch.ones(2, 1), torch.ones(2, 1)), "X"),
        (lambda: saddle.loss_at(cu.SparseMatrix(3), torch.zeros(2, 2), torch.ones(3, 1), torch.ones(3, 1)), "U"),
        (lambda: saddle.loss_at(torch.zeros(2, 2), torch.zeros(3, 3), torch.ones(2, 1), torch.ones(2, 1)), "U"),
        (lambda: saddle.loss_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 2)), "Y"),
        (lambda: saddle.loss_at(torch.zeros(2, 3), torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1)), "S_or_Init"),
        (lambda: saddle.loss_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), iterations=0), "iterations"),
        (lambda: saddle.loss_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), Omega=2 * torch.ones(3, 3)), "Omega"),
        (lambda: saddle.loss_at(cu.SparseMatrix(3), torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), Omega=torch.ones(3, 3)), "Omega"),
        (lambda: saddle.hessian_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), interim_weight=-1.0), "interim_weight"),
        (lambda: saddle.plateau_length([2.0, 1.0], fraction=1.0), "fraction"),
        (lambda: saddle.plateau_length([]), "history"),
        (lambda: saddle.plateau_sweep([0.1, -0.1]), "noise_levels"),
        (lambda: saddle.plateau_sweep([]), "noise_levels"),
        (lambda: saddle.plateau_run(-0.1), "init_noise"),
        (lambda: saddle.critical_point(X=torch.ones(3, 1)), "X and Y"),
    ],
)
def test_bad_input_value_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: saddle.loss_at(None, "zero", torch.ones(3, 1), torch.ones(3, 1)), "U"),
        (lambda: saddle.gradient_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), activation=3), "activation"),
        (lambda: saddle.loss_at(None, torch.zeros(3, 3), torch.ones(3, 1), torch.ones(3, 1), dtype=torch.int64), "dtype"),
        (lambda: saddle.plateau_length("losses"), "history"),
        (lambda: saddle.plateau_sweep(0.1), "noise_levels"),
        (lambda: saddle.plot_plateau_sweep([1, 2]), "sweeps"),
        (lambda: saddle.plot_saddle_slices(iterations=object()), "iterations"),
    ],
)
def test_bad_input_type_errors_name_the_argument(call, name):
    with pytest.raises(TypeError, match=name):
        call()


def test_accepts_lists_and_numpy():
    X, Y = [[1.0], [0.0], [0.0]], np.array([[0.0], [0.0], [2.0]])
    assert float(saddle.loss_at(None, np.zeros((3, 3)), X, Y, iterations=1)) == pytest.approx(2.0)
