"""Exercises of notebook 03, depth and the saddle: one block per exercise, in course order.
(The block's parts: linear_operator.py's docstring and README's "Adding an exercise".)
"""

from __future__ import annotations

import math

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
    sign_flipped,
    squared,
    transposed,
)
from .common import e, norm, randn, seed_data, tensor

EXERCISES: list[Exercise] = []


# --------------------------------------------------------------------------- 03.1 a gradient by hand
def gradient_at_zero(X, Y, k, *, squared=False):
    U = torch.zeros((X.shape[0], X.shape[0]), dtype=X.dtype, requires_grad=True)
    loss = norm(Y - torch.linalg.matrix_power(U, k) @ X, squared)
    (grad,) = torch.autograd.grad(loss, U)
    return grad


EXERCISES.append(
    Exercise(
        id="03.1",
        task="derive the gradient at U = 0 for one iteration, X = e₂, Y = −3e₁",
        reference=gradient_at_zero,
        cases=given(X=lambda: e(1), Y=lambda: -3 * e(0), k=1),
        answer=TensorAnswer(),
        hint="∇_U ||Y − UX||_F = −(Y − UX) Xᵀ / ||Y − UX||_F; at U = 0 that is −Y Xᵀ / ||Y||.",
        mistakes=(
            transposed(
                example=tensor([[0, 0, 0], [1, 0, 0], [0, 0, 0]]),
                explanation="The gradient −(Y − UX) Xᵀ / ||Y − UX||_F has Y's column on the left and Xᵀ on the "
                "right: its entry is in row e₁ (from Y = −3e₁) and column e₂ (from X = e₂), answer[0, 1] in code.",
            ),
            sign_flipped(
                example=tensor([[0, -1, 0], [0, 0, 0], [0, 0, 0]]),
                explanation="That is −∇L, the direction in which the loss falls (it sends e₂ towards Y = −3e₁); "
                "the gradient points uphill, the opposite way: −(Y − UX) Xᵀ / ||Y − UX||_F.",
            ),
            squared(
                example=tensor([[0, 6, 0], [0, 0, 0], [0, 0, 0]]),
                explanation="That is the gradient of ||Y − UX||², −2 (Y − UX) Xᵀ; the course's loss is the norm "
                "itself, whose gradient is −(Y − UX) Xᵀ / ||Y − UX||.",
            ),
            Mistake(
                "not divided by the norm",
                "That is −Y Xᵀ = 3 e₁e₂ᵀ, the gradient of ½||Y − UX||² at U = 0. The loss is the norm itself, not "
                "its square: its gradient divides by the norm, −(Y − UX) Xᵀ / ||Y − UX||_F, and here "
                "||Y − UX||_F = ||Y||_F = 3.",
                example=tensor([[0, 3, 0], [0, 0, 0], [0, 0, 0]]),
                instead=lambda X, Y, k: -Y @ X.T,  # at U = 0, without the division by ||Y||
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 03.2 the Hessian's eigenvalues
def hessian_eigenvalues(X, Y, k, *, squared=False):
    n = X.shape[0]

    def loss(u):  # the loss as a function of the n² entries of U, Init = 0
        return norm(Y - torch.linalg.matrix_power(u.reshape(n, n), k) @ X, squared)

    H = torch.autograd.functional.hessian(loss, torch.zeros(n * n, dtype=X.dtype))
    return torch.linalg.eigvalsh(H)


def _cases_hessian():
    X, Y = seed_data()
    return [
        ("the seed's data, k = 2", dict(X=X, Y=Y, k=2)),
        ("k = 1", dict(X=X, Y=Y, k=1)),
        ("k = 3", dict(X=X, Y=Y, k=3)),
        ("n = 2, X = e₁, Y = e₁ + 2e₂, k = 2", dict(X=e(0, 2), Y=tensor([[1.0], [2.0]]), k=2)),
        ("two examples, k = 2", dict(X=randn(80, 3, 2), Y=randn(81, 3, 2), k=2)),
    ]


def _learner_hessian(X, Y, k, power=1, descending=False):
    """A learner's Hessian eigenvalues with one thing changed (the mistakes' examples)."""
    n = X.shape[0]
    H = torch.autograd.functional.hessian(
        lambda u: torch.linalg.matrix_norm(Y - torch.linalg.matrix_power(u.reshape(n, n), k) @ X) ** power,
        torch.zeros(n * n, dtype=X.dtype),
    )
    values = torch.linalg.eigvalsh(H)
    return values.flip(0) if descending else values


def _sorted_version(answer, expected, case):
    """The right values in another order."""
    return (
        answer.ndim == 1
        and answer.shape == expected.shape
        and bool(torch.allclose(torch.sort(answer).values, expected, atol=1e-4))
    )


EXERCISES.append(
    Exercise(
        id="03.2",
        task="write hessian_eigenvalues(X, Y, k) at U = 0, ascending",
        reference=hessian_eigenvalues,
        cases=_cases_hessian,
        answer=FunctionAnswer(TensorAnswer()),
        hint="torch.autograd.functional.hessian of the loss as a function of the n² entries "
        "(u.reshape(n, n)), at zeros; then torch.linalg.eigvalsh.",
        mistakes=(
            squared(example=lambda X, Y, k: _learner_hessian(X, Y, k, power=2)),
            fewer(
                example=lambda X, Y, k: _learner_hessian(X, Y, k - 1),
                minimum=1,
                explanation="Your eigenvalues are those of k − 1 applications; the loss applies U k times, "
                "||Y − U^k X||_F: torch.linalg.matrix_power(u.reshape(n, n), k).",
            ),
            more(
                example=lambda X, Y, k: _learner_hessian(X, Y, k + 1),
                explanation="Your eigenvalues are those of k + 1 applications; the loss applies U k times, "
                "||Y − U^k X||_F: torch.linalg.matrix_power(u.reshape(n, n), k).",
            ),
            Mistake(
                "not sorted",
                "The values are right but not in ascending order: torch.linalg.eigvalsh sorts them, eig/eigvals do not.",
                example=lambda X, Y, k: _learner_hessian(X, Y, k, descending=True),
                test=_sorted_version,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 03.3 the epochs per decade
def epochs_per_decade(lr, eigenvalue):
    # near the saddle the escaping component grows by the factor 1 + lr·|λ| per epoch (λ = −√2)
    return math.log(10) / math.log(1 + lr * eigenvalue)


_h = 0.01 * math.sqrt(2)  # η√2 of the task, in the examples

EXERCISES.append(
    Exercise(
        id="03.3",
        task="predict the epochs per tenfold smaller noise: ln 10 / ln(1 + η√2), to 3 significant digits",
        reference=epochs_per_decade,
        cases=given(lr=0.01, eigenvalue=math.sqrt(2)),
        answer=NumberAnswer(digits=3),
        hint="The escaping component grows by the factor 1 + η√2 per epoch (−√2 is the Hessian's most negative "
        "eigenvalue): after how many epochs t is (1 + η√2)^t = 10?",
        mistakes=(
            Mistake(
                "the wrong eigenvalue",
                "That is ln 10 / ln(1 + η), the growth along an eigenvector of eigenvalue −1 (the pair ±1 that "
                "couples U₂₁ and U₃₂). The plateau ends with the fastest escape: along the eigenvector of the most "
                "negative eigenvalue, −√2, whose component grows by 1 − ηλ = 1 + η√2 per epoch.",
                example=math.log(10) / math.log(1.01),
                change=lambda c: {**c, "eigenvalue": 1.0},
            ),
            Mistake(
                "the eigenvalue squared",
                "That is ln 10 / ln(1 + 2η): you used λ² = 2. The growth factor per epoch is 1 − ηλ = 1 + η√2, "
                "with λ = −√2 itself.",
                example=math.log(10) / math.log(1.02),
                change=lambda c: {**c, "eigenvalue": c["eigenvalue"] ** 2},
            ),
            sign_flipped(
                example=math.log(10) / math.log(1 - _h),
                explanation="You used the factor 1 − η√2, below 1: a component that shrinks never escapes. A "
                "gradient step multiplies the component by 1 − ηλ, and with λ = −√2 that is 1 + η√2.",
                change=lambda c: {**c, "eigenvalue": -c["eigenvalue"]},
            ),
            Mistake(
                "linearised",
                "ln(1 + η√2) ≈ η√2 is close, but the growth per epoch is exactly the factor 1 + η√2: "
                "use ln(1 + η√2).",
                example=math.log(10) / _h,
                instead=lambda lr, eigenvalue: math.log(10) / (lr * eigenvalue),
            ),
            Mistake(
                "mixed logarithms",
                "That is ln 10 / log₁₀(1 + η√2): a natural logarithm over a base-10 one. A decade is a factor 10: "
                "ln 10 / ln(1 + η√2), both logarithms natural (or both base 10).",
                example=math.log(10) / math.log10(1 + _h),
                instead=lambda lr, eigenvalue: math.log(10) / math.log10(1 + lr * eigenvalue),
            ),
            Mistake(
                "a factor e, not 10",
                "That is 1 / ln(1 + η√2), the epochs for a factor e (or log₁₀ 10 = 1 over a natural logarithm). "
                "A decade is a factor 10: ln 10 / ln(1 + η√2), both logarithms in one base.",
                example=1 / math.log(1 + _h),
                instead=lambda lr, eigenvalue: 1 / math.log(1 + lr * eigenvalue),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 03.4 measure a plateau
def plateau_epochs(losses):
    for epoch, loss in enumerate(losses):
        if loss <= 0.9 * losses[0]:
            return epoch
    return None


def _cases_plateau():
    return [
        ("a plateau, then a drop", dict(losses=[2.0, 1.99, 1.98, 1.9, 1.5, 0.5])),
        ("a drop at epoch 1", dict(losses=[1.0, 0.5, 0.2])),
        ("exactly 90 % of the start", dict(losses=[1.0, 0.95, 0.9, 0.9, 0.5])),
        ("a rise before the drop", dict(losses=[1.0, 1.2, 0.85])),
        ("never below 90 %: None", dict(losses=[2.0, 1.95, 1.9])),
        ("a single epoch: None", dict(losses=[1.0])),
    ]


def _learner_plateau(losses, one_based=False, strict=False):
    """A learner's plateau count with one thing changed (the mistakes' examples)."""
    for i, loss in enumerate(losses):
        if (loss < 0.9 * losses[0]) if strict else (loss <= 0.9 * losses[0]):
            return i + 1 if one_based else i
    return None


EXERCISES.append(
    Exercise(
        id="03.4",
        task="write plateau_epochs(losses): the first epoch with loss <= 0.9 × the start",
        reference=plateau_epochs,
        cases=_cases_plateau,
        answer=FunctionAnswer(NumberAnswer(tol=0)),
        hint="Loop with enumerate(losses); return the first epoch whose loss <= 0.9 * losses[0], None if there is none.",
        mistakes=(
            Mistake(
                "1-based index",
                "Epochs count from 0: losses[0] is epoch 0, so the epoch is the list index itself.",
                example=lambda losses: _learner_plateau(losses, one_based=True),
                transform=lambda epoch: None if epoch is None else epoch + 1,
            ),
            Mistake(
                "strict inequality",
                "A loss of exactly 0.9 × the start counts: use <=.",
                example=lambda losses: _learner_plateau(losses, strict=True),
                instead=lambda losses: next((i for i, v in enumerate(losses) if v < 0.9 * losses[0]), None),
            ),
        ),
    )
)
