"""How an answer is checked: the feedback, the usual mistakes, the kinds of answer, an exercise.

An exercise's reference is a function ``reference(**case)`` of the task's
parameters (a *case*). A number or a tensor the learner derives is compared
with ``reference(**task)``; a function the learner writes is called on hidden
cases, edge cases included, and its outputs are compared with
``reference(**case)``. Where the course trains through the learner's function
(``Exercise.gradients``), the checker also runs backward through it and
compares the gradients with the reference's.

The precision rule, one for the whole course (the start page states it):
a number the learner derives is right when it agrees with the exact value to
3 significant digits (round it, or give more); a count is exact; a function's
outputs agree with the reference's to 1e-4 (relative to their size).

When an answer is wrong, the exercise's mistakes are tried in order. A mistake
says what a learner who made it would have given (the reference on a changed
case, the reference's answer transformed, another formula, or a predicate),
and carries an example answer that makes it (the tests feed every example and
require its own diagnosis). A function is diagnosed with a mistake only when
the mistake explains its output on every hidden case.
"""

from __future__ import annotations

import copy
import html
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from .guard import TimeLimit, captured, limited

Case = dict[str, Any]
TIME_LIMIT = 5.0  # seconds a check may take (the learner's function included)
PRINT_LIMIT = 2000  # characters of the learner's printing shown after a check
DIGITS = 3  # significant digits of a derived number (the course's precision rule)
_REQUIRED: Any = object()


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
        colour = "#2e7d32" if self.correct else "#757575" if self.message.startswith("Not answered") else "#c62828"
        return (
            f'<div role="status" style="border-left: 4px solid {colour}; padding: 0.2em 0.6em; '
            f'white-space: pre-wrap">{html.escape(self.message)}</div>'
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


def number(value: float) -> str:
    """A number as the learner would write it: 0.128, 88.9, 164, 2.23607."""
    return f"{value:.6g}"


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


# --------------------------------------------------------------------------- kinds of answer
class NumberAnswer:
    """A real number (int, float, NumPy scalar or one-element tensor).

    ``digits=3``: a number the learner derives, right when it agrees with the
    exact value to 3 significant digits (the course's rule); ``tol=0``: a count,
    exact; otherwise (a function's outputs) within ``tol`` relative to its size.
    """

    what = "a number"

    def __init__(self, tol: float = 1e-4, digits: int | None = None) -> None:
        self.tol, self.digits = tol, digits

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
        if self.digits is not None:
            return agrees(answer, expected, self.digits)
        return abs(answer - expected) <= self.tol * max(1.0, abs(expected))

    def difference(self, answer: float, expected: float, *, hidden: bool) -> str:
        if self.digits is not None:
            if self.too_few_digits(answer, expected):
                fewer = given_digits(answer)
                return (
                    f"{number(answer)} is right to {fewer} significant digits; give {self.digits} "
                    f"(the course checks a number to {self.digits} significant digits: round it, or give more)."
                )
            return f"{number(answer)} is not the expected value (checked to {self.digits} significant digits)."
        if self.tol == 0:
            return f"the result is {number(answer)}, not the expected count."
        tail = "" if hidden else f", where {number(expected)} is expected"
        return f"the result is {number(answer)}{tail}."


    def too_few_digits(self, answer: float, expected: float) -> bool:
        """Whether ``answer`` is written with fewer digits than the rule asks (at least 2) and right to those."""
        fewer = given_digits(answer)
        return self.digits is not None and 2 <= fewer < self.digits and agrees(answer, expected, fewer)


def agrees(answer: float, expected: float, digits: int) -> bool:
    """Whether ``answer`` equals ``expected`` to ``digits`` significant digits (half a unit of the last)."""
    if expected == 0:
        return abs(answer) <= 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(expected))) - digits + 1)
    if given_digits(answer) > digits:  # more digits given: strictly within half a unit (163.966 + 0.5 is not)
        return abs(answer - expected) < 0.5 * unit
    return abs(answer - expected) <= 0.5 * unit * (1 + 1e-9) + 1e-15  # a rounded answer: a tie rounds either way


def given_digits(value: float) -> int:
    """How many significant digits ``value`` is written with (88.9: 3, 89: 2, 0.13: 2, 164.0: 3)."""
    if value == 0:
        return 1
    for digits in range(1, 16):
        if float(f"{value:.{digits}g}") == value:
            return digits
    return 16


class TensorAnswer:
    """A torch.Tensor (or, for a value the learner types, a NumPy array) of the
    reference's shape, equal to it within ``tol``."""

    what = "a tensor"

    def __init__(self, tol: float = 1e-4) -> None:
        self.tol = tol

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

    def difference(self, answer: torch.Tensor, expected: torch.Tensor, *, hidden: bool) -> str:
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
    right only where the reference returns None. A function asked to return a
    tensor must return a torch.Tensor, not a NumPy array."""

    returns: NumberAnswer | TensorAnswer = field(default_factory=TensorAnswer)
    what = "a function"


# --------------------------------------------------------------------------- mistakes
@dataclass(frozen=True)
class Mistake:
    """A usual mistake, what an answer that makes it looks like, and an example of one.

    ``example`` (required) is an answer that makes this mistake: a value, or a
    function written the way a learner who makes it would write it. Exactly one of:
        change: the case as the learner misread it (the reference is run on it);
            returns None where the mistake cannot happen (k - 1 < 0, say).
        transform: the reference's answer as the learner mangled it.
        instead: another formula, called like ``reference(**case)``.
        test: a predicate ``test(answer, expected, case)`` for mistakes without one
            formula (a valid solution that is not the one asked for).
    """

    name: str
    explanation: str
    example: Any = _REQUIRED
    change: Callable[[Case], Case | None] | None = None
    transform: Callable[[Any], Any] | None = None
    instead: Callable[..., Any] | None = None
    test: Callable[[Any, Any, Case], bool] | None = None

    def __post_init__(self) -> None:
        if self.example is _REQUIRED:
            raise TypeError(f"Mistake {self.name!r} needs an example: an answer that makes it")
        ways = [w for w in (self.change, self.transform, self.instead, self.test) if w is not None]
        if len(ways) != 1:
            raise TypeError(f"Mistake {self.name!r} needs exactly one of change, transform, instead, test")

    def candidate(self, reference: Callable, case: Case) -> Any:
        """What a learner who makes this mistake answers on ``case`` (None: cannot be made here)."""
        try:
            if self.change is not None:
                changed = self.change(case)
                return None if changed is None else reference(**changed)
            if self.transform is not None:
                return self.transform(reference(**case))
            return self.instead(**case)
        except (WrongAnswer, ArithmeticError, ValueError, RuntimeError, IndexError):
            return None  # the mistake cannot be made on this case

    def explains(self, kind: NumberAnswer | TensorAnswer, answer: Any, expected: Any, reference, case) -> bool | None:
        """Whether this mistake gives ``answer`` (a read value) on ``case``; None where it cannot be made."""
        try:
            if self.test is not None:
                return bool(self.test(answer, expected, case))
            candidate = self.candidate(reference, case)
            if candidate is None:
                return None
            return kind.same(answer, kind.read(candidate))
        except (WrongAnswer, ArithmeticError, ValueError, RuntimeError, IndexError, TypeError):
            return None

    @property
    def message(self) -> str:
        return f"Not quite: {self.name}. {self.explanation}"


def fewer(example: Any, key: str = "k", minimum: int = 0, explanation: str | None = None) -> Mistake:
    return Mistake(
        "one iteration too few",
        explanation or f"Count the applications of S again: {key} of them.",
        example,
        change=lambda c: {**c, key: c[key] - 1} if c[key] - 1 >= minimum else None,
    )


def more(example: Any, key: str = "k", explanation: str | None = None) -> Mistake:
    return Mistake(
        "one iteration too many",
        explanation or f"Count the applications of S again: {key} of them.",
        example,
        change=lambda c: {**c, key: c[key] + 1},
    )


def without_mask(example: Any, key: str = "Omega") -> Mistake:
    return Mistake(
        "the mask not applied",
        "Only the entries where Ω is 1 may use U: S = Init + Ω ⊙ U.",
        example,
        change=lambda c: {**c, key: torch.ones_like(c[key])},
    )


def transposed(example: Any, explanation: str | None = None, **how: Any) -> Mistake:
    return Mistake(
        "transposed",
        explanation
        or "Your matrix is the transpose of the expected one. Entry [i, j] of S carries coordinate j into "
        "coordinate i: column j is where e_j goes.",
        example,
        **(how or {"transform": lambda A: A.T}),
    )


def rows_versus_columns(example: Any, explanation: str | None = None, **how: Any) -> Mistake:
    return Mistake(
        "rows versus columns",
        explanation
        or "Your answer has the examples as rows. The course keeps examples as columns: shape (n, m), one "
        "column per example.",
        example,
        **(how or {"transform": lambda A: A.T}),
    )


def squared(example: Any, explanation: str | None = None, **how: Any) -> Mistake:
    return Mistake(
        "squared versus unsquared norm",
        explanation or "The course's loss is the Frobenius norm itself, ||A||_F = sqrt(sum of squares), not its square.",
        example,
        **(how or {"change": lambda c: {**c, "squared": True}}),
    )


def sign_flipped(example: Any, explanation: str, **how: Any) -> Mistake:
    return Mistake("the sign flipped", explanation, example, **(how or {"transform": lambda A: -A}))


# --------------------------------------------------------------------------- an exercise
NOT_ANSWERED = "Not answered yet. "


def given(**parameters: Any) -> Callable[[], list[tuple[str, Case]]]:
    """The one case of an exercise whose answer is a value: the task's parameters
    (a callable parameter is called when the case is made, so tensors take the
    default dtype of that moment)."""
    return lambda: [("the task", {name: value() if callable(value) else value for name, value in parameters.items()})]


@dataclass(frozen=True)
class Exercise:
    """One exercise, in one block of its notebook's module.

    Args:
        id: "NN.k", exercise k of notebook NN.
        task: the task in one line (the notebook states it in full).
        reference: the reference solution, ``reference(**case)``, plain torch.
        cases: the hidden cases, ``cases()`` -> [(label, case)]; for a value,
            ``given(**task)``, the task's parameters.
        answer: what the learner gives: NumberAnswer, TensorAnswer or FunctionAnswer.
        hint: shown with "Not answered yet".
        mistakes: the usual mistakes, each with an example answer, tried in order.
        gradients: for a function the course trains through, the arguments whose
            gradients must match the reference's (autograd must go back through it).
    """

    id: str
    task: str
    reference: Callable[..., Any]
    cases: Callable[[], list[tuple[str, Case]]]
    answer: NumberAnswer | TensorAnswer | FunctionAnswer
    hint: str
    mistakes: tuple[Mistake, ...]
    gradients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d\d\.[1-9]\d*", self.id):
            raise ValueError(f"an exercise id is 'NN.k' (notebook NN, exercise k); got {self.id!r}")
        if self.gradients and not isinstance(self.answer, FunctionAnswer):
            raise ValueError(f"exercise {self.id}: gradients are checked for a function answer only")

    @property
    def asks_for_function(self) -> bool:
        return isinstance(self.answer, FunctionAnswer)

    def correct_answer(self) -> Any:
        """A correct answer: the reference function, or the value it gives on the task."""
        if self.asks_for_function:
            return self.reference
        ((_, case),) = self.cases()
        return self.reference(**case)

    def check(self, answer: Any, time_limit: float | None = None) -> Feedback:
        """The verdict on ``answer``; never raises (but Ctrl-C still interrupts)."""
        if answer is Ellipsis:
            return Feedback(False, NOT_ANSWERED + f"Hint: {self.hint}")
        limit = TIME_LIMIT if time_limit is None else time_limit
        running: dict[str, str] = {}
        with captured(PRINT_LIMIT) as printed:
            try:
                with limited(limit):
                    feedback = self._check_function(answer, running) if self.asks_for_function else self._check_value(answer)
            except TimeLimit:
                where = f"\nThe case: {running['case']}." if running.get("case") else ""
                feedback = Feedback(
                    False,
                    f"Not quite: the check stopped after its time limit of {limit:g} s; your function had not "
                    f"returned (a loop that never ends?).{where}",
                )
            except Exception as err:  # the last resort: check never raises
                feedback = Feedback(
                    False, f"Not quite: the checker could not read your answer ({type(err).__name__}: {err})."
                )
        printed.show()
        return feedback

    # ----------------------------------------------------------------------- a value
    def _check_value(self, answer: Any) -> Feedback:
        kind = self.answer
        if callable(answer) and not isinstance(answer, torch.Tensor):
            return Feedback(
                False,
                f"Not quite: this exercise asks for {kind.what} (the value itself), not a function; "
                f"got {describe(answer)}.",
            )
        ((_, case),) = self.cases()
        expected = self.reference(**case)
        try:
            value = kind.read(answer)
        except WrongAnswer as problem:
            return Feedback(False, f"Not quite: {problem}.")
        reference = kind.read(expected)
        if kind.same(value, reference):
            shown = number(value) if isinstance(kind, NumberAnswer) else show(value)
            return Feedback(True, f"Correct: {shown}.")
        if isinstance(kind, NumberAnswer) and kind.too_few_digits(value, reference):
            # right as far as it goes: a mistake matched at 3 digits by a 2-digit answer would be a guess
            return Feedback(False, "Not quite: " + kind.difference(value, reference, hidden=False))
        mistake = self.diagnosis(kind, [(case, value, reference)])
        if mistake is not None:
            return Feedback(False, mistake.message)
        return Feedback(False, "Not quite: " + kind.difference(value, reference, hidden=False))

    def diagnosis(self, kind, results: list[tuple[Case, Any, Any]]) -> Mistake | None:
        """The first mistake that explains every result (case, answer, expected), and at least one wrong one."""
        explaining = self.explaining(kind, results)
        return explaining[0] if explaining else None

    def explaining(self, kind, results: list[tuple[Case, Any, Any]]) -> list[Mistake]:
        """Every mistake that explains the answers ``results`` (the tests require one per example)."""
        found = []
        for mistake in self.mistakes:
            seen = False
            for case, value, expected in results:
                if kind.same(value, expected):
                    continue
                explains = mistake.explains(kind, value, expected, self.reference, case)
                if explains is False:
                    break
                seen = seen or bool(explains)
            else:
                if seen:
                    found.append(mistake)
        return found

    # ----------------------------------------------------------------------- a function
    def _check_function(self, function: Any, running: dict[str, str]) -> Feedback:
        if not callable(function) or isinstance(function, torch.Tensor):
            return Feedback(False, f"Not quite: expected a function (def ...), got {describe(function)}.")
        kind = self.answer.returns
        results, first_wrong = [], None
        for label, case in self.cases():
            running["case"] = label
            where = f"\nThe case: {label}: {describe_case(case)}."
            outcome = self._run_case(function, kind, case, where)
            if isinstance(outcome, Feedback):
                if first_wrong is not None:  # report the first problem in case order: the wrong value before it
                    break
                return outcome
            value, reference = outcome
            if value is None:
                continue  # None where None is right
            results.append((case, value, reference))
            if first_wrong is None and not kind.same(value, reference):
                first_wrong = (value, reference, where)
        if first_wrong is not None:
            value, reference, where = first_wrong
            mistake = self.diagnosis(kind, results)
            text = mistake.message if mistake else "Not quite: " + kind.difference(value, reference, hidden=True)
            return Feedback(False, text + where)
        if self.gradients:
            problem = self._gradient_problem(function, running)
            if problem is not None:
                return Feedback(False, problem)
        labels = [label for label, _ in self.cases()]
        return Feedback(
            True, f"Correct: your function agrees with the reference on {len(labels)} cases ({'; '.join(labels)})."
        )

    def _run_case(self, function: Callable, kind, case: Case, where: str) -> Feedback | tuple[Any, Any]:
        """The learner's (read) output and the reference's on ``case``, or the Feedback on what went wrong."""
        given_case = copy.deepcopy(case)
        try:
            output = function(*given_case.values())
        except SystemExit as err:
            return Feedback(
                False,
                f"Not quite: your function called exit() or sys.exit(){'' if err.code is None else f' ({err.code})'}; "
                f"a function hands back its result with `return`.{where}",
            )
        except Exception as err:  # the learner's error, named, never raised
            return Feedback(False, f"Not quite: your function raised {type(err).__name__}: {err}{where}")
        if output is Ellipsis:
            return Feedback(False, NOT_ANSWERED + f"Hint: {self.hint}")
        changed = [name for name in case if not _equal(given_case[name], case[name])]
        if changed:
            return Feedback(
                False,
                f"Not quite: your function changed its argument {changed[0]} in place; build a "
                f"new tensor instead (autograd and the caller still need the old one).{where}",
            )
        expected = self.reference(**case)
        if expected is None or output is None:
            if expected is None and output is None:
                return None, None
            problem = "returned None (a function without `return` returns None)" if output is None else (
                f"returned {describe(output)} where None is expected"
            )
            return Feedback(False, f"Not quite: your function {problem}.{where}")
        if isinstance(kind, TensorAnswer) and isinstance(output, np.ndarray):
            return Feedback(
                False,
                "Not quite: your function returned a NumPy array; it must return a torch.Tensor (the course "
                f"hands the result to torch: build it with torch, or convert with torch.from_numpy).{where}",
            )
        try:
            value = kind.read(output)
        except WrongAnswer as problem:
            return Feedback(False, f"Not quite: {problem}.{where}")
        return value, kind.read(expected)

    def _gradient_problem(self, function: Callable, running: dict[str, str]) -> str | None:
        """None if autograd goes back through ``function`` as through the reference, else what is wrong."""
        names = " and ".join(self.gradients)
        for label, case in self.cases():
            running["case"] = f"{label} (backward)"
            where = f"\nThe case: {label}: {describe_case(case)}."
            expected, expected_inputs = _forward(self.reference, case, self.gradients)
            if not (isinstance(expected, torch.Tensor) and expected.requires_grad):
                continue  # the reference's result does not depend on them here (k = 0, say)
            try:
                output, inputs = _forward(function, case, self.gradients)
            except SystemExit:
                return f"Not quite: your function called exit() or sys.exit() when run with gradients.{where}"
            except Exception as err:
                return f"Not quite: with gradients on, your function raised {type(err).__name__}: {err}{where}"
            if not isinstance(output, torch.Tensor):
                return (
                    f"Not quite: your function returned {describe(output)}; the course trains through it, so it must "
                    f"return a torch.Tensor that autograd can follow back to {names}.{where}"
                )
            if not output.requires_grad:
                return (
                    f"Not quite: your result is cut off from autograd (by .detach(), .item(), .numpy(), "
                    f"torch.tensor(...) of computed values or torch.no_grad()); the course trains through this "
                    f"function, so the gradient must reach {names}.{where}"
                )
            weights = _weights(expected)
            wanted = _gradients(expected, weights, expected_inputs)
            try:
                got = _gradients(output.reshape(expected.shape), weights, inputs)
            except RuntimeError as err:
                first = str(err).split("\n")[0]
                advice = (
                    " An in-place write (out[row] = ..., +=) changed a value that autograd had saved for the "
                    "backward pass: apply f to the original tensor (f(Z[row])), or build the result with torch.cat."
                    if "inplace" in first
                    else ""
                )
                return (
                    f"Not quite: your values are right, but autograd cannot go back through your function "
                    f"(the course trains through it): RuntimeError: {first}.{advice}{where}"
                )
            for name, mine, theirs in zip(self.gradients, got, wanted):
                if not torch.allclose(mine.double(), theirs.double(), rtol=1e-4, atol=1e-5):
                    return (
                        f"Not quite: your values are right, but the gradient with respect to {name} is not the "
                        f"reference's: part of your computation is hidden from autograd (for example a .detach(), "
                        f".data, .item() or a NumPy step), and the course trains through this function.{where}"
                    )
        return None


def _forward(function: Callable, case: Case, names: tuple[str, ...]) -> tuple[Any, list[torch.Tensor]]:
    """``function`` on a copy of ``case`` whose arguments ``names`` require gradients."""
    given_case = copy.deepcopy(case)
    inputs = []
    for name in names:
        given_case[name] = given_case[name].detach().clone().requires_grad_(True)
        inputs.append(given_case[name])
    return function(*given_case.values()), inputs


def _weights(output: torch.Tensor) -> torch.Tensor:
    """Fixed, uneven weights: backward of (output · weights).sum() sees every entry differently."""
    steps = torch.arange(output.numel(), dtype=torch.float64)
    return (1.0 + 0.37 * torch.sin(1.7 * steps)).reshape(output.shape).to(output.dtype)


def _gradients(output: torch.Tensor, weights: torch.Tensor, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    grads = torch.autograd.grad((output * weights.to(output.dtype)).sum(), inputs, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


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


# --------------------------------------------------------------------------- the register
def _order(id: str) -> tuple[int, int]:
    notebook, k = id.split(".")
    return int(notebook), int(k)


def collect(modules: Iterable[Any]) -> dict[str, Exercise]:
    """The exercises of ``modules`` (each with a list ``EXERCISES``), by id, in course order.

    Raises ValueError at import when an id appears twice or out of course order."""
    by_id: dict[str, Exercise] = {}
    for module in modules:
        for exercise in module.EXERCISES:
            if exercise.id in by_id:
                raise ValueError(f"exercise {exercise.id} is defined twice (again in {module.__name__})")
            if by_id and _order(exercise.id) <= _order(list(by_id)[-1]):
                raise ValueError(
                    f"exercise {exercise.id} in {module.__name__} comes after {list(by_id)[-1]}: "
                    "keep the exercises in course order"
                )
            by_id[exercise.id] = exercise
    return by_id
