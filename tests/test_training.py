"""train: the seed notebook's training loop, kept exactly (notebook 01).

The reference is an independent copy of the seed's own loop
(``torch.optim.SGD``, ``loss.backward()``, the seed's ``if loss > tol`` test,
interim losses ``1*final + w*interim`` summed over every iteration), run on
its own copy of the operator; the seed's printed numbers are the reference
for its run.
"""

from __future__ import annotations

import inspect
import itertools
import math
import random
import warnings

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.lessons.explorer import control_values
from course_utils.lessons.linear_operator import EPOCHS_MAX, explore_training, seed_run

#: the seed notebook's printout (its text, for epochs 0, 40, ..., 200) and its final line
SEED_TRACE = {
    0: 1.9845165014266968,
    40: 1.957511067390442,
    80: 1.8826569318771362,
    120: 1.6755435466766357,
    160: 1.1391788721084595,
    200: 0.15699271857738495,
    206: 0.002248641336336732,
}


def seed_loop(Init, Omega, X, Y, *, iterations, epochs, lr, tol, activation=None, interim_weight=0.0):
    """The seed notebook's cell 9 with its settings as arguments; returns (losses, U)."""
    activation = activation or (lambda Z, j: Z)
    U = torch.zeros(Init.shape, dtype=Init.dtype, requires_grad=True)

    def loss_function(Y, YHat, iteration):
        return torch.linalg.matrix_norm(Y - YHat, ord="fro")

    optimizer = torch.optim.SGD([U], lr=lr)
    losses = []
    for i in range(epochs):
        optimizer.zero_grad()
        interim_loss = 0
        YHat = X.clone()
        for k in range(iterations):
            YHat = activation((Init + Omega * U) @ YHat, k)
            interim_loss += loss_function(Y, YHat, k)
        final_loss = loss_function(Y, YHat, k)
        loss = 1 * final_loss + interim_weight * interim_loss
        losses.append(loss.item())
        if loss > tol:
            loss.backward()
            optimizer.step()
        else:
            break
    return losses, U.detach()


def cube_row_1(Z, k):
    """The seed's commented-out activation (cube of row 1), written out of place."""
    return torch.cat([Z[:1], Z[1:2] ** 3, Z[2:]])


ACTIVATIONS = {
    "identity": None,
    "tanh": lambda Z, j: torch.tanh(Z),
    "tanh after the first": lambda Z, j: torch.tanh(Z) if j == 0 else Z,
    "cube row 1": cube_row_1,
}


def random_setup(seed: int) -> dict:
    rng = random.Random(seed)
    n = rng.choice([2, 3, 4, 5])
    m = rng.choice([1, 2, 4])
    dtype = rng.choice([torch.float32, torch.float64])
    g = torch.Generator().manual_seed(seed)
    Omega = (torch.rand(n, n, generator=g) < 0.7).to(dtype)
    return dict(
        Init=(0.3 * torch.rand(n, n, generator=g)).to(dtype),
        Omega=Omega,
        X=torch.randn(n, m, generator=g).to(dtype),
        Y=torch.randn(n, m, generator=g).to(dtype),
        iterations=rng.choice([1, 2, 3]),
        epochs=rng.choice([40, 80]),
        lr=rng.choice([0.005, 0.02, 0.05]),
        activation=rng.choice(list(ACTIVATIONS)),
        interim_weight=rng.choice([0.0, 0.0, 0.5, 1.0]),
    )


def run_both(setup: dict, tol: float):
    activation = ACTIVATIONS[setup["activation"]]
    settings = {k: setup[k] for k in ("iterations", "epochs", "lr", "interim_weight")}
    S = cu.SparseMatrix(setup["Init"].shape[0], Init=setup["Init"], Omega=setup["Omega"])
    history = cu.train(S, setup["X"], setup["Y"], tol=tol, activation=activation, **settings)
    losses, U = seed_loop(setup["Init"], setup["Omega"], setup["X"], setup["Y"], tol=tol, activation=activation, **settings)
    return history, S, losses, U


# ------------------------------------------------------- reference comparison
@pytest.mark.parametrize("seed", range(12))
def test_equals_the_seed_loop_on_random_setups(seed: int) -> None:
    setup = random_setup(seed)
    history, S, losses, U = run_both(setup, tol=0.0)
    assert len(history.losses) == len(losses)
    np.testing.assert_allclose(history.losses, losses, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(S.U.detach().numpy(), U.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(12, 18))
def test_stops_where_the_seed_loop_stops(seed: int) -> None:
    """tol set between two losses of the run: both loops stop at the same epoch."""
    setup = random_setup(seed)
    settings = {k: setup[k] for k in ("iterations", "epochs", "lr", "interim_weight")}
    free, _ = seed_loop(setup["Init"], setup["Omega"], setup["X"], setup["Y"], tol=0.0,
                        activation=ACTIVATIONS[setup["activation"]], **settings)
    order = np.argsort(free)
    tol = float(free[order[len(free) // 3]])  # a loss the run reaches after some epochs
    history, S, losses, U = run_both(setup, tol=tol)
    assert history.converged and not history.diverged
    assert len(history.losses) == len(losses) < len(free)
    assert losses[-1] <= tol < min(losses[:-1], default=math.inf)
    np.testing.assert_allclose(history.losses, losses, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(S.U.detach().numpy(), U.numpy(), rtol=1e-5, atol=1e-6)


def test_the_seed_run_equals_the_seed_loop() -> None:
    X, Y = cu.seed_data()
    S = cu.SparseMatrix(generator=cu.seed_generator())
    Init = S.Init.clone()
    history = cu.train(S, X, Y)
    losses, U = seed_loop(Init, torch.ones(3, 3), X, Y, iterations=2, epochs=401, lr=0.01, tol=0.01)
    assert len(history.losses) == len(losses) == 207
    np.testing.assert_allclose(history.losses, losses, rtol=1e-6, atol=1e-6)


# -------------------------------------------------------------- the seed's run
def test_reproduces_the_seed_printout() -> None:
    X, Y = cu.seed_data()
    history = cu.train(cu.SparseMatrix(generator=cu.seed_generator()), X, Y,
                       iterations=2, epochs=401, lr=0.01, tol=0.01)
    assert f"{history.losses[0]:.5f}" == "1.98452"
    assert history.stop_epoch == 206
    assert history.converged and not history.diverged
    for epoch, value in SEED_TRACE.items():
        assert history.losses[epoch] == pytest.approx(value, abs=1e-6), epoch
    report = history.report(every=40)
    assert "1.98452" in report
    assert report.splitlines()[-1].split()[:3] == ["epoch", "206", "converged"]


def test_seed_run_result() -> None:
    X, Y = cu.seed_data()
    S = cu.SparseMatrix(generator=cu.seed_generator())
    cu.train(S, X, Y)
    # the seed's cell 10: [-7.8893e-04, 2.1037e-03, 1.9999e+00]
    np.testing.assert_allclose(cu.iterate(S, X, 2)[-1].flatten().numpy(), [-7.8893e-04, 2.1037e-03, 1.9999], atol=2e-6 + 1e-4)


# ------------------------------------------------------------- stopping rules
def test_tol_semantics_no_step_at_the_stopping_epoch() -> None:
    X, Y = cu.seed_data(torch.float64)
    Init = torch.rand(3, 3, generator=cu.seed_generator()).double() * 0.1
    S = cu.SparseMatrix(Init=Init)
    history = cu.train(S, X, Y, tol=0.01)
    stop = history.stop_epoch
    # the loss of the final U is the stopping loss: no step was taken after it
    final = torch.linalg.matrix_norm(Y - cu.iterate(S, X, 2)[-1]).item()
    assert final == pytest.approx(history.final_loss, rel=1e-12)
    assert history.final_loss <= 0.01 < min(history.losses[:-1])
    # the same U as a run of exactly `stop` epochs, each of which steps
    T = cu.SparseMatrix(Init=Init)
    shorter = cu.train(T, X, Y, tol=0.01, epochs=stop)
    assert not shorter.converged and len(shorter.losses) == stop
    assert torch.equal(S.U.detach(), T.U.detach())


def test_tol_zero_stops_only_at_an_exact_zero() -> None:
    # one iteration, X = e1, Init = 0: each step of lr 1 lowers the loss by exactly 1, from 2 to 0
    X, Y = cu.seed_data(torch.float64)
    S = cu.SparseMatrix(Init=torch.zeros(3, 3, dtype=torch.float64))
    history = cu.train(S, X, Y, iterations=1, lr=1.0, tol=0.0)
    assert history.losses == [2.0, 1.0, 0.0]
    assert history.converged


def test_epochs_used_up() -> None:
    X, Y = cu.seed_data()
    history = cu.train(cu.SparseMatrix(generator=cu.seed_generator()), X, Y, epochs=50)
    assert len(history.losses) == 50
    assert not history.converged and not history.diverged
    assert "stopped" in history.report()


def test_divergence_stops_at_the_first_non_finite_loss() -> None:
    X, Y = cu.seed_data()
    Init = torch.rand(3, 3, generator=cu.seed_generator()) * 0.5
    S = cu.SparseMatrix(Init=Init)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = cu.train(S, X, Y, iterations=5, lr=1.0, epochs=401)
    assert history.diverged and not history.converged
    assert not math.isfinite(history.losses[-1])
    assert all(math.isfinite(v) for v in history.losses[:-1])
    assert "diverged" in history.report()
    # the seed's loop sees the same losses until then
    losses, _ = seed_loop(Init, torch.ones(3, 3), X, Y, iterations=5, epochs=len(history.losses), lr=1.0, tol=0.01)
    np.testing.assert_allclose(history.losses[:-1], losses[: len(history.losses) - 1], rtol=1e-5)
    assert not math.isfinite(losses[len(history.losses) - 1])


def test_nan_from_the_activation_is_a_divergence() -> None:
    X, Y = cu.seed_data()
    S = cu.SparseMatrix(generator=cu.seed_generator())
    history = cu.train(S, X, Y, activation=lambda Z, j: Z * float("nan") if j == 1 else Z)
    assert history.diverged and len(history.losses) == 1 and math.isnan(history.losses[0])


# -------------------------------------------------------------- the loss itself
def test_interim_losses_sum_over_every_iteration() -> None:
    g = torch.Generator().manual_seed(8)
    X, Y = torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(3, 2, generator=g, dtype=torch.float64)
    S = cu.SparseMatrix(Init=torch.rand(3, 3, generator=g, dtype=torch.float64))
    states = cu.iterate(S, X, 3)
    norms = [np.linalg.norm((Y - Z).numpy()) for Z in states[1:]]
    history = cu.train(S, X, Y, iterations=3, epochs=1, interim_weight=0.25)
    assert history.losses[0] == pytest.approx(norms[-1] + 0.25 * sum(norms), rel=1e-12)


def test_only_U_changes() -> None:
    X, Y = cu.seed_data()
    S = cu.SparseMatrix(generator=cu.seed_generator(), Omega=torch.ones(3, 3))
    Init, Omega = S.Init.clone(), S.Omega.clone()
    history = cu.train(S, X, Y, epochs=20)
    assert isinstance(history, cu.History) and len(history.losses) == 20
    assert torch.equal(S.Init, Init) and torch.equal(S.Omega, Omega)
    assert S.U.grad is None or not S.U.grad.abs().sum()


def test_accepts_numpy_and_lists() -> None:
    X, Y = cu.seed_data()
    a = cu.train(cu.SparseMatrix(generator=cu.seed_generator()), X, Y, epochs=30)
    b = cu.train(cu.SparseMatrix(generator=cu.seed_generator()), X.numpy(), Y.tolist(), epochs=30)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-6)


# ------------------------------------------- the slider's runs (notebook 01)
def _slider_settings() -> list[dict]:
    """Every combination of the extremes of the slider's controls (those of
    ``seed_run``), plus the defaults and a few epochs in between."""
    controls = explore_training.controls()
    names = [name for name in inspect.signature(seed_run).parameters if name in controls]
    ends = [control_values(controls[name]) for name in names]
    found = [dict(zip(names, combo)) for combo in itertools.product(*ends)]
    found += [{"epochs": epochs} for epochs in (51, 206, 207, 401)]
    found += [{"lr": 1.0, "iterations": 2, "epochs": epochs} for epochs in (101, EPOCHS_MAX)]  # chaotic at lr = 1
    return found


@pytest.mark.parametrize("setting", _slider_settings(), ids=lambda s: ",".join(f"{k}={v:g}" for k, v in s.items()))
def test_slider_run_is_a_direct_train_call(setting: dict) -> None:
    """What the slider draws (``seed_run``, cut from one cached long run) is
    what ``train`` returns when called with those epochs, to the last bit."""
    values = {"lr": 0.01, "iterations": 2, "init_noise": 0.1, "epochs": 401} | setting
    X, Y = cu.seed_data(torch.float64)
    Init = torch.rand(3, 3, generator=cu.seed_generator()).double() * values["init_noise"]
    direct = cu.train(cu.SparseMatrix(Init=Init), X, Y, iterations=values["iterations"], epochs=values["epochs"],
                      lr=values["lr"], tol=0.01)
    drawn = seed_run(**values)
    assert drawn.losses == direct.losses
    assert (drawn.converged, drawn.diverged) == (direct.converged, direct.diverged)


def test_slider_runs_do_not_share_their_history() -> None:
    first = seed_run(0.01, 2, 0.1, 401)
    kept = list(first.losses)
    first.losses.append(-1.0)
    first.losses[0] = -2.0
    first.converged = not first.converged
    again = seed_run(0.01, 2, 0.1, 401)
    assert again.losses == kept and again.converged


def test_slider_runs_are_cut_from_one_long_run() -> None:
    full = seed_run(0.01, 2, 0.1, EPOCHS_MAX)
    assert full.converged and full.stop_epoch == 206
    cut = seed_run(0.01, 2, 0.1, 100)
    assert cut.losses == full.losses[:100]
    assert not cut.converged and not cut.diverged
    assert seed_run(0.01, 2, 0.1, 207).converged
    assert not seed_run(0.01, 2, 0.1, 206).converged


# ---------------------------------------------- issue 17: every statement right
def test_an_empty_history_prints() -> None:
    """Before any epoch there is no final loss: repr and report say so instead of raising IndexError."""
    assert repr(cu.History()) == "History(0 epochs, no loss yet)"
    assert cu.History().report() == "no epochs run"


def test_iterate_hands_back_its_own_start() -> None:
    """The first state is a copy: changing it leaves the caller's X as it was."""
    X = torch.tensor([[1.0], [0.0], [0.0]])
    states = cu.iterate(torch.eye(3), X, 2)
    assert states[0] is not X
    states[0].add_(5.0)
    assert torch.equal(X, torch.tensor([[1.0], [0.0], [0.0]]))


def test_a_one_argument_function_is_refused_at_the_call() -> None:
    """torch.tanh has no Python signature, so the (Z, k) check let it through to the first epoch."""
    X, Y = cu.seed_data()
    S = cu.SparseMatrix(3, generator=cu.seed_generator())
    for call in (lambda: cu.train(S, X, Y, activation=torch.tanh), lambda: cu.iterate(S, X, activation=torch.tanh)):
        with pytest.raises(TypeError, match=r"activation must accept two arguments \(Z, j\).*torch.tanh"):
            call()
    # what the message advises works, and equals tanh after every application (a hand-written loop)
    states = cu.iterate(S, X, 2, activation=lambda Z, j: torch.tanh(Z))
    with torch.no_grad():
        M = S.matrix
        assert torch.allclose(states[-1], torch.tanh(M @ torch.tanh(M @ X)))


def test_iterate_checks_the_activations_shape() -> None:
    X = torch.eye(3)[:, :1]
    with pytest.raises(ValueError, match=r"activation must return a tensor of shape \(3, 1\), got shape \(1, 1\)"):
        cu.iterate(torch.eye(3), X, 2, activation=lambda Z, j: Z[:1])
