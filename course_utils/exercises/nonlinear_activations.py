"""Exercises of notebook 05, nonlinear activations: one block per exercise, in course order.
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
    transposed,
)
from .common import chain, cube, randn, seed_data

EXERCISES: list[Exercise] = []


# --------------------------------------------------------------------------- 05.1 an activation on one row
def activate_row(Z, row, f):
    out = Z.clone()
    out[row] = f(Z[row])
    return out


def _cases_activate_row():
    return [
        ("the seed's cube on row 1", dict(Z=randn(100, 3, 2), row=1, f=cube)),
        ("tanh on row 0, one example", dict(Z=randn(101, 3, 1), row=0, f=torch.tanh)),
        ("relu on the last row", dict(Z=randn(102, 4, 3), row=3, f=torch.relu)),
        ("a state with one row", dict(Z=randn(103, 1, 4), row=0, f=cube)),
        ("row 2 of a square state", dict(Z=randn(104, 3, 3), row=2, f=torch.tanh)),
    ]


def _learner_row(Z, row, f, how="row"):
    """A learner's activate_row with one thing changed (the mistakes' examples)."""
    out = Z.clone()
    if how == "column":
        out[:, row] = f(Z[:, row])
    elif how == "1-based":
        out[row - 1] = f(Z[row - 1])
    elif how == "all":
        out = f(Z)
    return out


EXERCISES.append(
    Exercise(
        id="05.1",
        task="write activate_row(Z, row, f): f on one row, a new tensor",
        reference=activate_row,
        cases=_cases_activate_row,
        answer=FunctionAnswer(TensorAnswer()),
        gradients=("Z",),
        hint="out = Z.clone(); out[row] = f(Z[row]); return out. Never write into Z itself.",
        mistakes=(
            Mistake(
                "rows versus columns",
                "Z[:, row] is a column (one example for every coordinate); the row is Z[row] (or Z[row, :]).",
                example=lambda Z, row, f: _learner_row(Z, row, f, "column"),
                instead=lambda Z, row, f: torch.cat([Z[:, :row], f(Z[:, row : row + 1]), Z[:, row + 1 :]], dim=1),
            ),
            Mistake(
                "1-based index",
                "Rows are numbered from 0: Z[row] is the row asked for, not Z[row − 1].",
                example=lambda Z, row, f: _learner_row(Z, row, f, "1-based"),
                change=lambda c: {**c, "row": c["row"] - 1} if c["row"] >= 1 else None,
            ),
            Mistake(
                "applied to every row",
                "Only the row `row` goes through f; the other rows stay as they are.",
                example=lambda Z, row, f: _learner_row(Z, row, f, "all"),
                instead=lambda Z, row, f: f(Z),
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 05.2 the cube chain, by hand
def cube_weight(a):
    return 2 / a**3  # σ(S X) = a³ e₂, then S[2, 1]·a³ = 2


EXERCISES.append(
    Exercise(
        id="05.2",
        task="derive S[2, 1] of the cube chain for a = −2",
        reference=cube_weight,
        cases=given(a=-2.0),
        answer=NumberAnswer(digits=3),
        hint="σ(S X) = a³ e₂ (the cube acts on the e₂ row); then S₃₂ · a³ must be 2 (S₃₂ is S[2, 1] in code).",
        mistakes=(
            Mistake(
                "the linear family",
                "2/a is notebook 04's linear family; here the hidden value is cubed, σ(a e₂) = a³ e₂.",
                example=-1.0,
                instead=lambda a: 2 / a,
            ),
            Mistake(
                "the target's 2 forgotten",
                "The output must be Y = 2e₃: S[2, 1] · a³ = 2, not 1.",
                example=-0.125,
                instead=lambda a: 1 / a**3,
            ),
            Mistake(
                "squared, not cubed",
                "The cube makes the hidden value a³, not a²: S[2, 1] · a³ = 2.",
                example=0.5,
                instead=lambda a: 2 / a**2,
            ),
            Mistake(
                "the cube's sign lost",
                "The cube keeps the sign of a: for a < 0 the hidden value a³ is negative, and so is S[2, 1] = 2/a³.",
                example=0.25,
                instead=lambda a: 2 / abs(a) ** 3,
            ),
        ),
    )
)


# --------------------------------------------------------------------------- 05.3 the exact chain with tanh
def tanh_chain(a):
    return chain(a, 2 / math.tanh(a))  # σ(S X) = tanh(a) e₂, then S[2, 1]·tanh(a) = 2


def _cases_tanh_chain():
    return [
        ("a = 2", dict(a=2.0)),
        ("a = −0.5", dict(a=-0.5)),
        ("a = 0.1", dict(a=0.1)),
        ("a = 3", dict(a=3.0)),
        ("a = 1", dict(a=1.0)),
    ]


def _learner_chain(a, b):
    S = torch.zeros(3, 3)
    S[1, 0], S[2, 1] = a, b
    return S


EXERCISES.append(
    Exercise(
        id="05.3",
        task="write tanh_chain(a): the exact chain with tanh on row 1",
        reference=tanh_chain,
        cases=_cases_tanh_chain,
        answer=FunctionAnswer(TensorAnswer()),
        hint="S e₁ = a e₂ gives the hidden value tanh(a); then S₃₂ · tanh(a) = 2 (S₃₂ is S[2, 1] in code).",
        mistakes=(
            Mistake(
                "the cube family",
                "2/a³ is the family for the cube; here the hidden value is tanh(a).",
                example=lambda a: _learner_chain(a, 2 / a**3),
                instead=lambda a: chain(a, 2 / a**3),
            ),
            Mistake(
                "the linear family",
                "2/a is the linear family; here the hidden value is tanh(a), so S[2, 1] = 2 / tanh(a).",
                example=lambda a: _learner_chain(a, 2 / a),
                instead=lambda a: chain(a, 2 / a),
            ),
            transposed(example=lambda a: _learner_chain(a, 2 / math.tanh(a)).T),
        ),
    )
)


# --------------------------------------------------------------------------- 05.4 iterate with injection, by hand
def run_injected(S, X, k):
    Z = X
    for _ in range(k):
        Z = S @ Z
        Z = torch.cat([X[:1], Z[1:2] ** 3, Z[2:]])  # row 0 set back to the data, row 1 cubed
    return Z


def _cases_injected():
    X, _ = seed_data()
    return [
        ("the cube chain, k = 2", dict(S=chain(1.0, 2.0), X=X, k=2)),
        ("the cube chain, k = 5: past the depth", dict(S=chain(1.0, 2.0), X=X, k=5)),
        ("k = 0: X itself", dict(S=chain(1.0, 2.0), X=X, k=0)),
        ("a random S, two examples, k = 3", dict(S=randn(110, 3, 3, scale=0.5), X=randn(111, 3, 2), k=3)),
        ("n = 4, k = 1", dict(S=randn(112, 4, 4, scale=0.5), X=randn(113, 4, 2), k=1)),
    ]


def _learner_injected(S, X, k, extra=0, inject=True, before=False):
    """A learner's run_injected with one thing changed (the mistakes' examples)."""
    Z = X
    for _ in range(k + extra):
        if before:
            Z = torch.cat([X[:1], Z[1:]])
        Z = S @ Z
        first = X[:1] if inject and not before else Z[:1]
        Z = torch.cat([first, Z[1:2] ** 3, Z[2:]])
    return Z


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


EXERCISES.append(
    Exercise(
        id="05.4",
        task="write run_injected(S, X, k): k steps with the data injected and the cube on row 1",
        reference=run_injected,
        cases=_cases_injected,
        answer=FunctionAnswer(TensorAnswer()),
        gradients=("S",),
        hint="Each step: Z = S @ Z, then build torch.cat([X[:1], Z[1:2] ** 3, Z[2:]]).",
        mistakes=(
            fewer(example=lambda S, X, k: _learner_injected(S, X, k, extra=-1)),
            more(example=lambda S, X, k: _learner_injected(S, X, k, extra=+1)),
            Mistake(
                "no injection",
                "After each application of S, set row 0 back to X's row 0 (the data are injected).",
                example=lambda S, X, k: _learner_injected(S, X, k, inject=False),
                instead=_without_injection,
            ),
            Mistake(
                "injected before S",
                "The data are set back after each application of S, in σ: Z ← σ(S Z).",
                example=lambda S, X, k: _learner_injected(S, X, k, before=True),
                instead=_injected_before,
            ),
        ),
    )
)
