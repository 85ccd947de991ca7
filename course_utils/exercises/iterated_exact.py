"""Exercises of notebook 04, exact solutions of the iterated map: one block per exercise, in course order.
(The block's parts: linear_operator.py's docstring and README's "Adding an exercise".)
"""

from __future__ import annotations

import math

import torch

from .checking import (
    DIGITS,
    Exercise,
    FunctionAnswer,
    Mistake,
    NumberAnswer,
    TensorAnswer,
    agrees,
    fewer,
    given,
    given_digits,
    more,
    rows_versus_columns,
    transposed,
)
from .common import chain, e, randn, seed_data

EXERCISES: list[Exercise] = []
pinv = torch.linalg.pinv


# --------------------------------------------------------------------------- 04.1 lifting as a function
def lifted_S(X, Y, H):
    return torch.cat([H, Y], dim=1) @ torch.linalg.pinv(torch.cat([X, H], dim=1))


def _cases_lift():
    X, Y = seed_data()
    return [
        ("the seed's data, H = 1.5 e₂", dict(X=X, Y=Y, H=1.5 * e(1))),
        ("H = 1.5 e₃", dict(X=X, Y=Y, H=1.5 * e(2))),
        ("H = e₁: least squares", dict(X=X, Y=Y, H=e(0))),
        ("n = 4, two examples, a random H", dict(X=randn(90, 4, 2), Y=randn(91, 4, 2), H=randn(92, 4, 2))),
    ]


def _learner_lift(X, Y, H, dim=1, swap=False):
    """A learner's lifting with one thing changed (the mistakes' examples)."""
    inputs, targets = torch.cat([X, H], dim), torch.cat([H, Y], dim)
    return inputs @ pinv(targets) if swap else targets @ pinv(inputs)


EXERCISES.append(
    Exercise(
        id="04.1",
        task="write lifted_S(X, Y, H): S [X H] = [H Y] by the pseudo-inverse",
        reference=lifted_S,
        cases=_cases_lift,
        answer=FunctionAnswer(TensorAnswer()),
        hint="torch.cat([X, H], dim=1) puts the examples side by side; S = [H Y] [X H]⁺.",
        mistakes=(
            rows_versus_columns(
                example=lambda X, Y, H: _learner_lift(X, Y, H, dim=0),
                explanation="You stacked X and H as rows (dim=0, vstack). The lifted data put the "
                "examples side by side: [X H] = torch.cat([X, H], dim=1), with 2m columns.",
                instead=lambda X, Y, H: torch.cat([H, Y]) @ torch.linalg.pinv(torch.cat([X, H])),
            ),
            Mistake(
                "inputs and targets swapped",
                "You computed [X H] [H Y]⁺. S [X H] = [H Y]: the inputs [X H] get the pseudo-inverse, the targets "
                "[H Y] multiply on the left.",
                example=lambda X, Y, H: _learner_lift(X, Y, H, swap=True),
                instead=lambda X, Y, H: torch.cat([X, H], 1) @ torch.linalg.pinv(torch.cat([H, Y], 1)),
            ),
            transposed(example=lambda X, Y, H: _learner_lift(X, Y, H).T),
        ),
    )
)


# --------------------------------------------------------------------------- 04.2 a family for three iterations
def three_step(a, b):
    S = chain(a, b)
    S[2, 2] = 2 / (a * b)  # the signal waits at e₃: S³e₁ = a·b·S[2, 2]·e₃ = 2e₃
    return S


def _cases_three_step():
    return [
        ("a = b = 1", dict(a=1.0, b=1.0)),
        ("a = 2, b = −0.5", dict(a=2.0, b=-0.5)),
        ("a = 0.5, b = 4", dict(a=0.5, b=4.0)),
        ("a = −1.5, b = 3", dict(a=-1.5, b=3.0)),
    ]


def _learner_three(a, b, wait=True, transpose=False):
    """A learner's three-step S with one thing changed (the mistakes' examples)."""
    S = torch.zeros(3, 3)
    S[1, 0], S[2, 1] = a, b
    if wait:
        S[2, 2] = 2 / (a * b)
    return S.T if transpose else S


def _solves_three_steps(answer, expected, case):
    """Another S with S³e₁ = 2e₃."""
    if answer.shape != (3, 3):
        return False
    X, Y = e(0).double(), 2 * e(2).double()
    return bool(torch.allclose(torch.linalg.matrix_power(answer, 3) @ X, Y, atol=1e-4))


EXERCISES.append(
    Exercise(
        id="04.2",
        task="write three_step(a, b): S with S³e₁ = 2e₃ through e₂, waiting at e₃",
        reference=three_step,
        cases=_cases_three_step,
        answer=FunctionAnswer(TensorAnswer()),
        hint="S e₁ = a e₂, S e₂ = b e₃, S e₃ = c e₃: then S³ e₁ = a·b·c e₃.",
        mistakes=(
            transposed(example=lambda a, b: _learner_three(a, b, transpose=True)),
            Mistake(
                "the signal does not wait",
                "With only S[1, 0] and S[2, 1], S³e₁ = 0: after two steps the signal is at e₃ "
                "and needs the entry S[2, 2] to stay there.",
                example=lambda a, b: _learner_three(a, b, wait=False),
                instead=lambda a, b: chain(a, b),
            ),
            Mistake(
                "another member of the family",
                "Your S solves S³X = Y, but not with the entries asked for: S[1, 0] = a, S[2, 1] = b, the rest "
                "in S[2, 2].",
                example=lambda a, b: _learner_three(b, a),  # a and b swapped
                test=_solves_three_steps,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 04.3 count routes
def count_routes(Omega, k):
    return torch.linalg.matrix_power(Omega, k)[2, 0].item()


EXERCISES.append(
    Exercise(
        id="04.3",
        task="count the three-step routes e₁ → e₃ of the lower-triangular mask",
        reference=count_routes,
        cases=given(Omega=lambda: torch.tril(torch.ones(3, 3)), k=3),
        answer=NumberAnswer(tol=0),
        hint="A route is e₁ → e_i → e_j → e₃ with every step allowed by Ω; (Ω³)₃₁ (Ω³[2, 0] in code) counts them.",
        mistakes=(
            fewer(
                example=3,
                minimum=1,
                explanation="3 is the number of routes of two steps, e₁ → e_i → e₃, (Ω²)[2, 0]. A three-step route "
                "has three steps, e₁ → e_i → e_j → e₃: (Ω³)[2, 0].",
            ),
            more(
                example=10,
                explanation="10 is the number of routes of four steps, (Ω⁴)[2, 0]. A three-step route has three "
                "steps, e₁ → e_i → e_j → e₃: (Ω³)[2, 0].",
            ),
            Mistake(
                "transposed",
                "0 is the number of three-step routes from e₃ back to e₁, (Ω³)[0, 2]: the lower-triangular mask "
                "only lets a coordinate stay or move down. Ω[i, j] = 1 allows the step e_j → e_i, so the routes "
                "from e₁ to e₃ are counted by (Ω³)[2, 0]: row = where a route ends, column = where it starts.",
                example=0,
                change=lambda c: {**c, "Omega": c["Omega"].T},
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 04.4 where training ends
def balanced_end(a0, b0):
    c = a0**2 - b0**2  # conserved by gradient flow; the end has a·b = 2, so a² − 4/a² = c
    return math.sqrt((c + math.sqrt(c**2 + 16)) / 2)


def _is_b(answer, expected, case):
    """b = 2/a at the end, given to 3 significant digits (1.4 is a rounded to 2 digits, not b)."""
    return given_digits(answer) >= DIGITS and agrees(answer, 2 / expected, DIGITS)


EXERCISES.append(
    Exercise(
        id="04.4",
        task="derive where gradient flow ends from a = 0.3, b = 0.1 (a² − b² conserved)",
        reference=balanced_end,
        cases=given(a0=0.3, b0=0.1),
        answer=NumberAnswer(digits=3),
        hint="At the end a·b = 2 and a² − b² = 0.3² − 0.1²: solve a² − 4/a² = 0.08 for a > 0.",
        mistakes=(
            Mistake("a² instead of a", "That is a²: take the square root.", example=2.0404, transform=lambda a: a**2),
            Mistake(
                "the balanced member",
                "a = √2 is where a² − b² = 0; here a² − b² starts at 0.08 and stays 0.08.",
                example=math.sqrt(2),
                change=lambda c: {**c, "b0": c["a0"]},
            ),
            Mistake(
                "that is b",
                "You found b = 2/a; the question asks for a, the weight of e₁ → e₂.",
                example=1.4001,
                test=_is_b,
            ),
        ),
    )
)
