"""Exercises of notebook 06, interim losses and fixed points: one block per exercise, in course order.
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
    squared,
    transposed,
)
from .common import chain, e, norm, randn, seed_data, tensor

EXERCISES: list[Exercise] = []
mnorm = torch.linalg.matrix_norm


# --------------------------------------------------------------------------- 06.1 the loss with interim terms
def interim_loss(S, X, Y, k, w, *, squared=False):
    Z, interim = X, 0.0
    for _ in range(k):
        Z = S @ Z
        interim = interim + norm(Y - Z, squared)
    return norm(Y - Z, squared) + w * interim


def _interim_short(S, X, Y, k, w):
    """The interim sum over j = 1..k-1 only."""
    Z, interim = X, 0.0
    for j in range(1, k + 1):
        Z = S @ Z
        if j < k:
            interim = interim + norm(Y - Z)
    return norm(Y - Z) + w * interim


def _interim_from_zero(S, X, Y, k, w):
    """The interim sum over j = 0..k, X included."""
    return interim_loss(S, X, Y, k, w) + w * norm(Y - X)


def _interim_only(S, X, Y, k, w):
    """w times the interim sum, without the final term."""
    Z, interim = X, 0.0
    for _ in range(k):
        Z = S @ Z
        interim = interim + norm(Y - Z)
    return w * interim


def _cases_interim():
    X, Y = seed_data()
    return [
        ("the seed's data, k = 2, w = 1", dict(S=randn(120, 3, 3, scale=0.5), X=X, Y=Y, k=2, w=1.0)),
        ("w = 0: the seed's loss", dict(S=randn(121, 3, 3, scale=0.5), X=X, Y=Y, k=2, w=0.0)),
        ("k = 1, w = 0.5", dict(S=randn(122, 3, 3), X=randn(123, 3, 2), Y=randn(124, 3, 2), k=1, w=0.5)),
        ("S = 0, k = 3, w = 2: at the saddle", dict(S=torch.zeros(3, 3), X=X, Y=Y, k=3, w=2.0)),
        (
            "n = 4, two examples, k = 3, w = 0.3",
            dict(S=randn(125, 4, 4, scale=0.5), X=randn(126, 4, 2), Y=randn(127, 4, 2), k=3, w=0.3),
        ),
    ]


def _learner_interim(S, X, Y, k, w, power=1, last=True, first=False, extra=0, final=True):
    """A learner's interim_loss with one thing changed (the mistakes' examples)."""
    Z, distances = X, ([mnorm(Y - X) ** power] if first else [])
    for j in range(1, k + extra + 1):
        Z = S @ Z
        if last or j < k + extra:
            distances.append(mnorm(Y - Z) ** power)
    total = w * sum(distances)
    return mnorm(Y - Z) ** power + total if final else total


EXERCISES.append(
    Exercise(
        id="06.1",
        task="write interim_loss(S, X, Y, k, w), a tensor autograd can follow back to S",
        reference=interim_loss,
        cases=_cases_interim,
        answer=FunctionAnswer(NumberAnswer()),
        gradients=("S",),
        hint="Accumulate ||Y − Z_j||_F for j = 1..k inside the loop; add the final term after it.",
        mistakes=(
            squared(example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, power=2)),
            Mistake(
                "the final loss forgotten",
                "L = ||Y − Z_k||_F + w Σ_j ||Y − Z_j||_F: add the final term to w times the interim sum.",
                example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, final=False),
                instead=_interim_only,
            ),
            Mistake(
                "one iteration too few",
                "The interim sum runs over j = 1..k, the last iteration included, as in the seed's loop.",
                example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, last=False),
                instead=_interim_short,
            ),
            Mistake(
                "one iteration too many",
                "The interim sum starts at Z₁ = S X, not at Z₀ = X.",
                example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, first=True),
                instead=_interim_from_zero,
            ),
            fewer(example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, extra=-1), minimum=1),
            more(example=lambda S, X, Y, k, w: _learner_interim(S, X, Y, k, w, extra=+1)),
        ),
    )
)


# --------------------------------------------------------------------------- 06.2 the loss at the saddle, by hand
EXERCISES.append(
    Exercise(
        id="06.2",
        task="derive the loss at S = 0 for k = 3, w = 0.5 on the seed's data",
        reference=interim_loss,
        cases=given(S=lambda: torch.zeros(3, 3), X=lambda: e(0), Y=lambda: 2 * e(2), k=3, w=0.5),
        answer=NumberAnswer(digits=3),
        hint="At S = 0 every Z_j = 0, so every term is ||Y||_F = 2.",
        mistakes=(
            squared(example=10.0),
            Mistake(
                "the final loss forgotten",
                "L = ||Y − Z_3||_F + w Σ_j ||Y − Z_j||_F: the final term 2 comes on top of w times the interim sum.",
                example=3.0,
                instead=_interim_only,
            ),
            fewer(
                example=4.0,
                minimum=1,
                explanation="k = 3 gives three interim terms, ||Y − Z_j||_F for j = 1, 2, 3, each 2 at S = 0.",
            ),
            Mistake(
                "one iteration too many",
                "The interim sum starts at Z₁ = S X, not at Z₀ = X: ||Y − X||_F = √5 is not a term.",
                example=2 + 0.5 * (math.sqrt(5) + 6),
                instead=_interim_from_zero,
            ),
            more(
                example=6.0,
                explanation="k = 3 gives three interim terms, ||Y − Z_j||_F for j = 1, 2, 3, each 2 at S = 0.",
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 06.3 a map that keeps Y
def lifted_S(X, Y, H):
    return torch.cat([H, Y], dim=1) @ torch.linalg.pinv(torch.cat([X, H], dim=1))


EXERCISES.append(
    Exercise(
        id="06.3",
        task="derive the minimum-norm S with S X = Y and S Y = Y for the seed's data",
        reference=lifted_S,
        cases=given(X=lambda: e(0), Y=lambda: 2 * e(2), H=lambda: 2 * e(2)),
        answer=TensorAnswer(),
        hint="S e₁ = 2e₃ and S(2e₃) = 2e₃; every other entry 0.",
        mistakes=(
            transposed(example=tensor([[0, 0, 2], [0, 0, 0], [0, 0, 1]])),
            Mistake(
                "S e₃ = 2e₃",
                "S Y = Y with Y = 2e₃ means S(2e₃) = 2e₃, so S e₃ = e₃: that entry is 1.",
                example=tensor([[0, 0, 0], [0, 0, 0], [2, 0, 2]]),
                instead=lambda X, Y, H: lifted_S(X, Y, H) + tensor([[0, 0, 0], [0, 0, 0], [0, 0, 1]]),
            ),
            Mistake(
                "only S X = Y",
                "That solves S X = Y alone; the summed loss also wants S² X = Y, that is S Y = Y.",
                example=tensor([[0, 0, 0], [0, 0, 0], [2, 0, 0]]),
                instead=lambda X, Y, H: Y @ torch.linalg.pinv(X),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 06.4 distances along the way
def distances_to_Y(S, X, Y, k):
    Z, out = X, [mnorm(Y - X)]
    for _ in range(k):
        Z = S @ Z
        out.append(mnorm(Y - Z))
    return torch.stack(out)


def _cases_distances():
    X, Y = seed_data()
    keeps_Y = chain(1.0, 2.0)
    keeps_Y[2, 2] = 1.0  # S Y = Y: the target is a fixed point
    return [
        ("the seed's data, k = 2", dict(S=randn(130, 3, 3, scale=0.5), X=X, Y=Y, k=2)),
        ("k = 0: X only", dict(S=randn(131, 3, 3), X=X, Y=Y, k=0)),
        ("a map with Y fixed, k = 4", dict(S=keeps_Y, X=X, Y=Y, k=4)),
        (
            "n = 4, two examples, k = 3",
            dict(S=randn(132, 4, 4, scale=0.5), X=randn(133, 4, 2), Y=randn(134, 4, 2), k=3),
        ),
        ("k = 1", dict(S=randn(135, 3, 3), X=X, Y=Y, k=1)),
    ]


def _learner_distances(S, X, Y, k, extra=0, power=1, start=0):
    """A learner's distances_to_Y with one thing changed (the mistakes' examples)."""
    Z, out = X, []
    for j in range(k + extra + 1):
        if j >= start:
            out.append(mnorm(Y - Z) ** power)
        Z = S @ Z
    return torch.stack(out)


EXERCISES.append(
    Exercise(
        id="06.4",
        task="write distances_to_Y(S, X, Y, k) = [||Y − Z_j||_F for j = 0..k]",
        reference=distances_to_Y,
        cases=_cases_distances,
        answer=FunctionAnswer(TensorAnswer()),
        hint="Start the list with ||Y − X|| (j = 0), append one norm per application; torch.stack or torch.tensor it.",
        mistakes=(
            fewer(example=lambda S, X, Y, k: _learner_distances(S, X, Y, k, extra=-1)),
            more(example=lambda S, X, Y, k: _learner_distances(S, X, Y, k, extra=+1)),
            squared(
                example=lambda S, X, Y, k: _learner_distances(S, X, Y, k, power=2),
                explanation="The distances are the Frobenius norms themselves, sqrt of the sums of squares, "
                "not their squares.",
                transform=lambda d: d**2,
            ),
            Mistake(
                "1-based index",
                "Start at j = 0: the first distance is ||Y − X||, before any application of S.",
                example=lambda S, X, Y, k: _learner_distances(S, X, Y, k, start=1),
                instead=lambda S, X, Y, k: distances_to_Y(S, X, Y, k)[1:],
            ),
        ),
    )
)
