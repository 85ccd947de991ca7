"""The exercises: for each one its reference ``solve``, its hidden cases, its hint
and the mistakes it recognises, notebook by notebook; ``EXERCISES`` at the end
is the table in course order.

Every reference is plain torch, written the way a learner would write it.
Hidden cases use torch's default dtype (the learner's), drawn from fixed
private generators: the global random state is never touched.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import nn

from .checking import (
    ROWS_VERSUS_COLUMNS,
    SIGN,
    SQUARED,
    TRANSPOSED,
    Exercise,
    FunctionAnswer,
    Mistake,
    NumberAnswer,
    TensorAnswer,
    fewer,
    more,
    without_mask,
)


# --------------------------------------------------------------------------- small helpers
def _tensor(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.get_default_dtype())


def _randn(seed: int, *shape: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=generator, dtype=torch.float64)).to(torch.get_default_dtype())


def _mask(seed: int, n: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand((n, n), generator=generator) < 0.6).to(torch.get_default_dtype())


def _e(i: int, n: int = 3) -> torch.Tensor:
    """The unit column with a 1 in row i (0-based): _e(0) is e₁."""
    column = torch.zeros((n, 1), dtype=torch.get_default_dtype())
    column[i, 0] = 1.0
    return column


def _seed_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's data: X = e₁, Y = 2 e₃."""
    return _e(0), 2 * _e(2)


def _norm(A: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """The Frobenius norm (``squared=True`` only to recognise that mistake)."""
    norm = torch.linalg.matrix_norm(A)
    return norm**2 if squared else norm


def _chain(a: float, b: float, n: int = 3) -> torch.Tensor:
    """S with S e₁ = a e₂ and S e₂ = b e₃: the chain e₁ → e₂ → e₃."""
    S = torch.zeros((n, n), dtype=torch.get_default_dtype())
    S[1, 0], S[2, 1] = a, b
    return S


def cube(z: torch.Tensor) -> torch.Tensor:
    return z**3


# =========================================================================== 01 the linear operator
def apply_S(Init, Omega, U, X):
    return (Init + Omega * U) @ X


def iterate_S(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ Z
    return Z


def seed_loss(Y, Y_hat, *, squared=False):
    return _norm(Y - Y_hat, squared)


def sgd_step(Init, Omega, U, X, Y, lr, k, *, squared=False):
    U = U.detach().clone().requires_grad_(True)
    Z = X
    for _ in range(k):
        Z = (Init + Omega * U) @ Z
    loss = _norm(Y - Z, squared)
    (grad,) = torch.autograd.grad(loss, U)
    return (U - lr * grad).detach()


def _cases_apply_S():
    X, _ = _seed_data()
    return [
        ("the seed's data", dict(Init=0.1 * _randn(1, 3, 3).abs(), Omega=torch.ones(3, 3), U=_randn(2, 3, 3), X=X)),
        (
            "a mask with zeros, two examples",
            dict(Init=_randn(3, 3, 3, scale=0.1), Omega=_mask(4, 3), U=_randn(5, 3, 3), X=_randn(6, 3, 2)),
        ),
        (
            "n = 4, five examples",
            dict(
                Init=_randn(7, 4, 4, scale=0.1),
                Omega=torch.tril(torch.ones(4, 4)),
                U=_randn(8, 4, 4),
                X=_randn(9, 4, 5),
            ),
        ),
        ("n = 1", dict(Init=_tensor([[0.5]]), Omega=_tensor([[1.0]]), U=_tensor([[2.0]]), X=_tensor([[3.0, -1.0]]))),
        (
            "Ω = 0, so S = Init",
            dict(Init=_randn(10, 3, 3), Omega=torch.zeros(3, 3), U=_randn(11, 3, 3), X=_randn(12, 3, 2)),
        ),
    ]


def _cases_iterate():
    X, _ = _seed_data()
    return [
        ("k = 2 on the seed's X", dict(S=_randn(20, 3, 3), X=X, k=2)),
        ("k = 1", dict(S=_randn(21, 3, 3), X=_randn(22, 3, 2), k=1)),
        ("k = 0: no application, X itself", dict(S=_randn(23, 3, 3), X=_randn(24, 3, 2), k=0)),
        ("n = 4, three examples, k = 5", dict(S=_randn(25, 4, 4, scale=0.5), X=_randn(26, 4, 3), k=5)),
        ("n = 1", dict(S=_tensor([[-2.0]]), X=_tensor([[1.0, 3.0]]), k=3)),
    ]


def _cases_seed_loss():
    _, Y = _seed_data()
    return [
        ("the seed's Y", dict(Y=Y, Y_hat=_randn(30, 3, 1, scale=0.5))),
        ("two examples", dict(Y=_randn(31, 3, 2), Y_hat=_randn(32, 3, 2))),
        ("n = 4, three examples", dict(Y=_randn(33, 4, 3), Y_hat=_randn(34, 4, 3))),
        ("a perfect prediction", dict(Y=_randn(35, 3, 2), Y_hat=_randn(35, 3, 2))),
        ("1 x 1", dict(Y=_tensor([[1.0]]), Y_hat=_tensor([[-2.0]]))),
    ]


def _cases_sgd_step():
    X, Y = _seed_data()

    def case(Init, Omega, U, X, Y, lr, k):
        return dict(Init=Init, Omega=Omega, U=U, X=X, Y=Y, lr=lr, k=k)

    return [
        ("the seed's first step: k = 2, U = 0",
         case(0.1 * _randn(40, 3, 3).abs(), torch.ones(3, 3), torch.zeros(3, 3), X, Y, lr=0.01, k=2)),
        ("k = 1, a lower-triangular mask",
         case(_randn(41, 3, 3, scale=0.1), torch.tril(torch.ones(3, 3)), _randn(42, 3, 3),
              _randn(43, 3, 2), _randn(44, 3, 2), lr=0.1, k=1)),
        ("k = 3, n = 4, two examples, a random mask",
         case(_randn(45, 4, 4, scale=0.1), _mask(46, 4), _randn(47, 4, 4, scale=0.5),
              _randn(48, 4, 2), _randn(49, 4, 2), lr=0.05, k=3)),
        ("a mask with an empty row",
         case(_randn(50, 3, 3, scale=0.1), _tensor([[1, 1, 0], [0, 0, 0], [1, 0, 1]]), _randn(51, 3, 3),
              _randn(52, 3, 1), _randn(53, 3, 1), lr=0.2, k=2)),
    ]


_01_MISTAKES_APPLY = (
    without_mask(),
    Mistake(
        "transposed",
        "You applied Sᵀ: entry [i, j] of S carries coordinate j into coordinate i, so the product is S @ X.",
        instead=lambda Init, Omega, U, X: (Init + Omega * U).T @ X,
    ),
    Mistake(
        "the mask applied to Init too",
        "Ω only selects the trainable entries of U: S = Init + Ω ⊙ U, not Ω ⊙ (Init + U).",
        instead=lambda Init, Omega, U, X: (Omega * (Init + U)) @ X,
    ),
    ROWS_VERSUS_COLUMNS,
)
_01_MISTAKES_ITERATE = (
    fewer(),
    more(),
    Mistake(
        "transposed",
        "You applied Sᵀ: each application is S @ Z, with Z on the right.",
        instead=lambda S, X, k: torch.linalg.matrix_power(S.T, k) @ X,
    ),
    ROWS_VERSUS_COLUMNS,
)
_01_MISTAKES_LOSS = (
    SQUARED,
    Mistake(
        "mean squared error",
        "The seed's loss is the Frobenius norm, sqrt of the sum of squares, not their mean.",
        instead=lambda Y, Y_hat: ((Y - Y_hat) ** 2).mean(),
    ),
)
_01_MISTAKES_STEP = (
    without_mask(),
    replace(
        SIGN,
        transform=None,
        change=lambda c: {**c, "lr": -c["lr"]},
        explanation="You stepped up the gradient: SGD does U ← U − lr · ∂L/∂U.",
    ),
    SQUARED,
    fewer(minimum=1),
    more(),
)


# =========================================================================== 02 the exact inverse
def exact_U(X, Y, Init):
    return (Y - Init @ X) @ torch.linalg.pinv(X)


def norm_to_minimum(norm_U, norm_min, *, squared=False):
    gap_squared = norm_U**2 - norm_min**2  # Pythagoras: ||U||² = ||U_min||² + ||U − U_min||²
    return gap_squared if squared else math.sqrt(gap_squared)


def masked_exact_U(X, Y, Omega):
    U = torch.zeros((X.shape[0], X.shape[0]), dtype=X.dtype)
    for i in range(X.shape[0]):
        free = Omega[i].bool()
        U[i, free] = Y[i] @ torch.linalg.pinv(X[free])
    return U


def _cases_exact_U():
    X, Y = _seed_data()
    Init = _randn(60, 3, 3, scale=0.1)
    return [
        ("square, invertible X", dict(X=_randn(61, 3, 3), Y=_randn(62, 3, 3), Init=Init)),
        ("the seed's data: one example", dict(X=X, Y=Y, Init=Init)),
        ("more examples than dimensions: least squares", dict(X=_randn(63, 3, 6), Y=_randn(64, 3, 6), Init=Init)),
        ("n = 4, two examples", dict(X=_randn(65, 4, 2), Y=_randn(66, 4, 2), Init=_randn(67, 4, 4))),
        ("Y = Init X: U = 0", dict(X=_randn(68, 3, 2), Y=Init @ _randn(68, 3, 2), Init=Init)),
    ]


def _cases_masked():
    X, Y = _seed_data()
    return [
        (
            "square data, a lower-triangular mask",
            dict(X=_randn(70, 3, 3), Y=_randn(71, 3, 3), Omega=torch.tril(torch.ones(3, 3))),
        ),
        ("the seed's data, every entry free", dict(X=X, Y=Y, Omega=torch.ones(3, 3))),
        (
            "a row without free entries",
            dict(X=_randn(72, 3, 2), Y=_randn(73, 3, 2), Omega=_tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1]])),
        ),
        ("n = 4, three examples, a random mask", dict(X=_randn(74, 4, 3), Y=_randn(75, 4, 3), Omega=_mask(76, 4))),
        (
            "more examples than dimensions",
            dict(X=_randn(77, 3, 5), Y=_randn(78, 3, 5), Omega=_tensor([[1, 1, 0], [0, 1, 1], [1, 0, 1]])),
        ),
    ]


def _solves_but_larger(answer, expected, case):
    """A member of the family (U X = Y) that is not the minimum-norm one."""
    X, Y = case["X"].double(), case["Y"].double()
    return bool(torch.allclose(answer @ X, Y, atol=1e-4))


_02_MISTAKES_EXACT = (
    Mistake(
        "Init not subtracted",
        "One application asks U X = R with R = Y − Init X: subtract Init X first.",
        change=lambda c: {**c, "Init": torch.zeros_like(c["Init"])},
    ),
    Mistake(
        "multiplied on the wrong side",
        "U X = R is solved by U = R X⁺: the pseudo-inverse goes on the right.",
        instead=lambda X, Y, Init: torch.linalg.pinv(X) @ (Y - Init @ X),
    ),
    TRANSPOSED,
)
_02_MISTAKES_MINIMUM = (
    TRANSPOSED,
    Mistake(
        "not the minimum-norm member",
        "Your U solves U X = Y, but it is not the member of smallest norm: "
        "the columns that X does not pin down should be 0.",
        test=_solves_but_larger,
    ),
)
_02_MISTAKES_PYTHAGORAS = (
    replace(SQUARED, explanation="That is ||U − U_min||², the square of the distance: take the square root."),
    Mistake(
        "norms subtracted",
        "Norms do not subtract; their squares do (Pythagoras).",
        instead=lambda norm_U, norm_min: norm_U - norm_min,
    ),
)
_02_MISTAKES_MASKED = (
    without_mask(),
    Mistake(
        "the mask applied after solving",
        "Zeroing the forbidden entries of the unmasked solution does not solve "
        "the masked problem: solve each row over its free entries, U[i, F] = R[i] X[F]⁺.",
        instead=lambda X, Y, Omega: Omega * (Y @ torch.linalg.pinv(X)),
    ),
)


# =========================================================================== 03 depth and the saddle
def gradient_at_zero(X, Y, k, *, squared=False):
    U = torch.zeros((X.shape[0], X.shape[0]), dtype=X.dtype, requires_grad=True)
    loss = _norm(Y - torch.linalg.matrix_power(U, k) @ X, squared)
    (grad,) = torch.autograd.grad(loss, U)
    return grad


def hessian_eigenvalues(X, Y, k, *, squared=False):
    n = X.shape[0]

    def loss(u):  # the loss as a function of the n² entries of U, Init = 0
        return _norm(Y - torch.linalg.matrix_power(u.reshape(n, n), k) @ X, squared)

    H = torch.autograd.functional.hessian(loss, torch.zeros(n * n, dtype=X.dtype))
    return torch.linalg.eigvalsh(H)


def epochs_per_decade(lr, eigenvalue):
    # near the saddle the escaping entries grow by the factor 1 + lr·λ per epoch
    return math.log(10) / math.log(1 + lr * eigenvalue)


def plateau_epochs(losses):
    for epoch, loss in enumerate(losses):
        if loss <= 0.9 * losses[0]:
            return epoch
    return None


def _cases_hessian():
    X, Y = _seed_data()
    return [
        ("the seed's data, k = 2", dict(X=X, Y=Y, k=2)),
        ("k = 1", dict(X=X, Y=Y, k=1)),
        ("k = 3", dict(X=X, Y=Y, k=3)),
        ("n = 2, X = e₁, Y = e₁ + 2e₂, k = 2", dict(X=_e(0, 2), Y=_tensor([[1.0], [2.0]]), k=2)),
        ("two examples, k = 2", dict(X=_randn(80, 3, 2), Y=_randn(81, 3, 2), k=2)),
    ]


def _cases_plateau():
    return [
        ("a plateau, then a drop", dict(losses=[2.0, 1.99, 1.98, 1.9, 1.5, 0.5])),
        ("a drop at epoch 1", dict(losses=[1.0, 0.5, 0.2])),
        ("exactly 90 % of the start", dict(losses=[1.0, 0.95, 0.9, 0.9, 0.5])),
        ("a rise before the drop", dict(losses=[1.0, 1.2, 0.85])),
        ("never below 90 %: None", dict(losses=[2.0, 1.95, 1.9])),
        ("a single epoch: None", dict(losses=[1.0])),
    ]


def _sorted_version(answer, expected, case):
    return (
        answer.ndim == 1
        and answer.shape == expected.shape
        and bool(torch.allclose(torch.sort(answer).values, expected, atol=1e-4))
    )


_03_MISTAKES_GRADIENT = (
    TRANSPOSED,
    replace(
        SIGN,
        explanation="The gradient points uphill: at U = 0 the loss falls along −∇L, the direction that sends e₂ to −3e₁.",
    ),
    replace(
        SQUARED,
        explanation="That is the gradient of ||Y − U X||²; the course's loss is the norm itself, whose gradient "
        "is −(Y − UX)Xᵀ / ||Y − UX||.",
    ),
)
_03_MISTAKES_HESSIAN = (
    SQUARED,
    fewer(minimum=1),
    more(),
    Mistake(
        "not sorted",
        "The values are right but not in ascending order: torch.linalg.eigvalsh sorts them, eig/eigvals do not.",
        test=_sorted_version,
    ),
)
_03_MISTAKES_DECADE = (
    Mistake(
        "the wrong eigenvalue",
        "The escape runs along the eigenvector of the largest eigenvalue, √2, not 1.",
        change=lambda c: {**c, "eigenvalue": 1.0},
    ),
    Mistake(
        "the eigenvalue squared",
        "The growth factor per epoch is 1 + lr·λ with λ = √2, not λ² = 2.",
        change=lambda c: {**c, "eigenvalue": c["eigenvalue"] ** 2},
    ),
    Mistake(
        "linearised",
        "ln(1 + lr·λ) ≈ lr·λ is close, but the growth per epoch is exactly the factor 1 + lr·λ: " "use ln(1 + lr·λ).",
        instead=lambda lr, eigenvalue: math.log(10) / (lr * eigenvalue),
    ),
    Mistake(
        "mixed logarithms",
        "A decade is a factor 10: ln 10 / ln(1 + lr·λ), both logarithms natural (or both base 10).",
        instead=lambda lr, eigenvalue: math.log(10) / math.log10(1 + lr * eigenvalue),
    ),
    Mistake(
        "mixed logarithms",
        "A decade is a factor 10: ln 10 / ln(1 + lr·λ), both logarithms natural (or both base 10).",
        instead=lambda lr, eigenvalue: 1 / math.log(1 + lr * eigenvalue),
    ),
)
_03_MISTAKES_PLATEAU = (
    Mistake(
        "1-based index",
        "Epochs count from 0: losses[0] is epoch 0, so the epoch is the list index itself.",
        transform=lambda epoch: None if epoch is None else epoch + 1,
    ),
    Mistake(
        "strict inequality",
        "A loss of exactly 0.9 × the start counts: use <=.",
        instead=lambda losses: next((i for i, v in enumerate(losses) if v < 0.9 * losses[0]), None),
    ),
)


# =========================================================================== 04 exact solutions of the iterated map
def lifted_S(X, Y, H):
    return torch.cat([H, Y], dim=1) @ torch.linalg.pinv(torch.cat([X, H], dim=1))


def three_step(a, b):
    S = _chain(a, b)
    S[2, 2] = 2 / (a * b)  # the signal waits at e₃: S³e₁ = a·b·S[2, 2]·e₃ = 2e₃
    return S


def count_routes(Omega, k):
    return torch.linalg.matrix_power(Omega, k)[2, 0].item()


def balanced_end(a0, b0):
    c = a0**2 - b0**2  # conserved by gradient flow; the end has a·b = 2, so a² − 4/a² = c
    return math.sqrt((c + math.sqrt(c**2 + 16)) / 2)


def _cases_lift():
    X, Y = _seed_data()
    return [
        ("the seed's data, H = 1.5 e₂", dict(X=X, Y=Y, H=1.5 * _e(1))),
        ("H = 1.5 e₃", dict(X=X, Y=Y, H=1.5 * _e(2))),
        ("H = e₁: least squares", dict(X=X, Y=Y, H=_e(0))),
        ("n = 4, two examples, a random H", dict(X=_randn(90, 4, 2), Y=_randn(91, 4, 2), H=_randn(92, 4, 2))),
    ]


def _cases_three_step():
    return [
        ("a = b = 1", dict(a=1.0, b=1.0)),
        ("a = 2, b = −0.5", dict(a=2.0, b=-0.5)),
        ("a = 0.5, b = 4", dict(a=0.5, b=4.0)),
        ("a = −1.5, b = 3", dict(a=-1.5, b=3.0)),
    ]


def _solves_three_steps(answer, expected, case):
    if answer.shape != (3, 3):
        return False
    X, Y = _e(0).double(), 2 * _e(2).double()
    return bool(torch.allclose(torch.linalg.matrix_power(answer, 3) @ X, Y, atol=1e-4))


_04_MISTAKES_LIFT = (
    replace(
        ROWS_VERSUS_COLUMNS,
        transform=None,
        explanation="You stacked X and H as rows (dim=0, vstack). The lifted data put the "
        "examples side by side: [X H] = torch.cat([X, H], dim=1), with 2m columns.",
        instead=lambda X, Y, H: torch.cat([H, Y]) @ torch.linalg.pinv(torch.cat([X, H])),
    ),
    Mistake(
        "inputs and targets swapped",
        "S [X H] = [H Y]: the inputs [X H] get the pseudo-inverse, the targets [H Y] " "multiply on the left.",
        instead=lambda X, Y, H: torch.cat([X, H], 1) @ torch.linalg.pinv(torch.cat([H, Y], 1)),
    ),
    TRANSPOSED,
)
_04_MISTAKES_THREE = (
    TRANSPOSED,
    Mistake(
        "the signal does not wait",
        "With only S[1, 0] and S[2, 1], S³e₁ = 0: after two steps the signal is at e₃ "
        "and needs the entry S[2, 2] to stay there.",
        instead=lambda a, b: _chain(a, b),
    ),
    Mistake(
        "another member of the family",
        "Your S solves S³X = Y, but not with the entries asked for: S[1, 0] = a, " "S[2, 1] = b, the rest in S[2, 2].",
        test=_solves_three_steps,
    ),
)
_04_MISTAKES_ROUTES = (
    fewer(minimum=1),
    more(),
    Mistake(
        "transposed",
        "A route e₁ → … → e₃ is counted by (Ω^k)[2, 0]: row = where it ends, column = where it starts.",
        change=lambda c: {**c, "Omega": c["Omega"].T},
    ),
)
_04_MISTAKES_BALANCED = (
    Mistake("a² instead of a", "That is a²: take the square root.", transform=lambda a: a**2),
    Mistake(
        "the balanced member",
        "a = √2 is where a² − b² = 0; here a² − b² starts at 0.08 and stays 0.08.",
        change=lambda c: {**c, "b0": c["a0"]},
    ),
    Mistake(
        "that is b", "You found b = 2/a; the question asks for a, the weight of e₁ → e₂.", transform=lambda a: 2 / a
    ),
)


# =========================================================================== 05 nonlinear activations
def activate_row(Z, row, f):
    out = Z.clone()
    out[row] = f(Z[row])
    return out


def cube_weight(a):
    return 2 / a**3  # σ(S X) = a³ e₂, then S[2, 1]·a³ = 2


def tanh_chain(a):
    return _chain(a, 2 / math.tanh(a))  # σ(S X) = tanh(a) e₂, then S[2, 1]·tanh(a) = 2


def run_injected(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ Z
        Z = torch.cat([X[:1], Z[1:2] ** 3, Z[2:]])  # row 0 set back to the data, row 1 cubed
    return Z


def _cases_activate_row():
    return [
        ("the seed's cube on row 1", dict(Z=_randn(100, 3, 2), row=1, f=cube)),
        ("tanh on row 0, one example", dict(Z=_randn(101, 3, 1), row=0, f=torch.tanh)),
        ("relu on the last row", dict(Z=_randn(102, 4, 3), row=3, f=torch.relu)),
        ("a state with one row", dict(Z=_randn(103, 1, 4), row=0, f=cube)),
        ("row 2 of a square state", dict(Z=_randn(104, 3, 3), row=2, f=torch.tanh)),
    ]


def _cases_tanh_chain():
    return [
        ("a = 2", dict(a=2.0)),
        ("a = −0.5", dict(a=-0.5)),
        ("a = 0.1", dict(a=0.1)),
        ("a = 3", dict(a=3.0)),
        ("a = 1", dict(a=1.0)),
    ]


def _cases_injected():
    X, _ = _seed_data()
    return [
        ("the cube chain, k = 2", dict(S=_chain(1.0, 2.0), X=X, k=2)),
        ("the cube chain, k = 5: past the depth", dict(S=_chain(1.0, 2.0), X=X, k=5)),
        ("k = 0: X itself", dict(S=_chain(1.0, 2.0), X=X, k=0)),
        ("a random S, two examples, k = 3", dict(S=_randn(110, 3, 3, scale=0.5), X=_randn(111, 3, 2), k=3)),
        ("n = 4, k = 1", dict(S=_randn(112, 4, 4, scale=0.5), X=_randn(113, 4, 2), k=1)),
    ]


def _without_injection(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ Z
        Z = torch.cat([Z[:1], Z[1:2] ** 3, Z[2:]])
    return Z


def _injected_before(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ torch.cat([X[:1], Z[1:]])
        Z = torch.cat([Z[:1], Z[1:2] ** 3, Z[2:]])
    return Z


_05_MISTAKES_ROW = (
    Mistake(
        "rows versus columns",
        "Z[:, row] is a column (one example for every coordinate); the row is Z[row] (or Z[row, :]).",
        instead=lambda Z, row, f: torch.cat([Z[:, :row], f(Z[:, row : row + 1]), Z[:, row + 1 :]], dim=1),
    ),
    Mistake(
        "1-based index",
        "Rows are numbered from 0: Z[row] is the row asked for, not Z[row − 1].",
        change=lambda c: {**c, "row": c["row"] - 1} if c["row"] >= 1 else None,
    ),
    Mistake(
        "applied to every row",
        "Only the row `row` goes through f; the other rows stay as they are.",
        instead=lambda Z, row, f: f(Z),
    ),
)
_05_MISTAKES_CUBE = (
    Mistake(
        "the linear family",
        "2/a is notebook 04's linear family; here the hidden value is cubed, σ(a) = a³.",
        instead=lambda a: 2 / a,
    ),
    Mistake("the target's 2 forgotten", "The output must be Y = 2e₃: S[2, 1] · a³ = 2.", instead=lambda a: 1 / a**3),
)
_05_MISTAKES_TANH = (
    Mistake(
        "the cube family",
        "2/a³ is the family for the cube; here the hidden value is tanh(a).",
        instead=lambda a: _chain(a, 2 / a**3),
    ),
    Mistake(
        "the linear family",
        "2/a is the linear family; here the hidden value is tanh(a), so S[2, 1] = 2 / tanh(a).",
        instead=lambda a: _chain(a, 2 / a),
    ),
    TRANSPOSED,
)
_05_MISTAKES_INJECTED = (
    fewer(),
    more(),
    Mistake(
        "no injection",
        "After each application of S, set row 0 back to X's row 0 (the data are injected).",
        instead=_without_injection,
    ),
    Mistake(
        "injected before S",
        "The data are set back after each application of S, in σ: Z ← σ(S Z).",
        instead=_injected_before,
    ),
)


# =========================================================================== 06 interim losses and fixed points
def interim_loss(S, X, Y, k, w, *, squared=False):
    Z, interim = X, 0.0
    for _ in range(k):
        Z = S @ Z
        interim = interim + _norm(Y - Z, squared)
    return _norm(Y - Z, squared) + w * interim


def distances_to_Y(S, X, Y, k):
    Z, out = X, [torch.linalg.matrix_norm(Y - X)]
    for _ in range(k):
        Z = S @ Z
        out.append(torch.linalg.matrix_norm(Y - Z))
    return torch.stack(out)


def _interim_short(S, X, Y, k, w):
    """The interim sum over j = 1..k-1 only."""
    Z, interim = X, 0.0
    for j in range(1, k + 1):
        Z = S @ Z
        if j < k:
            interim = interim + _norm(Y - Z)
    return _norm(Y - Z) + w * interim


def _interim_from_zero(S, X, Y, k, w):
    """The interim sum over j = 0..k, X included."""
    return interim_loss(S, X, Y, k, w) + w * _norm(Y - X)


def _cases_interim():
    X, Y = _seed_data()
    return [
        ("the seed's data, k = 2, w = 1", dict(S=_randn(120, 3, 3, scale=0.5), X=X, Y=Y, k=2, w=1.0)),
        ("w = 0: the seed's loss", dict(S=_randn(121, 3, 3, scale=0.5), X=X, Y=Y, k=2, w=0.0)),
        ("k = 1, w = 0.5", dict(S=_randn(122, 3, 3), X=_randn(123, 3, 2), Y=_randn(124, 3, 2), k=1, w=0.5)),
        ("S = 0, k = 3, w = 2: at the saddle", dict(S=torch.zeros(3, 3), X=X, Y=Y, k=3, w=2.0)),
        (
            "n = 4, two examples, k = 3, w = 0.3",
            dict(S=_randn(125, 4, 4, scale=0.5), X=_randn(126, 4, 2), Y=_randn(127, 4, 2), k=3, w=0.3),
        ),
    ]


def _cases_distances():
    X, Y = _seed_data()
    keeps_Y = _chain(1.0, 2.0)
    keeps_Y[2, 2] = 1.0  # S Y = Y: the target is a fixed point
    return [
        ("the seed's data, k = 2", dict(S=_randn(130, 3, 3, scale=0.5), X=X, Y=Y, k=2)),
        ("k = 0: X only", dict(S=_randn(131, 3, 3), X=X, Y=Y, k=0)),
        ("a map with Y fixed, k = 4", dict(S=keeps_Y, X=X, Y=Y, k=4)),
        (
            "n = 4, two examples, k = 3",
            dict(S=_randn(132, 4, 4, scale=0.5), X=_randn(133, 4, 2), Y=_randn(134, 4, 2), k=3),
        ),
        ("k = 1", dict(S=_randn(135, 3, 3), X=X, Y=Y, k=1)),
    ]


_06_MISTAKES_INTERIM = (
    SQUARED,
    Mistake(
        "one iteration too few",
        "The interim sum runs over j = 1..k, the last iteration included, as in the seed's loop.",
        instead=_interim_short,
    ),
    Mistake("one iteration too many", "The interim sum starts at Z₁ = S X, not at Z₀ = X.", instead=_interim_from_zero),
    fewer(minimum=1),
    more(),
)
_06_MISTAKES_FIXED = (
    TRANSPOSED,
    Mistake(
        "S e₃ = 2e₃",
        "S Y = Y with Y = 2e₃ means S(2e₃) = 2e₃, so S e₃ = e₃: that entry is 1.",
        instead=lambda X, Y, H: lifted_S(X, Y, H) + _tensor([[0, 0, 0], [0, 0, 0], [0, 0, 1]]),
    ),
    Mistake(
        "only S X = Y",
        "That solves S X = Y alone; the summed loss also wants S² X = Y, that is S Y = Y.",
        instead=lambda X, Y, H: Y @ torch.linalg.pinv(X),
    ),
)
_06_MISTAKES_DISTANCES = (
    fewer(),
    more(),
    replace(SQUARED, change=None, transform=lambda d: d**2),
    Mistake(
        "1-based index",
        "Start at j = 0: the first distance is ||Y − X||, before any application of S.",
        instead=lambda S, X, Y, k: distances_to_Y(S, X, Y, k)[1:],
    ),
)


# =========================================================================== 07 an MLP is an iterated sparse matrix
def mask_of_mlp(sizes):
    n, starts = sum(sizes), [sum(sizes[:i]) for i in range(len(sizes))]
    Omega = torch.zeros((n, n))
    for l in range(1, len(sizes)):
        Omega[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = 1.0
    return Omega


def budget(sizes):
    return sum(sizes[l - 1] * sizes[l] for l in range(1, len(sizes)))


def equal_budget_density(sizes):
    return budget(sizes) / sum(sizes) ** 2


def S_from_model(model):
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    n, starts = sum(sizes), [sum(sizes[:i]) for i in range(len(sizes))]
    S = torch.zeros((n, n), dtype=linears[0].weight.dtype)
    S[: sizes[0], : sizes[0]] = torch.eye(sizes[0])  # Init: the input persists
    for l, layer in enumerate(linears, start=1):
        S[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = layer.weight.detach()
    return S


def _model(seed: int, *layers: nn.Module) -> nn.Sequential:
    """An nn.Sequential whose Linear layers are filled from a private generator (no global RNG)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in layers:
            for p in layer.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) / 2)
    return nn.Sequential(*layers)


def _linear(n_in: int, n_out: int, bias: bool = True) -> nn.Linear:
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its start from the global RNG: put it back
        return nn.Linear(n_in, n_out, bias=bias)


def _cases_sizes():
    return [
        ("[2, 3]: one layer", dict(sizes=[2, 3])),
        ("[4, 6, 5, 3]", dict(sizes=[4, 6, 5, 3])),
        ("[1, 1, 1, 1]", dict(sizes=[1, 1, 1, 1])),
        ("[3, 2, 2]", dict(sizes=[3, 2, 2])),
        ("[64, 16, 16, 10]", dict(sizes=[64, 16, 16, 10])),
    ]


def _cases_models():
    return [
        ("square layers without bias", dict(model=_model(143, _linear(2, 2, False), nn.ReLU(), _linear(2, 2, False)))),
        (
            "the notebook's shape: Linear(4, 6), ReLU, Linear(6, 5), Tanh, Linear(5, 3)",
            dict(model=_model(140, _linear(4, 6), nn.ReLU(), _linear(6, 5), nn.Tanh(), _linear(5, 3))),
        ),
        ("one layer: Linear(2, 3)", dict(model=_model(141, _linear(2, 3)))),
        (
            "a 1-unit hidden layer: Linear(3, 1), ReLU, Linear(1, 2)",
            dict(model=_model(142, _linear(3, 1), nn.ReLU(), _linear(1, 2))),
        ),
    ]


def _weights_transposed(model):
    S = S_from_model(model)
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    if any(layer.in_features != layer.out_features for layer in linears):
        return None
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    for l, layer in enumerate(linears, start=1):
        S[starts[l] : starts[l] + sizes[l], starts[l - 1] : starts[l - 1] + sizes[l - 1]] = layer.weight.detach().T
    return S


def _without_identity(model):
    S = S_from_model(model)
    n0 = next(layer for layer in model if isinstance(layer, nn.Linear)).in_features
    S[:n0, :n0] = 0.0
    return S


def _identity_block(sizes):
    block = torch.zeros((sum(sizes), sum(sizes)))
    block[: sizes[0], : sizes[0]] = torch.eye(sizes[0])
    return block


_07_MISTAKES_MASK = (
    replace(
        TRANSPOSED,
        explanation="Your blocks sit above the diagonal: layer l writes the rows of slot l and reads "
        "the columns of slot l − 1.",
    ),
    Mistake(
        "the input's identity included",
        "The identity on the input slot is fixed, not trained: it lives in Init, not in Ω.",
        instead=lambda sizes: mask_of_mlp(sizes) + _identity_block(sizes),
    ),
)
_07_MISTAKES_BUDGET = (
    Mistake(
        "the input's identity counted",
        "The identity that copies x is in Init, not trainable: count the weights only.",
        instead=lambda sizes: budget(sizes) + sizes[0],
    ),
    Mistake(
        "the biases counted",
        "The budget is the number of entries of Ω (the weights); the biases stay outside S.",
        instead=lambda sizes: budget(sizes) + sum(sizes[1:]),
    ),
    Mistake(
        "a layer missing",
        "Every layer l = 1..L has a block of n_(l-1) · n_l entries: check the range of your loop.",
        instead=lambda sizes: budget(sizes[:-1]),
    ),
)
_07_MISTAKES_DENSITY = (
    Mistake("a percentage", "A density is a fraction between 0 and 1: 12.8 % is 0.128.", transform=lambda d: 100 * d),
    Mistake(
        "the non-input rows only",
        "The slider's density is entries / n², over every entry of S.",
        instead=lambda sizes: budget(sizes) / ((sum(sizes) - sizes[0]) * sum(sizes)),
    ),
    Mistake("inverted", "The density is entries / n², not n² / entries.", transform=lambda d: 1 / d),
)
_07_MISTAKES_MODEL = (
    replace(
        TRANSPOSED,
        explanation="Your weights sit above the diagonal: layer l's weight goes in the rows of slot l "
        "and the columns of slot l − 1.",
    ),
    Mistake(
        "the input's identity missing",
        "S = Init + Ω ⊙ U: Init holds the identity that copies x through; " "without it x is lost after one iteration.",
        instead=_without_identity,
    ),
    Mistake(
        "each weight transposed",
        "nn.Linear stores its weight as (out, in), already the block's shape: put W as it is, " "not Wᵀ.",
        instead=_weights_transposed,
    ),
)


# =========================================================================== 08 the same matrix is a recurrent network
def hidden_after(S, b, xs):
    n0 = xs.shape[1]
    z = torch.zeros((S.shape[0], xs.shape[2]), dtype=S.dtype)
    for x in xs:  # x_1, ..., x_T, each (n0, m)
        z = torch.cat([x, z[n0:]])  # inject x_t into the input slot
        z = torch.tanh(S @ z + b)
    return z[n0:]


def feedback_entries(Omega, sizes):
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    later = torch.zeros_like(Omega)
    for i in range(len(sizes)):
        for j in range(i, len(sizes)):  # slot i reads slot j, not an earlier slot
            later[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]] = 1.0
    return Omega * later


def feedforward_width(hidden, pixels, classes):
    return (pixels * hidden + hidden * hidden + hidden * classes) / (pixels + classes)


def last_row(images):
    return images[:, 56:64]


def _rnn_case(seed: int, n0: int, hidden: int, T: int, m: int) -> dict:
    """S, b and a sequence from an nn.RNN(n0, hidden)'s weights, drawn from a private generator."""
    generator = torch.Generator().manual_seed(seed)
    draw = lambda *shape: (torch.randn(shape, generator=generator, dtype=torch.float64) / 2).to(  # noqa: E731
        torch.get_default_dtype()
    )
    W_ih, W_hh, bias = draw(hidden, n0), draw(hidden, hidden), draw(hidden, 1)
    n = n0 + hidden
    S = torch.zeros((n, n), dtype=torch.get_default_dtype())
    S[n0:, :n0], S[n0:, n0:] = W_ih, W_hh
    b = torch.cat([torch.zeros((n0, 1), dtype=S.dtype), bias])
    return dict(S=S, b=b, xs=draw(T, n0, m))


def _cases_hidden():
    return [
        ("nn.RNN(5, 7), T = 4, three sequences", _rnn_case(180, 5, 7, 4, 3)),
        ("nn.RNN(3, 4), T = 6, two sequences", _rnn_case(181, 3, 4, 6, 2)),
        ("T = 1: one step", _rnn_case(182, 2, 3, 1, 2)),
        ("one input, one hidden unit, one sequence", _rnn_case(183, 1, 1, 5, 1)),
        ("nn.RNN(8, 4), T = 8: digit rows", _rnn_case(184, 8, 4, 8, 2)),
    ]


def _not_injected(S, b, xs):
    n0 = xs.shape[1]
    z = torch.cat([xs[0], torch.zeros((S.shape[0] - n0, xs.shape[2]), dtype=S.dtype)])
    for _ in xs:
        z = torch.tanh(S @ z + b)
    return z[n0:]


def _injected_after(S, b, xs):
    n0 = xs.shape[1]
    z = torch.zeros((S.shape[0], xs.shape[2]), dtype=S.dtype)
    for x in xs:
        z = torch.tanh(S @ z + b)
        z = torch.cat([x, z[n0:]])
    return z[n0:]


def _slot_mask(sizes, blocks):
    """A 0/1 mask with the given blocks (i, j) of the slots ``sizes`` full."""
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    mask = torch.zeros((sum(sizes), sum(sizes)), dtype=torch.get_default_dtype())
    for i, j in blocks:
        mask[starts[i] : starts[i] + sizes[i], starts[j] : starts[j] + sizes[j]] = 1.0
    return mask


def _random_slot_mask(seed, sizes):
    """Entries anywhere in the non-input rows (loops, skips and feedback), as notebook 07's random masks."""
    generator = torch.Generator().manual_seed(seed)
    mask = (torch.rand((sum(sizes), sum(sizes)), generator=generator) < 0.4).to(torch.get_default_dtype())
    mask[: sizes[0]] = 0.0
    return mask


def _cases_feedback():
    return [
        ("an Elman RNN [3, 4]", dict(Omega=_slot_mask([3, 4], [(1, 0), (1, 1)]), sizes=[3, 4])),
        ("an MLP [4, 6, 5, 3]", dict(Omega=_slot_mask([4, 6, 5, 3], [(1, 0), (2, 1), (3, 2)]), sizes=[4, 6, 5, 3])),
        ("a random mask [2, 3, 3, 2]", dict(Omega=_random_slot_mask(185, [2, 3, 3, 2]), sizes=[2, 3, 3, 2])),
        (
            "an RNN with a read-out and h←y feedback [3, 4, 2]",
            dict(Omega=_slot_mask([3, 4, 2], [(1, 0), (1, 1), (2, 1), (1, 2)]), sizes=[3, 4, 2]),
        ),
        ("slots of one unit [1, 1, 1]", dict(Omega=_random_slot_mask(186, [1, 1, 1]), sizes=[1, 1, 1])),
    ]


def _feedback_blocks(Omega, sizes, keep):
    """Ω's entries in the blocks (i, j) for which ``keep(i, j)``."""
    return Omega * _slot_mask(sizes, [(i, j) for i in range(len(sizes)) for j in range(len(sizes)) if keep(i, j)])


def _cases_images():
    generator = torch.Generator().manual_seed(187)
    digits = lambda m: torch.rand((m, 64), generator=generator, dtype=torch.float64).to(  # noqa: E731
        torch.get_default_dtype()
    )
    return [
        ("three random 8 x 8 images", dict(images=digits(3))),
        ("one image", dict(images=digits(1))),
        ("the image 0, 1, ..., 63 (pixel k holds k)", dict(images=torch.arange(64.0)[None, :])),
    ]


_08_MISTAKES_HIDDEN = (
    Mistake(
        "one iteration too few",
        "Each of the T steps x_1, ..., x_T is one iteration: loop over every x in xs.",
        change=lambda c: {**c, "xs": c["xs"][:-1]} if len(c["xs"]) > 1 else None,
    ),
    Mistake(
        "one iteration too many",
        "After x_T has been read, stop: T iterations for T steps.",
        change=lambda c: {**c, "xs": torch.cat([c["xs"], torch.zeros_like(c["xs"][:1])])},
    ),
    Mistake(
        "no injection",
        "x_1 alone went into the state: set the input slot to x_t before every iteration t.",
        instead=_not_injected,
    ),
    Mistake(
        "injected after the update",
        "Iteration t must read x_t: set the input slot first, then z ← σ(S z + b).",
        instead=_injected_after,
    ),
    replace(
        TRANSPOSED,
        explanation="You multiplied by Sᵀ. Entry [i, j] of S carries coordinate j into coordinate i: the update is S @ z.",
        instead=lambda S, b, xs: hidden_after(S.T, b, xs),
        transform=None,
    ),
    Mistake("the bias forgotten", "z ← σ(S z + b): add b before tanh.", instead=lambda S, b, xs: hidden_after(S, 0 * b, xs)),
)
_08_MISTAKES_FEEDBACK = (
    Mistake(
        "the mask not applied",
        "Return Ω's entries in those blocks, not the blocks themselves: multiply by Omega.",
        instead=lambda Omega, sizes: _feedback_blocks(torch.ones_like(Omega), sizes, lambda i, j: j >= i),
    ),
    Mistake(
        "the diagonal blocks only",
        "A slot that reads a later slot closes a loop too (h←y, for example): keep every block (i, j) with j >= i.",
        instead=lambda Omega, sizes: _feedback_blocks(Omega, sizes, lambda i, j: j == i),
    ),
    Mistake(
        "the matrix's diagonal, not the blocks'",
        "A slot is a block of rows and columns: h←h is the whole block of h's rows and h's columns, "
        "not only its entries [k, k].",
        instead=lambda Omega, sizes: Omega * torch.eye(Omega.shape[0], dtype=Omega.dtype),
    ),
    Mistake(
        "the feed-forward entries",
        "Those read an earlier slot (the blocks below the diagonal, an MLP's); a loop reads its own slot or a later one.",
        instead=lambda Omega, sizes: _feedback_blocks(Omega, sizes, lambda i, j: j < i),
    ),
)
_08_MISTAKES_WIDTH = (
    Mistake(
        "rounded",
        "Give the width unrounded (the notebook rounds it to a whole number of units).",
        instead=lambda hidden, pixels, classes: round(feedforward_width(hidden, pixels, classes)),
    ),
    Mistake(
        "the read-out forgotten",
        "Both maps have the read-out y←h: a unit of the wide map costs 8 + 10 entries.",
        instead=lambda hidden, pixels, classes: (pixels * hidden + hidden * hidden) / pixels,
    ),
    Mistake(
        "the h←h block not counted",
        "The RNN's budget includes its hidden² entries of h←h: the map without h←h spends them on width.",
        instead=lambda hidden, pixels, classes: float(hidden),
    ),
    Mistake(
        "the MLP's width",
        "That is the MLP of notebook 07, which reads all 64 pixels at once; the map without h←h reads 8 per step.",
        instead=lambda hidden, pixels, classes: feedforward_width(hidden, pixels, classes)
        * (pixels + classes)
        / (pixels * pixels + classes),
    ),
)
_08_MISTAKES_ROW = (
    Mistake(
        "the first row",
        "Each injection replaces the row before it, and without h←h nothing else remembers it: "
        "what is left after the last step is the last row, pixels 56 to 63.",
        instead=lambda images: images[:, :8],
    ),
    Mistake(
        "rows versus columns",
        "Pixel k sits in row k // 8 and column k % 8: images[:, 7::8] is the last column, not the last row.",
        instead=lambda images: images[:, 7::8],
    ),
)


# =========================================================================== the table
def _value(**parameters):
    """The one case of an exercise whose answer is a value: the task's parameters (tensors made when asked)."""
    return lambda: [("the task", {name: value() if callable(value) else value for name, value in parameters.items()})]


_tensor_answer, _number_answer = TensorAnswer(), NumberAnswer()
_function_of_tensor, _function_of_number = FunctionAnswer(TensorAnswer()), FunctionAnswer(NumberAnswer())
_function_of_integer = FunctionAnswer(NumberAnswer(tol=0.0))

# Exercise(id, title, solve, cases, kind of answer, mistakes, hint=...), in course order
EXERCISES = [
    # 01 the linear operator
    Exercise(
        "01.1",
        "write apply_S(Init, Omega, U, X) = (Init + Ω ⊙ U) X",
        apply_S,
        _cases_apply_S,
        _function_of_tensor,
        _01_MISTAKES_APPLY,
        hint="Ω ⊙ U is Omega * U (elementwise); the matrix product is @.",
    ),
    Exercise(
        "01.2",
        "derive S²X by hand for a 3 x 3 S and two examples",
        iterate_S,
        _value(S=lambda: _tensor([[0, 0, 1], [1, 0, 0], [0, 2, 0]]), X=lambda: _tensor([[1, 0], [0, 0], [0, 1]]), k=2),
        _tensor_answer,
        _01_MISTAKES_ITERATE,
        hint="Column j of S is where e_j goes. Follow each example (a column of X) through two applications.",
    ),
    Exercise(
        "01.3",
        "write iterate_S(S, X, k) = S^k X, k applications",
        iterate_S,
        _cases_iterate,
        _function_of_tensor,
        _01_MISTAKES_ITERATE,
        hint="Start from Z = X and apply Z = S @ Z k times (k = 0 gives X).",
    ),
    Exercise(
        "01.4",
        "write seed_loss(Y, Y_hat) = ||Y − Ŷ||_F",
        seed_loss,
        _cases_seed_loss,
        _function_of_number,
        _01_MISTAKES_LOSS,
        hint="torch.linalg.matrix_norm(A) is the Frobenius norm: sqrt of the sum of squares.",
    ),
    Exercise(
        "01.5",
        "write sgd_step(...): U after one SGD step of the seed's loss",
        sgd_step,
        _cases_sgd_step,
        _function_of_tensor,
        _01_MISTAKES_STEP,
        hint="Make a copy of U with requires_grad, compute the loss of k applications of Init + Omega * U, "
        "take torch.autograd.grad, return (U − lr · grad) detached.",
    ),
    # 02 the exact inverse
    Exercise(
        "02.1",
        "write exact_U(X, Y, Init) = (Y − Init X) X⁺",
        exact_U,
        _cases_exact_U,
        _function_of_tensor,
        _02_MISTAKES_EXACT,
        hint="torch.linalg.pinv(X) works for every shape of X; torch.linalg.inv only for square ones.",
    ),
    Exercise(
        "02.2",
        "derive the minimum-norm U for the seed's data (Init = 0)",
        exact_U,
        _value(X=lambda: _e(0), Y=lambda: 2 * _e(2), Init=lambda: torch.zeros(3, 3)),
        _tensor_answer,
        _02_MISTAKES_MINIMUM,
        hint="U e₁ = 2e₃ pins down one column of U; the smallest U is zero elsewhere.",
    ),
    Exercise(
        "02.3",
        "derive ||U − U_min||_F from ||U||_F = 3 and ||U_min||_F = 2",
        norm_to_minimum,
        _value(norm_U=3.0, norm_min=2.0),
        _number_answer,
        _02_MISTAKES_PYTHAGORAS,
        hint="||U||² = ||U_min||² + ||U − U_min||² (Pythagoras).",
    ),
    Exercise(
        "02.4",
        "write masked_exact_U(X, Y, Omega): row by row over the free entries",
        masked_exact_U,
        _cases_masked,
        _function_of_tensor,
        _02_MISTAKES_MASKED,
        hint="For each row i: free = Omega[i].bool(); U[i, free] = Y[i] @ torch.linalg.pinv(X[free]).",
    ),
    # 03 depth and the saddle
    Exercise(
        "03.1",
        "derive the gradient at U = 0 for one iteration, X = e₂, Y = −3e₁",
        gradient_at_zero,
        _value(X=lambda: _e(1), Y=lambda: -3 * _e(0), k=1),
        _tensor_answer,
        _03_MISTAKES_GRADIENT,
        hint="∇_U ||Y − UX||_F = −(Y − UX) Xᵀ / ||Y − UX||_F; at U = 0 that is −Y Xᵀ / ||Y||.",
    ),
    Exercise(
        "03.2",
        "write hessian_eigenvalues(X, Y, k) at U = 0, ascending",
        hessian_eigenvalues,
        _cases_hessian,
        _function_of_tensor,
        _03_MISTAKES_HESSIAN,
        hint="torch.autograd.functional.hessian of the loss as a function of the n² entries "
        "(u.reshape(n, n)), at zeros; then torch.linalg.eigvalsh.",
    ),
    Exercise(
        "03.3",
        "predict the epochs per tenfold smaller noise: ln 10 / ln(1 + η λ)",
        epochs_per_decade,
        _value(lr=0.01, eigenvalue=math.sqrt(2)),
        NumberAnswer(tol=3e-3),
        _03_MISTAKES_DECADE,
        hint="The escaping component grows by the factor 1 + η√2 per epoch (−√2 is the Hessian's most negative "
        "eigenvalue): after how many epochs t is (1 + η√2)^t = 10?",
    ),
    Exercise(
        "03.4",
        "write plateau_epochs(losses): the first epoch with loss <= 0.9 × the start",
        plateau_epochs,
        _cases_plateau,
        _function_of_integer,
        _03_MISTAKES_PLATEAU,
        hint="Loop with enumerate(losses); return the first epoch whose loss <= 0.9 * losses[0], None if there is none.",
    ),
    # 04 exact solutions of the iterated map
    Exercise(
        "04.1",
        "write lifted_S(X, Y, H): S [X H] = [H Y] by the pseudo-inverse",
        lifted_S,
        _cases_lift,
        _function_of_tensor,
        _04_MISTAKES_LIFT,
        hint="torch.cat([X, H], dim=1) puts the examples side by side; S = [H Y] [X H]⁺.",
    ),
    Exercise(
        "04.2",
        "write three_step(a, b): S with S³e₁ = 2e₃ through e₂, waiting at e₃",
        three_step,
        _cases_three_step,
        _function_of_tensor,
        _04_MISTAKES_THREE,
        hint="S e₁ = a e₂, S e₂ = b e₃, S e₃ = c e₃: then S³ e₁ = a·b·c e₃.",
    ),
    Exercise(
        "04.3",
        "count the three-step routes e₁ → e₃ of the lower-triangular mask",
        count_routes,
        _value(Omega=lambda: torch.tril(torch.ones(3, 3)), k=3),
        NumberAnswer(tol=0.0),
        _04_MISTAKES_ROUTES,
        hint="A route is e₁ → e_i → e_j → e₃ with every step allowed by Ω; (Ω³)₃₁ (Ω³[2, 0] in code) counts them.",
    ),
    Exercise(
        "04.4",
        "derive where gradient flow ends from a = 0.3, b = 0.1 (a² − b² conserved)",
        balanced_end,
        _value(a0=0.3, b0=0.1),
        NumberAnswer(tol=1e-3),
        _04_MISTAKES_BALANCED,
        hint="At the end a·b = 2 and a² − b² = 0.3² − 0.1²: solve a² − 4/a² = 0.08 for a > 0.",
    ),
    # 05 nonlinear activations
    Exercise(
        "05.1",
        "write activate_row(Z, row, f): f on one row, a new tensor",
        activate_row,
        _cases_activate_row,
        _function_of_tensor,
        _05_MISTAKES_ROW,
        hint="out = Z.clone(); out[row] = f(Z[row]); return out. Never write into Z itself.",
    ),
    Exercise(
        "05.2",
        "derive S[2, 1] of the cube chain for a = 0.5",
        cube_weight,
        _value(a=0.5),
        _number_answer,
        _05_MISTAKES_CUBE,
        hint="σ(S X) = a³ e₂ (the cube acts on the e₂ row); then S₃₂ · a³ must be 2 (S₃₂ is S[2, 1] in code).",
    ),
    Exercise(
        "05.3",
        "write tanh_chain(a): the exact chain with tanh on row 1",
        tanh_chain,
        _cases_tanh_chain,
        _function_of_tensor,
        _05_MISTAKES_TANH,
        hint="S e₁ = a e₂ gives the hidden value tanh(a); then S₃₂ · tanh(a) = 2 (S₃₂ is S[2, 1] in code).",
    ),
    Exercise(
        "05.4",
        "write run_injected(S, X, k): k steps with the data injected and the cube on row 1",
        run_injected,
        _cases_injected,
        _function_of_tensor,
        _05_MISTAKES_INJECTED,
        hint="Each step: Z = S @ Z, then build torch.cat([X[:1], Z[1:2] ** 3, Z[2:]]).",
    ),
    # 06 interim losses and fixed points
    Exercise(
        "06.1",
        "write interim_loss(S, X, Y, k, w)",
        interim_loss,
        _cases_interim,
        _function_of_number,
        _06_MISTAKES_INTERIM,
        hint="Accumulate ||Y − Z_j||_F for j = 1..k inside the loop; add the final term after it.",
    ),
    Exercise(
        "06.2",
        "derive the loss at S = 0 for k = 3, w = 0.5 on the seed's data",
        interim_loss,
        _value(S=lambda: torch.zeros(3, 3), X=lambda: _e(0), Y=lambda: 2 * _e(2), k=3, w=0.5),
        _number_answer,
        _06_MISTAKES_INTERIM,
        hint="At S = 0 every Z_j = 0, so every term is ||Y||_F = 2.",
    ),
    Exercise(
        "06.3",
        "derive the minimum-norm S with S X = Y and S Y = Y for the seed's data",
        lifted_S,
        _value(X=lambda: _e(0), Y=lambda: 2 * _e(2), H=lambda: 2 * _e(2)),
        _tensor_answer,
        _06_MISTAKES_FIXED,
        hint="S e₁ = 2e₃ and S(2e₃) = 2e₃; every other entry 0.",
    ),
    Exercise(
        "06.4",
        "write distances_to_Y(S, X, Y, k) = [||Y − Z_j||_F for j = 0..k]",
        distances_to_Y,
        _cases_distances,
        _function_of_tensor,
        _06_MISTAKES_DISTANCES,
        hint="Start the list with ||Y − X|| (j = 0), append one norm per application; torch.stack or torch.tensor it.",
    ),
    # 07 an MLP is an iterated sparse matrix
    Exercise(
        "07.1",
        "write mask_of_mlp(sizes): ones on the blocks just below the diagonal",
        mask_of_mlp,
        _cases_sizes,
        _function_of_tensor,
        _07_MISTAKES_MASK,
        hint="Slot l starts at sum(sizes[:l]); layer l fills rows of slot l, columns of slot l − 1.",
    ),
    Exercise(
        "07.2",
        "write budget(sizes): the number of trainable entries of the MLP mask",
        budget,
        _cases_sizes,
        _function_of_integer,
        _07_MISTAKES_BUDGET,
        hint="Layer l has a weight of n_(l-1) · n_l entries; add them up.",
    ),
    Exercise(
        "07.3",
        "derive the density of a random mask with the MLP mask's budget, sizes (64, 16, 16, 10)",
        equal_budget_density,
        _value(sizes=[64, 16, 16, 10]),
        _number_answer,
        _07_MISTAKES_DENSITY,
        hint="density = entries / n², with n = 64 + 16 + 16 + 10.",
    ),
    Exercise(
        "07.4",
        "write S_from_model(model): the dense S of an nn.Sequential MLP",
        S_from_model,
        _cases_models,
        _function_of_tensor,
        _07_MISTAKES_MODEL,
        hint="Identity in the input block; model's Linear layers' weights in the blocks just below the diagonal.",
    ),
    # 08 the same matrix is a recurrent network
    Exercise(
        "08.1",
        "write hidden_after(S, b, xs): T iterations with x_t injected, the hidden slot",
        hidden_after,
        _cases_hidden,
        _function_of_tensor,
        _08_MISTAKES_HIDDEN,
        hint="Start from zeros (n, m); for each x in xs: z = torch.cat([x, z[n0:]]), then z = torch.tanh(S @ z + b).",
    ),
    Exercise(
        "08.2",
        "write feedback_entries(Omega, sizes): the entries that read their own slot or a later one",
        feedback_entries,
        _cases_feedback,
        _function_of_tensor,
        _08_MISTAKES_FEEDBACK,
        hint="Slot i starts at sum(sizes[:i]); keep Ω in every block (i, j) with j >= i (the diagonal blocks and above).",
    ),
    Exercise(
        "08.3",
        "derive the width of the map without h←h with the RNN's budget, 32 hidden units",
        feedforward_width,
        _value(hidden=32, pixels=8, classes=10),
        NumberAnswer(tol=1e-3),
        _08_MISTAKES_WIDTH,
        hint="The RNN mask has 8·32 + 32·32 + 32·10 entries; a unit of the map without h←h has 8 + 10.",
    ),
    Exercise(
        "08.4",
        "write last_row(images): the pixels that the map without h←h answers from",
        last_row,
        _cases_images,
        _function_of_tensor,
        _08_MISTAKES_ROW,
        hint="Row t (t = 1..8) of a digit is images[:, 8(t−1):8t]; which row was injected last?",
    ),
]
