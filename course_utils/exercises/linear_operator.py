"""Exercises of notebook 01, the linear operator: one block per exercise, in course order.

A block holds the reference (plain torch, written the way a learner would
write it), the hidden cases, the hint, and the mistakes, each with an example
answer that makes it; ``EXERCISES.append`` registers it.
"""

from __future__ import annotations

import torch

from .checking import (
    Exercise,
    FunctionAnswer,
    Mistake,
    NumberAnswer,
    TensorAnswer,
    fewer,
    given,
    more,
    rows_versus_columns,
    sign_flipped,
    squared,
    transposed,
    without_mask,
)
from .common import norm, randn, random_mask, seed_data, tensor

EXERCISES: list[Exercise] = []
mpow = torch.linalg.matrix_power


# --------------------------------------------------------------------------- 01.1 apply the operator
def apply_S(Init, Omega, U, X):
    return (Init + Omega * U) @ X


def _cases_apply_S():
    X, _ = seed_data()
    return [
        ("the seed's data", dict(Init=0.1 * randn(1, 3, 3).abs(), Omega=torch.ones(3, 3), U=randn(2, 3, 3), X=X)),
        (
            "a mask with zeros, two examples",
            dict(Init=randn(3, 3, 3, scale=0.1), Omega=random_mask(4, 3), U=randn(5, 3, 3), X=randn(6, 3, 2)),
        ),
        (
            "n = 4, five examples",
            dict(Init=randn(7, 4, 4, scale=0.1), Omega=torch.tril(torch.ones(4, 4)), U=randn(8, 4, 4), X=randn(9, 4, 5)),
        ),
        ("n = 1", dict(Init=tensor([[0.5]]), Omega=tensor([[1.0]]), U=tensor([[2.0]]), X=tensor([[3.0, -1.0]]))),
        ("Ω = 0, so S = Init", dict(Init=randn(10, 3, 3), Omega=torch.zeros(3, 3), U=randn(11, 3, 3), X=randn(12, 3, 2))),
    ]


EXERCISES.append(
    Exercise(
        id="01.1",
        task="write apply_S(Init, Omega, U, X) = (Init + Ω ⊙ U) X",
        reference=apply_S,
        cases=_cases_apply_S,
        answer=FunctionAnswer(TensorAnswer()),
        gradients=("U",),
        hint="Ω ⊙ U is Omega * U (elementwise); the matrix product is @.",
        mistakes=(
            without_mask(example=lambda Init, Omega, U, X: (Init + U) @ X),
            transposed(
                example=lambda Init, Omega, U, X: (Init + Omega * U).T @ X,
                explanation="You applied Sᵀ: entry [i, j] of S carries coordinate j into coordinate i, so the "
                "product is S @ X.",
                instead=lambda Init, Omega, U, X: (Init + Omega * U).T @ X,
            ),
            Mistake(
                "the mask applied to Init too",
                "Ω only selects the trainable entries of U: S = Init + Ω ⊙ U, not Ω ⊙ (Init + U).",
                example=lambda Init, Omega, U, X: (Omega * (Init + U)) @ X,
                instead=lambda Init, Omega, U, X: (Omega * (Init + U)) @ X,
            ),
            rows_versus_columns(example=lambda Init, Omega, U, X: X.T @ (Init + Omega * U).T),
        ),
    )
)


# --------------------------------------------------------------------------- 01.2 two applications by hand
def iterate_S(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ Z
    return Z


EXERCISES.append(
    Exercise(
        id="01.2",
        task="derive S²X by hand for a 3 x 3 S and two examples",
        reference=iterate_S,
        cases=given(
            S=lambda: tensor([[0, 0, 1], [1, 0, 0], [0, 2, 0]]), X=lambda: tensor([[1, 0], [0, 0], [0, 1]]), k=2
        ),
        answer=TensorAnswer(),
        hint="Column j of S is where e_j goes. Follow each example (a column of X) through two applications.",
        mistakes=(
            fewer(
                example=tensor([[0, 1], [1, 0], [0, 0]]),
                explanation="That is S X, one application; S² X applies S twice: follow each column two steps.",
            ),
            more(
                example=tensor([[2, 0], [0, 0], [0, 2]]),
                explanation="That is S³ X, three applications; S² X applies S twice: follow each column two steps.",
            ),
            transposed(
                example=tensor([[0, 2], [2, 0], [0, 0]]),
                explanation="That is (Sᵀ)² X: column j of S is where e_j goes, so S e₁ = e₂, not e₃.",
                instead=lambda S, X, k: mpow(S.T, k) @ X,
            ),
            rows_versus_columns(example=tensor([[0, 0, 2], [0, 1, 0]])),
        ),
    )
)


# --------------------------------------------------------------------------- 01.3 k applications
def _cases_iterate():
    X, _ = seed_data()
    return [
        ("k = 2 on the seed's X", dict(S=randn(20, 3, 3), X=X, k=2)),
        ("k = 1", dict(S=randn(21, 3, 3), X=randn(22, 3, 2), k=1)),
        ("k = 0: no application, X itself", dict(S=randn(23, 3, 3), X=randn(24, 3, 2), k=0)),
        ("n = 4, three examples, k = 5", dict(S=randn(25, 4, 4, scale=0.5), X=randn(26, 4, 3), k=5)),
        ("n = 1", dict(S=tensor([[-2.0]]), X=tensor([[1.0, 3.0]]), k=3)),
    ]


EXERCISES.append(
    Exercise(
        id="01.3",
        task="write iterate_S(S, X, k) = S^k X, k applications",
        reference=iterate_S,
        cases=_cases_iterate,
        answer=FunctionAnswer(TensorAnswer()),
        gradients=("S",),
        hint="Start from Z = X and apply Z = S @ Z k times (k = 0 gives X).",
        mistakes=(
            fewer(example=lambda S, X, k: mpow(S, max(k - 1, 0)) @ X),
            more(example=lambda S, X, k: mpow(S, k + 1) @ X),
            transposed(
                example=lambda S, X, k: mpow(S.T, k) @ X,
                explanation="You applied Sᵀ: each application is S @ Z, with Z on the right.",
                instead=lambda S, X, k: mpow(S.T, k) @ X,
            ),
            rows_versus_columns(example=lambda S, X, k: X.T @ mpow(S.T, k)),
        ),
    )
)


# --------------------------------------------------------------------------- 01.4 the seed's loss
def seed_loss(Y, Y_hat, *, squared=False):
    return norm(Y - Y_hat, squared)


def _cases_seed_loss():
    _, Y = seed_data()
    return [
        ("the seed's Y", dict(Y=Y, Y_hat=randn(30, 3, 1, scale=0.5))),
        ("two examples", dict(Y=randn(31, 3, 2), Y_hat=randn(32, 3, 2))),
        ("n = 4, three examples", dict(Y=randn(33, 4, 3), Y_hat=randn(34, 4, 3))),
        ("a perfect prediction", dict(Y=randn(35, 3, 2), Y_hat=randn(35, 3, 2))),
        ("1 x 1", dict(Y=tensor([[1.0]]), Y_hat=tensor([[-2.0]]))),
    ]


EXERCISES.append(
    Exercise(
        id="01.4",
        task="write seed_loss(Y, Y_hat) = ||Y − Ŷ||_F, a tensor autograd can follow",
        reference=seed_loss,
        cases=_cases_seed_loss,
        answer=FunctionAnswer(NumberAnswer()),
        gradients=("Y_hat",),
        hint="torch.linalg.matrix_norm(A) is the Frobenius norm: sqrt of the sum of squares.",
        mistakes=(
            squared(example=lambda Y, Y_hat: ((Y - Y_hat) ** 2).sum()),
            Mistake(
                "mean squared error",
                "The seed's loss is the Frobenius norm, sqrt of the sum of squares, not their mean.",
                example=lambda Y, Y_hat: torch.mean((Y - Y_hat) ** 2),
                instead=lambda Y, Y_hat: ((Y - Y_hat) ** 2).mean(),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 01.5 one SGD step
def sgd_step(Init, Omega, U, X, Y, lr, k, *, squared=False):
    U = U.detach().clone().requires_grad_(True)
    Z = X
    for _ in range(k):
        Z = (Init + Omega * U) @ Z
    loss = norm(Y - Z, squared)
    (grad,) = torch.autograd.grad(loss, U)
    return (U - lr * grad).detach()


def _cases_sgd_step():
    X, Y = seed_data()

    def case(Init, Omega, U, X, Y, lr, k):
        return dict(Init=Init, Omega=Omega, U=U, X=X, Y=Y, lr=lr, k=k)

    return [
        ("the seed's first step: k = 2, U = 0",
         case(0.1 * randn(40, 3, 3).abs(), torch.ones(3, 3), torch.zeros(3, 3), X, Y, lr=0.01, k=2)),
        ("k = 1, a lower-triangular mask",
         case(randn(41, 3, 3, scale=0.1), torch.tril(torch.ones(3, 3)), randn(42, 3, 3),
              randn(43, 3, 2), randn(44, 3, 2), lr=0.1, k=1)),
        ("k = 3, n = 4, two examples, a random mask",
         case(randn(45, 4, 4, scale=0.1), random_mask(46, 4), randn(47, 4, 4, scale=0.5),
              randn(48, 4, 2), randn(49, 4, 2), lr=0.05, k=3)),
        ("a mask with an empty row",
         case(randn(50, 3, 3, scale=0.1), tensor([[1, 1, 0], [0, 0, 0], [1, 0, 1]]), randn(51, 3, 3),
              randn(52, 3, 1), randn(53, 3, 1), lr=0.2, k=2)),
    ]


def _learner_step(Init, Omega, U, X, Y, lr, k, masked=True, sign=-1, power=1, extra=0):
    """A learner's step with one thing changed (the mistakes' examples)."""
    U = U.clone().requires_grad_(True)
    Z = X
    for _ in range(k + extra):
        Z = (Init + (Omega * U if masked else U)) @ Z
    loss = torch.linalg.matrix_norm(Y - Z) ** power
    loss.backward()
    return (U + sign * lr * U.grad).detach()


EXERCISES.append(
    Exercise(
        id="01.5",
        task="write sgd_step(...): U after one SGD step of the seed's loss",
        reference=sgd_step,
        cases=_cases_sgd_step,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Make a copy of U with requires_grad, compute the loss of k applications of Init + Omega * U, "
        "take torch.autograd.grad, return (U − lr · grad) detached.",
        mistakes=(
            without_mask(example=lambda *a: _learner_step(*a, masked=False)),
            sign_flipped(
                example=lambda *a: _learner_step(*a, sign=+1),
                explanation="You stepped up the gradient: SGD does U ← U − lr · ∂L/∂U.",
                change=lambda c: {**c, "lr": -c["lr"]},
            ),
            squared(example=lambda *a: _learner_step(*a, power=2)),
            fewer(
                example=lambda *a: _learner_step(*a, extra=-1),
                minimum=1,
                explanation="The loss is taken after k applications of S: loop k times.",
            ),
            more(
                example=lambda *a: _learner_step(*a, extra=+1),
                explanation="The loss is taken after k applications of S: loop k times.",
            ),
        ),
    )
)
