"""Exercises of notebook 02, the exact inverse: one block per exercise, in course order.
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
    given,
    squared,
    transposed,
)
from .common import e, randn, random_mask, seed_data, tensor

EXERCISES: list[Exercise] = []
pinv = torch.linalg.pinv


# --------------------------------------------------------------------------- 02.1 the exact U
def exact_U(X, Y, Init):
    return (Y - Init @ X) @ torch.linalg.pinv(X)


def _cases_exact_U():
    X, Y = seed_data()
    Init = randn(60, 3, 3, scale=0.1)
    return [
        ("square, invertible X", dict(X=randn(61, 3, 3), Y=randn(62, 3, 3), Init=Init)),
        ("the seed's data: one example", dict(X=X, Y=Y, Init=Init)),
        ("more examples than dimensions: least squares", dict(X=randn(63, 3, 6), Y=randn(64, 3, 6), Init=Init)),
        ("n = 4, two examples", dict(X=randn(65, 4, 2), Y=randn(66, 4, 2), Init=randn(67, 4, 4))),
        ("Y = Init X: U = 0", dict(X=randn(68, 3, 2), Y=Init @ randn(68, 3, 2), Init=Init)),
    ]


EXERCISES.append(
    Exercise(
        id="02.1",
        task="write exact_U(X, Y, Init) = (Y − Init X) X⁺",
        reference=exact_U,
        cases=_cases_exact_U,
        answer=FunctionAnswer(TensorAnswer()),
        hint="torch.linalg.pinv(X) works for every shape of X; torch.linalg.inv only for square ones.",
        mistakes=(
            Mistake(
                "Init not subtracted",
                "Your U is Y X⁺, as if Init were 0. One application asks U X = R with R = Y − Init X: subtract "
                "Init X first.",
                example=lambda X, Y, Init: Y @ pinv(X),
                change=lambda c: {**c, "Init": torch.zeros_like(c["Init"])},
            ),
            Mistake(
                "multiplied on the wrong side",
                "You computed X⁺ R. U X = R is solved by U = R X⁺: the pseudo-inverse goes on the right.",
                example=lambda X, Y, Init: pinv(X) @ (Y - Init @ X),
                instead=lambda X, Y, Init: torch.linalg.pinv(X) @ (Y - Init @ X),
            ),
            transposed(
                example=lambda X, Y, Init: ((Y - Init @ X) @ pinv(X)).T,
                explanation="Your U is the transpose of R X⁺. U X = R is solved by U = R X⁺ itself: entry [i, j] "
                "of U carries coordinate j of X into coordinate i of U X.",
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 02.2 the smallest member
def _solves_but_larger(answer, expected, case):
    """A member of the family (U X = Y) that is not the minimum-norm one."""
    X, Y = case["X"].double(), case["Y"].double()
    return answer.shape == expected.shape and bool(torch.allclose(answer @ X, Y, atol=1e-4))


EXERCISES.append(
    Exercise(
        id="02.2",
        task="derive the minimum-norm U for the seed's data (Init = 0)",
        reference=exact_U,
        cases=given(X=lambda: e(0), Y=lambda: 2 * e(2), Init=lambda: torch.zeros(3, 3)),
        answer=TensorAnswer(),
        hint="U e₁ = 2e₃ pins down one column of U; the smallest U is zero elsewhere.",
        mistakes=(
            transposed(
                example=tensor([[0, 0, 2], [0, 0, 0], [0, 0, 0]]),
                explanation="Your U sends e₃ to 2e₁. U e₁ = 2e₃ fixes the first column of U (U[:, 0] in code): "
                "its entry in row e₃, U[2, 0].",
            ),
            Mistake(
                "not the minimum-norm member",
                "Your U solves U X = Y, but it is not the member of smallest norm: "
                "the columns that X does not pin down should be 0.",
                example=tensor([[0, 1, 0], [0, 0, 0], [2, 0, 3]]),
                test=_solves_but_larger,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 02.3 Pythagoras
def norm_to_minimum(norm_U, norm_min, *, squared=False):
    gap_squared = norm_U**2 - norm_min**2  # Pythagoras: ||U||² = ||U_min||² + ||U − U_min||²
    return gap_squared if squared else math.sqrt(gap_squared)


EXERCISES.append(
    Exercise(
        id="02.3",
        task="derive ||U − U_min||_F from ||U||_F = 3 and ||U_min||_F = 2",
        reference=norm_to_minimum,
        cases=given(norm_U=3.0, norm_min=2.0),
        answer=NumberAnswer(digits=3),
        hint="||U||² = ||U_min||² + ||U − U_min||² (Pythagoras).",
        mistakes=(
            squared(
                example=5.0,
                explanation="That is ||U − U_min||² = 3² − 2², the square of the distance: take the square root.",
            ),
            Mistake(
                "norms subtracted",
                "That is ||U|| − ||U_min|| = 3 − 2. Norms do not subtract; their squares do (Pythagoras): "
                "||U − U_min||² = ||U||² − ||U_min||².",
                example=1,
                instead=lambda norm_U, norm_min: norm_U - norm_min,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 02.4 a mask, row by row
def masked_exact_U(X, Y, Omega):
    U = torch.zeros((X.shape[0], X.shape[0]), dtype=X.dtype)
    for i in range(X.shape[0]):
        free = Omega[i].bool()
        U[i, free] = Y[i] @ torch.linalg.pinv(X[free])
    return U


def _cases_masked():
    X, Y = seed_data()
    return [
        (
            "square data, a lower-triangular mask",
            dict(X=randn(70, 3, 3), Y=randn(71, 3, 3), Omega=torch.tril(torch.ones(3, 3))),
        ),
        ("the seed's data, every entry free", dict(X=X, Y=Y, Omega=torch.ones(3, 3))),
        (
            "a row without free entries",
            dict(X=randn(72, 3, 2), Y=randn(73, 3, 2), Omega=tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1]])),
        ),
        ("n = 4, three examples, a random mask", dict(X=randn(74, 4, 3), Y=randn(75, 4, 3), Omega=random_mask(76, 4))),
        (
            "more examples than dimensions",
            dict(X=randn(77, 3, 5), Y=randn(78, 3, 5), Omega=tensor([[1, 1, 0], [0, 1, 1], [1, 0, 1]])),
        ),
    ]


EXERCISES.append(
    Exercise(
        id="02.4",
        task="write masked_exact_U(X, Y, Omega): row by row over the free entries",
        reference=masked_exact_U,
        cases=_cases_masked,
        answer=FunctionAnswer(TensorAnswer()),
        hint="For each row i: free = Omega[i].bool(); U[i, free] = Y[i] @ torch.linalg.pinv(X[free]).",
        mistakes=(
            Mistake(
                "the mask not applied",
                "Your U is Y X⁺, the solution without a mask: it uses entries where Ω is 0. Solve each row over "
                "its free entries only, U[i, F] = Y[i] X[F]⁺, and leave the others 0.",
                example=lambda X, Y, Omega: Y @ pinv(X),
                change=lambda c: {**c, "Omega": torch.ones_like(c["Omega"])},
            ),
            Mistake(
                "the mask applied after solving",
                "Your U is Ω ⊙ (Y X⁺): zeroing the forbidden entries of the unmasked solution does not solve "
                "the masked problem. Solve each row over its free entries, U[i, F] = Y[i] X[F]⁺.",
                example=lambda X, Y, Omega: Omega * (Y @ pinv(X)),
                instead=lambda X, Y, Omega: Omega * (Y @ torch.linalg.pinv(X)),
            ),
        ),
    )
)
