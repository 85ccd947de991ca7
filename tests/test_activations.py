"""Activations of notebook 05 against direct references.

Every activation is compared with the same operation written out in NumPy on
a copy of the state; gradients are checked with ``torch.autograd.gradcheck``
(finite differences, float64); injection with hand-built states; the exact
cube solution by substitution. Bad input must raise ValueError/TypeError
naming the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils import activations
from course_utils.activations import Compose, Elementwise, Injection, RowActivation
from course_utils.lessons import nonlinear_activations as nonlinear

REFERENCE = {
    "cube": lambda z: z**3,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}


def state(n: int = 4, m: int = 3, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand((n, m), generator=g, dtype=dtype) - 0.5) * 4


# ---------------------------------------------------------------- values
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_elementwise_matches_numpy(name: str) -> None:
    Z = state()
    expected = REFERENCE[name](Z.numpy().copy())
    got = activations.ELEMENTWISE[name](Z, 0)
    assert np.allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert getattr(activations, name)(Z, 5).shape == Z.shape  # k is accepted and ignored


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_per_row_matches_seed_edit_on_a_copy(name: str) -> None:
    """per_row(1, f) is the seed's X[1, :] = f(X[1, :]) done on a copy."""
    Z = state()
    reference = Z.numpy().copy()
    reference[1, :] = REFERENCE[name](reference[1, :])
    kept = Z.clone()
    got = cu.per_row(1, name)(Z, 0)
    assert np.allclose(got.numpy(), reference, atol=1e-12)
    assert torch.equal(Z, kept), "the activation changed its input"


def test_row_activation_with_several_functions_and_row_groups() -> None:
    Z = state(n=5)
    sigma = RowActivation({0: "tanh", (2, 4): activations.relu, 3: lambda z: 2 * z})
    reference = Z.numpy().copy()
    reference[0] = np.tanh(reference[0])
    reference[[2, 4]] = np.maximum(reference[[2, 4]], 0)
    reference[3] = 2 * reference[3]
    assert np.allclose(sigma(Z, 0).numpy(), reference, atol=1e-12)
    assert sigma.rows == (0, 2, 3, 4)


def test_seed_inplace_cube_gives_the_same_values_but_breaks_autograd() -> None:
    X, Y = cu.seed_data()
    Z = state(n=3, m=1, dtype=torch.float32)
    assert torch.allclose(nonlinear.seed_inplace_cube(Z.clone(), 0), cu.per_row(1, "cube")(Z, 0))
    with pytest.raises(RuntimeError, match="inplace"):
        cu.train(cu.SparseMatrix(3, generator=cu.seed_generator()), X, Y, activation=nonlinear.seed_inplace_cube, epochs=2)


def test_injection_clamps_the_data_rows() -> None:
    Z = state(n=4, m=3)
    X_full = state(n=4, m=3, seed=1)
    got = Injection(X_full, rows=[0, 2])(Z, 0)
    reference = Z.numpy().copy()
    reference[[0, 2]] = X_full.numpy()[[0, 2]]
    assert np.allclose(got.numpy(), reference)
    # the data rows alone (len(rows) x m) do the same
    got_rows = Injection(X_full[[0, 2]], rows=[0, 2])(Z, 0)
    assert torch.equal(got, got_rows)
    # default rows: the first X.shape[0] rows
    got_default = Injection(X_full[:2])(Z, 0)
    assert torch.equal(got_default[:2], X_full[:2]) and torch.equal(got_default[2:], Z[2:])
    # nested lists are accepted, converted to Z's dtype
    assert torch.equal(Injection(X_full[[0, 2]].tolist(), rows=[0, 2])(Z, 0), got)
    assert Injection([[1.0]], rows=0)(state(n=3, m=1, dtype=torch.float32), 0).dtype == torch.float32


def test_injection_keeps_a_private_copy_of_X() -> None:
    X = torch.ones(3, 1)
    inject = Injection(X, rows=0)
    X[0, 0] = 5.0
    assert inject(torch.zeros(3, 1), 0)[0, 0] == 1.0


def test_compose_and_rshift_apply_in_order() -> None:
    Z = state(n=3, m=2)
    X = torch.full((3, 2), 0.5, dtype=torch.float64)
    a, b = Injection(X, rows=0), cu.per_row([0, 1], "cube")
    reference = Z.numpy().copy()
    reference[0] = 0.5
    reference[[0, 1]] = reference[[0, 1]] ** 3
    assert np.allclose((a >> b)(Z, 0).numpy(), reference)
    assert np.allclose(activations.compose(a, b)(Z, 0).numpy(), reference)
    # the other order differs: the cube first, then the clamp
    other = (b >> a)(Z, 0)
    assert other[0, 0] == 0.5 and not torch.allclose(other, (a >> b)(Z, 0))
    # plain (Z, k) functions compose too, on either side, and see k
    seen = []

    def spy(Z, k):
        seen.append(k)
        return Z + 1

    got = (spy >> b)(Z, 7)
    expected = Z.numpy().copy() + 1
    expected[[0, 1]] = expected[[0, 1]] ** 3
    assert np.allclose(got.numpy(), expected) and seen[-1] == 7
    # nesting flattens
    assert len(Compose(a >> b, spy).parts) == 3


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "sigma",
    [
        cu.per_row(1, "cube"),
        cu.per_row([0, 2], "tanh"),
        RowActivation({0: "cube", 1: "tanh", 2: "identity"}),
        Injection(torch.ones(1, 2, dtype=torch.float64), rows=0) >> cu.per_row(1, "cube"),
        activations.tanh,
        cu.cube,
    ],
    ids=lambda s: str(s),
)
def test_gradcheck(sigma) -> None:
    Z = state(n=3, m=2).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: sigma(z, 0), (Z,), eps=1e-6, atol=1e-8)


def test_relu_gradient_away_from_the_kink() -> None:
    Z = torch.tensor([[0.7, -0.4], [-1.2, 0.3]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: cu.per_row(1, "relu")(z, 0), (Z,))


def test_injected_rows_pass_no_gradient() -> None:
    Z = state(n=3, m=2).requires_grad_(True)
    out = (Injection(torch.zeros(1, 2, dtype=torch.float64), rows=0) >> cu.per_row(1, "cube"))(Z, 0)
    (grad,) = torch.autograd.grad(out.sum(), Z)
    assert torch.all(grad[0] == 0)
    assert torch.allclose(grad[1], 3 * Z.detach()[1] ** 2)
    assert torch.all(grad[2] == 1)


# ---------------------------------------------------------------- with train and iterate
def reference_losses(S0: torch.Tensor, X, Y, f, rows, epochs: int, lr: float) -> list[float]:
    """An independent NumPy loop: forward with f on ``rows``, gradients by central differences."""
    S0 = S0.numpy().astype(np.float64)
    X, Y = X.numpy().astype(np.float64), Y.numpy().astype(np.float64)

    def loss(S):
        Z = X
        for _ in range(2):
            Z = S @ Z
            Z = Z.copy()
            Z[rows] = f(Z[rows])
        return np.linalg.norm(Y - Z)

    S, losses = S0.copy(), []
    for _ in range(epochs):
        losses.append(loss(S))
        grad = np.zeros_like(S)
        for i in range(3):
            for j in range(3):
                E = np.zeros_like(S)
                E[i, j] = 1e-6
                grad[i, j] = (loss(S + E) - loss(S - E)) / 2e-6
        S -= lr * grad
    return losses


@pytest.mark.parametrize("name", ["cube", "tanh"])
def test_train_with_per_row_activation_matches_a_reference_loop(name: str) -> None:
    torch.set_default_dtype(torch.float64)
    try:
        X, Y = cu.seed_data(torch.float64)
        S = cu.SparseMatrix(3, init_noise=0.5, generator=torch.Generator().manual_seed(3))
        Init = S.Init.clone()
        history = cu.train(S, X, Y, epochs=30, lr=0.05, tol=0.0, activation=cu.per_row(1, name))
    finally:
        torch.set_default_dtype(torch.float32)
    expected = reference_losses(Init, X, Y, REFERENCE[name], [1], epochs=30, lr=0.05)
    assert np.allclose(history.losses, expected, rtol=1e-6, atol=1e-8)


def test_train_with_injection_and_iterate() -> None:
    X, Y = cu.seed_data()
    target = torch.tensor([[1.0], [0.5], [2.0]])  # the data slot keeps x = 1
    sigma = Injection(X, rows=0) >> cu.per_row(1, "tanh")
    S = cu.SparseMatrix(3, Omega=nonlinear.lower_mask(3), generator=torch.Generator().manual_seed(0))
    history = cu.train(S, X, target, epochs=3000, lr=0.05, activation=sigma)
    assert history.converged
    states = cu.iterate(S, X, 2, sigma)
    # iterate agrees with a hand-written loop
    with torch.no_grad():
        Z = X
        for k in range(2):
            Z = S.matrix @ Z
            Z = torch.cat([X[:1], torch.tanh(Z[1:2]), Z[2:]])
    assert torch.allclose(states[-1], Z)
    assert torch.all(states[1][0] == 1) and torch.all(states[2][0] == 1)


# ---------------------------------------------------------------- the exact cube solution
@pytest.mark.parametrize("a", [0.5, 1.0, 2.0, -1.5, 3.0])
def test_cube_solution_by_substitution(a: float) -> None:
    S = nonlinear.cube_solution(a).numpy()
    assert S[1, 0] == a and np.isclose(S[2, 1], 2 / a**3)
    assert np.count_nonzero(S) == 2
    x = np.array([1.0, 0.0, 0.0])
    z = S @ x
    z[1] = z[1] ** 3
    z = S @ z
    z[1] = z[1] ** 3
    assert np.allclose(z, [0.0, 0.0, 2.0], atol=1e-12)
    # through the package's own iteration as well
    states = cu.iterate(nonlinear.cube_solution(a), cu.seed_data(torch.float64)[0], 2, cu.per_row(1, "cube"))
    assert np.allclose(states[-1].numpy().ravel(), [0.0, 0.0, 2.0], atol=1e-12)


def test_cube_solution_other_target() -> None:
    S = nonlinear.cube_solution(0.8, target=-3.0)
    assert torch.isclose(S[2, 1] * S[1, 0] ** 3, torch.tensor(-3.0, dtype=torch.float64))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make, error, word",
    [
        (lambda: cu.per_row(5, "cube")(state(n=3), 0), ValueError, "rows"),
        (lambda: RowActivation({(0, 7): "tanh"})(state(n=3), 0), ValueError, "rows"),
        (lambda: Injection(torch.ones(1, 3), rows=4)(state(n=3), 0), ValueError, "rows"),
        (lambda: Injection(torch.ones(4, 3), rows=[1, 5]), ValueError, "rows"),
        (lambda: cu.per_row(-1, "cube"), ValueError, "rows"),
        (lambda: cu.per_row([], "cube"), ValueError, "rows"),
        (lambda: cu.per_row([1, 1], "cube"), ValueError, "rows"),
        (lambda: cu.per_row(1.5, "cube"), TypeError, "rows"),
        (lambda: cu.per_row(True, "cube"), TypeError, "rows"),
        (lambda: cu.per_row("1", "cube"), TypeError, "rows"),
        (lambda: RowActivation({1: "cube", (0, 1): "tanh"}), ValueError, "rows"),
        (lambda: cu.per_row(1, 3.0), TypeError, "fn"),
        (lambda: cu.per_row(1, "square"), ValueError, "fn"),
        (lambda: Elementwise(42), TypeError, "fn"),
        (lambda: RowActivation({}), TypeError, "functions"),
        (lambda: RowActivation([1, 2]), TypeError, "functions"),
        (lambda: cu.per_row(1, lambda z: z[:, :1])(state(n=3), 0), ValueError, "fn"),
        (lambda: cu.per_row(1, lambda z: 1.0)(state(n=3), 0), ValueError, "fn"),
        (lambda: cu.per_row(1, "cube")([[1.0], [2.0]], 0), TypeError, "Z"),
        (lambda: cu.per_row(1, "cube")(torch.ones(3), 0), ValueError, "Z"),
        (lambda: Injection(torch.ones(3, 2), rows=0)(state(n=3, m=5), 0), ValueError, "X"),
        (lambda: Injection(torch.ones(2, 1), rows=0)(state(n=3, m=1), 0), ValueError, "X"),
        (lambda: Injection("data", rows=0), TypeError, "X"),
        (lambda: activations.compose(), ValueError, "parts"),
        (lambda: activations.compose(cu.cube, 3), TypeError, "parts[1]"),
        (lambda: activations.compose(lambda z: z), TypeError, "parts[0]"),
        (lambda: cu.cube >> "tanh", TypeError, "parts[1]"),
        (lambda: nonlinear.cube_solution(0.0), ValueError, "a"),
        (lambda: nonlinear.cube_solution("1"), TypeError, "a"),
        (lambda: nonlinear.cube_solution(float("nan")), ValueError, "a"),
        (lambda: nonlinear.seed_inplace_cube(torch.ones(1, 2)), ValueError, "Z"),
        (lambda: nonlinear.plot_elementwise(["cube", "sine"]), ValueError, "names"),
        (lambda: nonlinear.plot_elementwise(span=0), ValueError, "span"),
    ],
)
def test_bad_input(make, error, word: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert word in str(info.value), f"message does not name {word!r}: {info.value}"


def test_train_rejects_a_non_callable_activation() -> None:
    X, Y = cu.seed_data()
    with pytest.raises(TypeError, match="activation"):
        cu.train(cu.SparseMatrix(3), X, Y, activation="cube")


def test_names_and_reprs() -> None:
    assert str(cu.per_row(1, "cube")) == "cube on row 1"
    assert str(cu.per_row([1, 2], activations.tanh)) == "tanh on rows 1, 2"
    assert str(Injection(torch.ones(3, 1), rows=0) >> activations.relu) == "injection of X on row 0 >> relu"
    assert set(activations.ELEMENTWISE) == {"cube", "tanh", "relu", "identity"}


def test_plot_elementwise_draws_one_panel_per_function() -> None:
    import matplotlib.pyplot as plt

    fig = nonlinear.plot_elementwise(["cube", "relu"])
    assert len(fig.axes) == 2
    plt.close(fig)
