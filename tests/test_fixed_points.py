"""Fixed points and drift (notebooks 05 and 06) against direct references.

Masks against explicit NumPy arrays; changes and distances against NumPy
norms; trajectories against hand-written loops; the settling iteration of
injected chains against what the layout implies (the signal needs one
iteration per layer); interim losses against the gradient derived by hand
(∇L = -w e3 e1ᵀ at S = 0) and the condition S Y = Y they impose; the
figures of notebooks 05 and 06 (the data read back from their lines and
images) against the runs trained and iterated in plain torch (``plain_torch``).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.lessons import nonlinear_activations as nonlinear
from course_utils.lessons import interim_losses_and_fixed_points as interim
from course_utils.lessons.interim_losses_and_fixed_points import explore_interim
from course_utils.lessons.nonlinear_activations import explore_activation

import plain_torch
from plain_torch import on_row


def e1(n: int) -> torch.Tensor:
    X = torch.zeros((n, 1), dtype=torch.float64)
    X[0, 0] = 1.0
    return X


# ---------------------------------------------------------------- masks
def test_chain_mask() -> None:
    expected = np.zeros((4, 4))
    expected[1, 0] = expected[2, 1] = expected[3, 2] = 1
    assert np.array_equal(nonlinear.chain_mask(4).numpy(), expected)


def test_lower_mask() -> None:
    expected = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]], dtype=float)
    assert np.array_equal(nonlinear.lower_mask(4, data_rows=2).numpy(), expected)
    assert np.array_equal(nonlinear.lower_mask(3).numpy(), np.tril(np.ones((3, 3)), -1) * np.array([[0], [1], [1]]))


def test_random_chain_lives_below_the_diagonal() -> None:
    S = nonlinear.random_chain(4, scale=2.0, generator=torch.Generator().manual_seed(0))
    assert S.shape == (5, 5) and S.dtype == torch.float64
    assert torch.equal(S != 0, nonlinear.chain_mask(5).bool())
    weights = torch.diagonal(S, -1)
    assert bool(((weights >= 1.0) & (weights <= 3.0)).all())


# ---------------------------------------------------------------- measuring a trajectory
def test_iterate_of_a_plain_matrix_matches_matrix_powers_and_the_operator() -> None:
    g = torch.Generator().manual_seed(2)
    M = torch.rand((3, 3), generator=g, dtype=torch.float64)
    X = torch.rand((3, 2), generator=g, dtype=torch.float64)
    states = cu.iterate(M, X, 4)
    for j, Z in enumerate(states):
        assert np.allclose(Z.numpy(), np.linalg.matrix_power(M.numpy(), j) @ X.numpy())
    # a list or an array is a matrix of torch's default dtype, as everywhere in the package
    assert all(torch.allclose(a, b.float()) for a, b in zip(cu.iterate(M.tolist(), X.float(), 4), states))
    S = cu.SparseMatrix(3, Init=M, init_noise=0.0)
    sigma = cu.per_row(1, "tanh")
    Z = X.numpy()
    for j, (a, b) in enumerate(zip(cu.iterate(M, X, 3, sigma), cu.iterate(S, X, 3, sigma))):
        assert torch.equal(a, b)
        assert np.allclose(a.numpy(), Z)
        Z = M.numpy() @ Z
        Z[1] = np.tanh(Z[1])


def test_state_changes_and_distances_match_numpy() -> None:
    g = torch.Generator().manual_seed(0)
    states = [torch.rand((3, 2), generator=g) for _ in range(5)]
    arrays = [s.double().numpy() for s in states]
    expected = [np.linalg.norm(b - a) for a, b in zip(arrays, arrays[1:])]
    assert np.allclose(nonlinear.state_changes(states), expected)
    Y = np.ones((3, 2))
    assert np.allclose(nonlinear.distances(states, Y), [np.linalg.norm(Y - a) for a in arrays])
    assert np.allclose(nonlinear.distances(states, Y, rows=2), [np.linalg.norm(Y[2] - a[2]) for a in arrays])
    assert np.allclose(nonlinear.distances(states, Y.tolist(), rows=[0, 2]), [np.linalg.norm(Y[[0, 2]] - a[[0, 2]]) for a in arrays])


def test_settling_iteration() -> None:
    a, b, c = torch.zeros(2, 1), torch.ones(2, 1), torch.full((2, 1), 2.0)
    assert nonlinear.settling_iteration([a, b, c, c, c]) == 2
    assert nonlinear.settling_iteration([a, b, c]) is None  # the last step still changes
    assert nonlinear.settling_iteration([c, c]) == 0
    assert nonlinear.settling_iteration([a]) is None  # nothing measured
    assert nonlinear.settling_iteration([a, b, c, c], atol=1.5) == 0


def test_changes_of_a_diverged_trajectory_are_not_an_error() -> None:
    states = [torch.ones(2, 1), torch.full((2, 1), math.inf)]
    assert not math.isfinite(nonlinear.state_changes(states)[0])
    fig = nonlinear.plot_drift({"diverged": states}, depth=1, Y=torch.zeros(2, 1))
    plt.close(fig)


# ---------------------------------------------------------------- injection gives a fixed point
def numpy_chain(S: np.ndarray, steps: int, inject: bool) -> list[np.ndarray]:
    """Hand-written iteration: tanh below row 0, row 0 reset to 1 if ``inject``."""
    z = np.zeros(S.shape[0])
    z[0] = 1.0
    out = [z.copy()]
    for _ in range(steps):
        z = S @ z
        z[1:] = np.tanh(z[1:])
        if inject:
            z[0] = 1.0
        out.append(z.copy())
    return out


@pytest.mark.parametrize("layers", [1, 2, 3, 5])
def test_injected_chain_is_fixed_after_as_many_iterations_as_layers(layers: int) -> None:
    S = nonlinear.random_chain(layers, generator=torch.Generator().manual_seed(layers))
    X = e1(layers + 1)
    sigma = cu.Injection(X, rows=0) >> cu.per_row(list(range(1, layers + 1)), "tanh")
    states = cu.iterate(S, X, layers + 3, sigma)
    reference = numpy_chain(S.numpy(), layers + 3, inject=True)
    assert all(np.allclose(Z.numpy().ravel(), r) for Z, r in zip(states, reference))
    assert nonlinear.settling_iteration(states) == layers
    # every layer's output is in place: the last row is nonzero
    assert abs(states[-1][-1, 0]) > 0.01
    # without injection the data leave row 0 and the state drains to zero one step later
    without = cu.iterate(S, X, layers + 3, cu.per_row(list(range(1, layers + 1)), "tanh"))
    assert all(np.allclose(Z.numpy().ravel(), r) for Z, r in zip(without, numpy_chain(S.numpy(), layers + 3, False)))
    assert nonlinear.settling_iteration(without) == layers + 1
    assert torch.all(without[-1] == 0)


def test_settling_table_reports_the_same() -> None:
    for L, with_injection, without in nonlinear.settling_table(depths=[1, 2, 3, 4], fn="tanh"):
        assert (with_injection, without) == (L, L + 1)


def test_trained_chain_with_injection_keeps_its_answer() -> None:
    X, Y = cu.seed_data()
    run = nonlinear.train_on_seed("tanh", mask="chain", init_noise=0.5, epochs=1000)
    assert run.history.converged
    M = run.S.matrix
    assert torch.all(M[nonlinear.chain_mask(3) == 0] == 0), "S left the chain"
    injected = run.states(extra=5, activation=cu.Injection(X, rows=0) >> cu.per_row(1, "tanh"))
    assert nonlinear.settling_iteration(injected) == 2
    assert abs(injected[-1][2, 0].item() - 2.0) <= run.history.tol + 1e-6
    # the trained activation alone (no injection): right at depth 2, empty after
    plain = run.states(extra=5)
    assert abs(plain[2][2, 0].item() - 2.0) <= run.history.tol + 1e-6
    assert torch.all(plain[-1] == 0)


def test_the_seed_map_keeps_drifting() -> None:
    states = nonlinear.train_on_seed().states(extra=8)
    assert nonlinear.settling_iteration(states, atol=1e-3) is None
    assert min(nonlinear.state_changes(states)[2:]) > 0.1


def test_train_on_seed_uses_train_and_caches() -> None:
    for dtype in (torch.float32, torch.float64):
        X, Y = cu.seed_data(dtype)
        run = nonlinear.train_on_seed("cube", mask="full", dtype=dtype)
        Init = cu.SparseMatrix(3, generator=cu.seed_generator()).Init  # the seed's Init, float32
        S = cu.SparseMatrix(3, Init=Init.to(dtype))
        reference = cu.train(S, X, Y, activation=cu.per_row(1, "cube"))
        assert run.history.losses == reference.losses
        assert torch.equal(run.S.matrix, S.matrix.detach())
        assert run.S.matrix.dtype == dtype
        again = nonlinear.train_on_seed("cube", mask="full", dtype=dtype)  # from the cache
        assert again.history.losses == reference.losses and torch.equal(again.S.matrix, S.matrix)


def test_train_on_seed_hands_out_the_callers_own_run() -> None:
    """Bug 3: the cache shared one SparseMatrix (requires_grad off) and one History."""
    X, Y = cu.seed_data(torch.float64)
    run = nonlinear.train_on_seed("tanh", mask="chain", init_noise=0.5, epochs=50)
    kept_losses, kept_matrix = list(run.history.losses), run.S.matrix.detach().clone()
    # training the returned S further works, as for any SparseMatrix
    more = cu.train(run.S, X, Y, epochs=5, tol=0.0, activation=run.activation)
    assert len(more.losses) == 5 and not torch.equal(run.S.matrix.detach(), kept_matrix)
    # and so does changing what came back
    run.history.losses.append(-1.0)
    run.history.converged = True
    with torch.no_grad():
        run.S.U.add_(1.0)
        run.S.Init.mul_(2.0)
    again = nonlinear.train_on_seed("tanh", mask="chain", init_noise=0.5, epochs=50)
    assert again.S is not run.S and again.history is not run.history
    assert again.history.losses == kept_losses and not again.history.converged
    assert torch.equal(again.S.matrix.detach(), kept_matrix)


# ---------------------------------------------------------------- interim losses (notebook 06)
@pytest.mark.parametrize("w", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("iterations", [2, 3])
def test_interim_gradient_at_zero(w: float, iterations: int) -> None:
    """The first SGD step of train from S = 0 is -lr ∇L with ∇L = -w e3 e1ᵀ (derived by hand)."""
    X, Y = cu.seed_data(torch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        S = cu.SparseMatrix(3, init_noise=0.0)
    finally:
        torch.set_default_dtype(torch.float32)
    cu.train(S, X, Y, iterations=iterations, epochs=1, lr=1.0, tol=0.0, interim_weight=w)
    expected = np.zeros((3, 3))
    expected[2, 0] = w  # U after one step of lr 1: -∇L = w e3 e1ᵀ
    assert np.allclose(S.U.detach().numpy(), expected, atol=1e-12)


def test_interim_losses_escape_the_saddle_and_fix_Y() -> None:
    X, Y = cu.seed_data(torch.float64)
    stuck = nonlinear.train_on_seed(init_noise=0.0, interim_weight=0.0)
    assert set(stuck.history.losses) == {2.0} and not stuck.history.converged
    run = nonlinear.train_on_seed(init_noise=0.0, interim_weight=1.0)
    assert run.history.converged
    M = run.S.matrix
    # loss <= tol bounds both ||Y - SX|| and ||Y - S²X||, so ||S Y - Y|| <= ||S(Y - SX)|| + ||S²X - Y||
    tol = run.history.tol
    bound = torch.linalg.matrix_norm(M, ord=2).item() * tol + tol
    assert torch.linalg.norm(M @ Y - Y).item() <= bound
    far = run.states(extra=8)
    assert max(nonlinear.distances(far, Y)[1:]) < 0.2
    seed = nonlinear.train_on_seed()
    assert max(nonlinear.distances(seed.states(extra=8), Y)[3:]) > 1.0


# ---------------------------------------------------------------- figures and sliders
def test_plots_return_figures() -> None:
    runs = {"a": nonlinear.train_on_seed(), "b": nonlinear.train_on_seed(init_noise=0.0)}
    fig = cu.plot_losses({k: r.history for k, r in runs.items()}, title="t")
    assert len(fig.axes) == 1
    plt.close(fig)
    fig = nonlinear.plot_drift({k: r.states(extra=3) for k, r in runs.items()}, depth=2, Y=cu.seed_data()[1], row=2)
    assert len(fig.axes) == 2
    plt.close(fig)


ELEMENTWISE = {"identity": lambda z: z, "cube": lambda z: z**3, "tanh": torch.tanh, "relu": lambda z: z.clamp(min=0)}


def seed_init(init_noise: float, Omega: torch.Tensor) -> torch.Tensor:
    """The seed's Init (drawn in float32 from the seed's generator, as the seed did), scaled, in float64, on Ω."""
    return (init_noise * torch.rand((3, 3), generator=cu.seed_generator(), dtype=torch.float32)).double() * Omega


def drawn_trajectory(ax) -> tuple[np.ndarray, np.ndarray]:
    """The states and the target as ``plot_trajectory`` drew them (one column each, seed data):
    columns 0..k of the image are Z_0..Z_k, then a blank column, then Y."""
    grid = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    assert np.isnan(grid[:, -2]).all()  # the gap before the target
    return grid[:, :-2], grid[:, -1]


def first_still(states: list[torch.Tensor], atol: float = 1e-9) -> int | None:
    """The first j after which no state changes by more than atol, or None when the last one does."""
    changes = [torch.linalg.norm(b - a).item() for a, b in zip(states, states[1:])]
    still = [j for j in range(len(changes)) if all(c <= atol for c in changes[j:])]
    return still[0] if still else None


@pytest.mark.parametrize("kwargs", [{}, {"activation": "tanh", "extra": 8, "injection": False}, {"extra": 0}])
def test_explore_activation_draws_the_plain_torch_trajectory(kwargs) -> None:
    """The slider's picture against the chain trained and iterated in plain torch."""
    settings = {"activation": "cube", "extra": 3, "injection": True, **kwargs}
    fn = on_row(1, ELEMENTWISE[settings["activation"]])
    X, Y = cu.seed_data(torch.float64)
    chain = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=torch.float64)
    Init = seed_init(0.5, chain)  # notebook 05's chain: init noise 0.5, lr 0.01, 1000 epochs
    _, U = plain_torch.sgd(Init, chain, X, Y, epochs=1000, lr=0.01, activation=fn)
    if settings["injection"]:
        step = lambda Z, j: torch.cat([X[:1], fn(Z, j)[1:]])  # noqa: E731 - σ, then e₁ set back to X
    else:
        step = fn
    expected = plain_torch.trajectory(Init + chain * U, X, 2 + settings["extra"], step)
    fig = explore_activation.figure(**kwargs)
    states, target = drawn_trajectory(fig.axes[0])
    np.testing.assert_allclose(states, torch.cat(expected, dim=1).numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(target, Y[:, 0].numpy())
    settle = first_still(expected)
    word = f"fixed from iteration {settle}" if settle is not None else "still changing"
    assert fig.axes[0].get_title().endswith(word), fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize("kwargs", [{}, {"interim_weight": 0.0, "extra": 8}, {"interim_weight": 2.0, "init_noise": 0.1}])
def test_explore_interim_draws_the_plain_torch_run(kwargs) -> None:
    """Left, the loss curve; right, the trajectory: both against the seed's
    problem trained in plain torch with the interim losses (Ω = 1, lr 0.01,
    at most 401 epochs) and iterated 2 + extra times."""
    settings = {"interim_weight": 1.0, "extra": 4, "init_noise": 0.0, **kwargs}
    X, Y = cu.seed_data(torch.float64)
    ones = torch.ones((3, 3), dtype=torch.float64)
    Init = seed_init(settings["init_noise"], ones)
    losses, U = plain_torch.sgd(Init, ones, X, Y, interim_weight=settings["interim_weight"])
    fig = explore_interim.figure(**kwargs)
    left, right = fig.axes
    curve = left.lines[0]
    np.testing.assert_array_equal(curve.get_xdata(), np.arange(len(losses)))
    np.testing.assert_allclose(curve.get_ydata(), losses, rtol=1e-9)
    word = "converged" if losses[-1] <= 0.01 else "stopped"
    assert f"{word} at epoch {len(losses) - 1}" in [t.get_text() for t in left.texts]
    states, target = drawn_trajectory(right)
    expected = plain_torch.trajectory(Init + U, X, 2 + settings["extra"])
    np.testing.assert_allclose(states, torch.cat(expected, dim=1).numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(target, Y[:, 0].numpy())
    plt.close(fig)


def test_plot_zigzag_draws_the_losses_whole_and_up_close() -> None:
    X, Y = cu.seed_data(torch.float64)
    ones = torch.ones((3, 3), dtype=torch.float64)
    long_losses, _ = plain_torch.sgd(seed_init(0.1, ones), ones, X, Y, epochs=200, tol=0.0)
    runs = {"long": cu.History(losses=long_losses, tol=0.0),
            "blew up": cu.History(losses=[2.0, 0.0, 5.0, math.inf], diverged=True)}
    fig = interim.plot_zigzag(runs, window=(100, 140), tol=0.01)
    whole, close = fig.axes
    curves = [line for line in whole.lines if not line.get_label().startswith("_")]  # those in the legend
    np.testing.assert_allclose(curves[0].get_ydata(), long_losses)
    np.testing.assert_allclose(curves[1].get_ydata(), [2.0, 1e-12, 5.0])  # finite, 0 floored for the log axis
    cross = [line for line in whole.lines if line.get_marker() == "x"]
    assert len(cross) == 1 and (cross[0].get_xdata()[0], cross[0].get_ydata()[0]) == (2, 5.0)
    assert [t.get_text() for t in whole.get_legend().get_texts()] == ["long", "blew up (diverged at epoch 3)"]
    (up_close,) = [line for line in close.lines if line.get_marker() == "o"]
    np.testing.assert_array_equal(up_close.get_xdata(), np.arange(100, 141))
    np.testing.assert_allclose(up_close.get_ydata(), long_losses[100:141])
    assert up_close.get_color() == curves[0].get_color()
    plt.close(fig)


@pytest.mark.parametrize(
    "make, error, word",
    [
        (lambda: nonlinear.chain_mask(1), ValueError, "n"),
        (lambda: nonlinear.lower_mask(3, data_rows=3), ValueError, "data_rows"),
        (lambda: nonlinear.random_chain(0), ValueError, "layers"),
        (lambda: nonlinear.random_chain(2, scale=0), ValueError, "scale"),
        (lambda: cu.iterate(torch.ones(2, 3), torch.ones(2, 1), 2), ValueError, "S"),
        (lambda: cu.iterate("S", torch.ones(2, 1), 2), TypeError, "S"),
        (lambda: nonlinear.state_changes(torch.ones(3, 3)), TypeError, "states"),
        (lambda: nonlinear.state_changes([]), ValueError, "states"),
        (lambda: nonlinear.state_changes([torch.ones(2, 1), torch.ones(3, 1)]), ValueError, "states[1]"),
        (lambda: nonlinear.distances([torch.ones(2, 1)], torch.ones(3, 1)), ValueError, "Y"),
        (lambda: nonlinear.distances([torch.ones(2, 1)], torch.ones(2, 1), rows=5), ValueError, "rows"),
        (lambda: nonlinear.settling_iteration([torch.ones(2, 1)], atol=-1), ValueError, "atol"),
        (lambda: nonlinear.settling_table(depths=[0]), ValueError, "depths"),
        (lambda: nonlinear.settling_table(extra=0), ValueError, "extra"),
        (lambda: nonlinear.train_on_seed("sine"), ValueError, "fn"),
        (lambda: nonlinear.train_on_seed(mask="upper"), ValueError, "mask"),
        (lambda: nonlinear.train_on_seed(lr=0), ValueError, "lr"),
        (lambda: nonlinear.train_on_seed(interim_weight=-1), ValueError, "interim_weight"),
        (lambda: nonlinear.train_on_seed(dtype=torch.int64), TypeError, "dtype"),
        (lambda: nonlinear.train_on_seed().states(extra=-1), ValueError, "extra"),
        (lambda: cu.plot_losses({}), TypeError, "histories"),
        (lambda: cu.plot_losses({"a": [1.0, 0.5]}), TypeError, "histories"),
        (lambda: nonlinear.plot_drift([]), TypeError, "runs"),
    ],
)
def test_bad_input(make, error, word: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert word in str(info.value), f"message does not name {word!r}: {info.value}"
