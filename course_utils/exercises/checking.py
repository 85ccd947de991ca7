"""How an answer is checked: the feedback, the usual mistakes, and one class per kind of answer.

An exercise's reference is a function ``solve(**case)`` of the task's parameters
(a *case*). A number or a tensor the learner derives is compared with
``solve(**task)``; a function the learner writes is called on hidden cases, edge
cases included, and its outputs are compared with ``solve(**case)``.

When an answer is wrong, the exercise's ``Mistake`` list is tried in order: a
mistake says what a learner who made it would have given (the reference on a
changed case, the reference's answer transformed, or another formula), and the
first one that matches the answer names the diagnosis.
"""

from __future__ import annotations

import copy
import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

Case = dict[str, Any]


class WrongAnswer(Exception):
    """What is wrong with an answer, in words (raised and caught inside the checker only)."""


# --------------------------------------------------------------------------- feedback
@dataclass(frozen=True)
class Feedback:
    """The checker's verdict: ``correct`` and a ``message`` that begins with
    "Correct", "Not answered yet" or "Not quite"."""

    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.correct else "#9e9e9e" if self.message.startswith("Not answered") else "#c62828"
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 0.2em 0.6em; white-space: pre-wrap">'
            f"{html.escape(self.message)}</div>"
        )


# --------------------------------------------------------------------------- descriptions
def describe(value: Any) -> str:
    """A short description of any value, for messages."""
    if isinstance(value, torch.Tensor):
        if value.numel() <= 6 and not value.is_complex():
            return f"tensor {show(value)} of shape {tuple(value.shape)}"
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape}"
    if isinstance(value, nn.Module):
        return type(value).__name__ + "(" + ", ".join(type(layer).__name__ for layer in value.children()) + ")"
    if callable(value) and hasattr(value, "__name__"):
        return f"the function {value.__name__}"
    text = repr(value)
    return f"{type(value).__name__} {text[:57] + '...' if len(text) > 60 else text}"


def show(value: Any, digits: int = 3) -> str:
    """Numbers with fixed digits (so that a stored message does not depend on float noise)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().tolist()
    if isinstance(value, list):
        return "[" + ", ".join(show(v, digits) for v in value) + "]"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.{digits}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text
    return str(value)


def describe_case(case: Case) -> str:
    return ", ".join(f"{name} = {_short(value)}" for name, value in case.items())


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return show(value) if value.numel() <= 3 else f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, float):
        return show(value, 4)
    if isinstance(value, nn.Module):
        return describe(value)
    return value.__name__ if callable(value) and hasattr(value, "__name__") else repr(value)


# --------------------------------------------------------------------------- mistakes
@dataclass(frozen=True)
class Mistake:
    """A usual mistake, and what an answer that makes it looks like.

    Exactly one of:
        change: the case as the learner misread it (``solve`` is run on it);
            returns None where the mistake cannot happen (k - 1 < 0, say).
        transform: the reference's answer as the learner mangled it.
        instead: another formula, called like ``solve(**case)``.
        test: a predicate ``test(answer, expected, case)`` for mistakes without one
            formula (a valid solution that is not the one asked for).
    """

    name: str
    explanation: str
    change: Callable[[Case], Case | None] | None = None
    transform: Callable[[Any], Any] | None = None
    instead: Callable[..., Any] | None = None
    test: Callable[[Any, Any, Case], bool] | None = None

    def matches(self, kind: "NumberAnswer | TensorAnswer", answer: Any, solve: Callable, case: Case) -> bool:
        try:
            if self.test is not None:
                return bool(self.test(answer, kind.read(solve(**case)), case))
            if self.change is not None:
                changed = self.change(case)
                candidate = None if changed is None else solve(**changed)
            elif self.transform is not None:
                candidate = self.transform(solve(**case))
            else:
                candidate = self.instead(**case)
            return candidate is not None and kind.same(answer, kind.read(candidate))
        except (WrongAnswer, ArithmeticError, ValueError, RuntimeError, IndexError):
            return False  # the mistake cannot be made on this case

    @property
    def message(self) -> str:
        return f"Not quite: {self.name}. {self.explanation}"


def fewer(key: str = "k", minimum: int = 0) -> Mistake:
    return Mistake(
        "one iteration too few",
        f"Count the applications of S again: {key} of them.",
        change=lambda c: {**c, key: c[key] - 1} if c[key] - 1 >= minimum else None,
    )


def more(key: str = "k") -> Mistake:
    return Mistake(
        "one iteration too many",
        f"Count the applications of S again: {key} of them.",
        change=lambda c: {**c, key: c[key] + 1},
    )


def without_mask(key: str = "Omega") -> Mistake:
    return Mistake(
        "the mask not applied",
        "Only the entries where Ω is 1 may use U: S = Init + Ω ⊙ U.",
        change=lambda c: {**c, key: torch.ones_like(c[key])},
    )


TRANSPOSED = Mistake(
    "transposed",
    "Your matrix is the transpose of the expected one. Entry [i, j] of S carries coordinate j into "
    "coordinate i: column j is where e_j goes.",
    transform=lambda A: A.T,
)
ROWS_VERSUS_COLUMNS = Mistake(
    "rows versus columns",
    "Your answer has the examples as rows. The course keeps examples as columns: shape (n, m), one "
    "column per example.",
    transform=lambda A: A.T,
)
SQUARED = Mistake(
    "squared versus unsquared norm",
    "The course's loss is the Frobenius norm itself, ||A||_F = sqrt(sum of squares), not its square.",
    change=lambda c: {**c, "squared": True},
)
SIGN = Mistake(
    "the sign flipped", "Check the sign: gradient descent steps against the gradient.", transform=lambda A: -A
)


# --------------------------------------------------------------------------- kinds of answer
class NumberAnswer:
    """A real number (int, float, NumPy scalar or one-element tensor), equal to the
    reference within ``tol`` (relative to the reference's size, at least ``tol``)."""

    def __init__(self, tol: float = 1e-4) -> None:
        self.tol = tol

    what = "a number"

    def read(self, value: Any) -> float:
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            value = torch.from_numpy(value)
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise WrongAnswer(f"expected a single number, got {describe(value)}")
            value = value.item()
        if isinstance(value, (bool, np.bool_)):
            raise WrongAnswer(f"expected a number, got the truth value {value!r}")
        if not isinstance(value, numbers.Real):  # complex numbers are not Real
            raise WrongAnswer(f"expected a real number, got {describe(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise WrongAnswer(f"expected a finite number, got {value}")
        return value

    def same(self, answer: float, expected: float) -> bool:
        return abs(answer - expected) <= self.tol * max(1.0, abs(expected))

    def difference(self, answer: float, expected: float) -> str:
        return f"the result is {show(answer, 4)}, not the expected value."


class TensorAnswer:
    """A torch.Tensor (or NumPy array) of the reference's shape, equal to it within ``tol``."""

    def __init__(self, tol: float = 1e-4) -> None:
        self.tol = tol

    what = "a tensor"

    def read(self, value: Any) -> torch.Tensor:
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            value = torch.from_numpy(value.copy())
        if isinstance(value, (list, tuple)):
            raise WrongAnswer(
                f"expected a torch.Tensor, got a {type(value).__name__}: make it one with torch.tensor(...)"
            )
        if not isinstance(value, torch.Tensor):
            raise WrongAnswer(f"expected a torch.Tensor, got {describe(value)}")
        if value.is_complex():
            raise WrongAnswer(
                "your tensor holds complex numbers; the answer is real "
                "(for a symmetric matrix, torch.linalg.eigvalsh gives real eigenvalues)"
            )
        value = value.detach().cpu().to(torch.float64)
        if not bool(torch.isfinite(value).all()):
            raise WrongAnswer("the result holds NaN or inf")
        return value

    def same(self, answer: torch.Tensor, expected: torch.Tensor) -> bool:
        if answer.shape != expected.shape:
            return False
        scale = max(1.0, float(expected.abs().max())) if expected.numel() else 1.0
        return bool(torch.allclose(answer, expected, rtol=self.tol, atol=self.tol * scale))

    def difference(self, answer: torch.Tensor, expected: torch.Tensor) -> str:
        if answer.shape != expected.shape:
            return f"the result has shape {tuple(answer.shape)}; expected shape {tuple(expected.shape)}."
        gap = (answer - expected).abs()
        where = tuple(int(i) for i in np.unravel_index(int(gap.argmax()), tuple(gap.shape)))
        return (
            f"the values differ: at {list(where)} the result has {show(answer[where].item())} "
            f"where {show(expected[where].item())} is expected."
        )


@dataclass
class FunctionAnswer:
    """A function, called on hidden cases as ``f(*case.values())``; each output is
    checked as ``returns`` (a NumberAnswer or TensorAnswer). An output of None is
    right only where the reference returns None."""

    returns: NumberAnswer | TensorAnswer = field(default_factory=TensorAnswer)
    what = "a function"


# --------------------------------------------------------------------------- the check
NOT_ANSWERED = "Not answered yet. "


def verdict(
    kind: NumberAnswer | TensorAnswer,
    answer: Any,
    expected: Any,
    mistakes: tuple[Mistake, ...],
    solve: Callable,
    case: Case,
) -> str | None:
    """None if ``answer`` is right, else what is wrong (a named mistake first)."""
    if expected is None:
        return None if answer is None else f"expected None on this case, got {describe(answer)}."
    if answer is None:
        return "got None."
    try:
        value = kind.read(answer)
    except WrongAnswer as problem:
        return f"{problem}."
    reference = kind.read(expected)
    if kind.same(value, reference):
        return None
    for mistake in mistakes:
        if mistake.matches(kind, value, solve, case):
            return mistake.message
    return kind.difference(value, reference)


def check_value(exercise: Any, answer: Any) -> Feedback:
    """A number or tensor the learner derived, against ``solve(**task)``."""
    if callable(answer) and not isinstance(answer, torch.Tensor):
        return Feedback(
            False,
            f"Not quite: this exercise asks for {exercise.kind.what} (the value itself), "
            f"not a function; got {describe(answer)}.",
        )
    ((label, case),) = exercise.cases()
    problem = verdict(exercise.kind, answer, exercise.solve(**case), exercise.mistakes, exercise.solve, case)
    if problem is None:
        return Feedback(True, f"Correct: {show(exercise.kind.read(answer), 4)}.")
    return Feedback(False, problem if problem.startswith("Not quite") else f"Not quite: {problem}")


def check_function(exercise: Any, function: Any) -> Feedback:
    """A function the learner wrote, called on every hidden case (on copies of its arguments)."""
    if not callable(function):
        return Feedback(False, f"Not quite: expected a function (def ...), got {describe(function)}.")
    cases = exercise.cases()
    for label, case in cases:
        where = f"\nThe case: {label}: {describe_case(case)}."
        given = copy.deepcopy(case)
        try:
            output = function(*given.values())
        except Exception as err:  # the learner's error, named, never raised
            return Feedback(False, f"Not quite: your function raised {type(err).__name__}: {err}{where}")
        if output is Ellipsis:
            return Feedback(False, NOT_ANSWERED + f"Hint: {exercise.hint}")
        changed = [name for name in case if not _equal(given[name], case[name])]
        if changed:
            return Feedback(
                False,
                f"Not quite: your function changed its argument {changed[0]} in place; build a "
                f"new tensor instead (autograd and the caller still need the old one).{where}",
            )
        expected = exercise.solve(**case)
        if output is None and expected is not None:
            return Feedback(
                False, f"Not quite: your function returned None (a function without `return` " f"returns None).{where}"
            )
        problem = verdict(exercise.kind.returns, output, expected, exercise.mistakes, exercise.solve, case)
        if problem is not None:
            return Feedback(False, (problem if problem.startswith("Not quite") else f"Not quite: {problem}") + where)
    labels = "; ".join(label for label, _ in cases)
    return Feedback(True, f"Correct: your function agrees with the reference on {len(cases)} cases ({labels}).")


def _equal(a: Any, b: Any) -> bool:
    """Whether the learner's copy ``a`` still equals the original ``b``."""
    if isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
    if isinstance(b, nn.Module):
        sa, sb = a.state_dict(), b.state_dict()
        return sa.keys() == sb.keys() and all(torch.equal(sa[key], sb[key]) for key in sb)
    if callable(b):
        return True
    return bool(a == b)


# --------------------------------------------------------------------------- an exercise
@dataclass(frozen=True)
class Exercise:
    """One exercise: ``solve(**case)`` is its reference; ``cases()`` lists (label, case)
    pairs, the task itself for a value, the hidden cases for a function."""

    id: str
    title: str
    solve: Callable[..., Any]
    cases: Callable[[], list[tuple[str, Case]]]
    kind: NumberAnswer | TensorAnswer | FunctionAnswer
    mistakes: tuple[Mistake, ...]
    hint: str

    def check(self, answer: Any) -> Feedback:
        if answer is Ellipsis:
            return Feedback(False, NOT_ANSWERED + f"Hint: {self.hint}")
        try:
            if isinstance(self.kind, FunctionAnswer):
                return check_function(self, answer)
            return check_value(self, answer)
        except Exception as err:  # the last resort: check never raises
            return Feedback(False, f"Not quite: the checker could not read your answer ({type(err).__name__}: {err}).")

    def reference(self) -> Any:
        """A correct answer: the reference function, or the value it gives on the task."""
        if isinstance(self.kind, FunctionAnswer):
            return self.solve
        ((_, case),) = self.cases()
        return self.solve(**case)
