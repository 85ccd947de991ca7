"""Exercises and their checker (every notebook ends its sections with a few).

    from course_utils import exercises
    exercises.check("01.1", answer)      # feedback: .correct and .message
    exercises.ids()                      # "01.1", "01.2", ... in course order
    exercises.reference("01.1")          # a correct answer (the notebooks show solutions)

An answer is a number, a tensor or a function, as the exercise asks; ``...``
means "not answered yet". ``check`` never raises for any answer: it says what is
wrong, names the exception where the learner's function raised one, and
recognises the usual mistakes (transposed, rows versus columns, one iteration
too few or too many, the mask not applied, 1-based index, squared versus
unsquared norm). A function is called on hidden cases, on copies of their
arguments, edge cases included, within a time limit, with what it prints
captured and capped; a function the course trains through must let autograd
go back through it. A derived number is checked to 3 significant digits.

Each notebook's exercises are one module here, named like its lesson, one
block per exercise (README: "Adding an exercise"); ``checking.py`` holds the
checker, ``guard.py`` the time limit and the capture of printing.
"""

from __future__ import annotations

from typing import Any

from . import (
    depth_and_the_saddle,
    exact_inverse,
    interim_losses_and_fixed_points,
    iterated_exact,
    linear_operator,
    mlp_as_sparse_map,
    nonlinear_activations,
    recurrent_is_the_same_matrix,
)
from .checking import Exercise, Feedback, collect

__all__ = ["Feedback", "check", "ids", "reference"]

# the notebooks' modules in course order; a duplicated or misplaced id fails here, at import
MODULES = (
    linear_operator,
    exact_inverse,
    depth_and_the_saddle,
    iterated_exact,
    nonlinear_activations,
    interim_losses_and_fixed_points,
    mlp_as_sparse_map,
    recurrent_is_the_same_matrix,
)
_BY_ID: dict[str, Exercise] = collect(MODULES)


def ids() -> list[str]:
    """The exercises' ids in course order, "NN.k" (notebook NN, exercise k)."""
    return list(_BY_ID)


def exercise(id: Any) -> Exercise:
    """The exercise ``id`` (its reference, cases, hint and mistakes)."""
    if not isinstance(id, str) or id not in _BY_ID:
        raise ValueError(f"id must be one of {', '.join(_BY_ID)}; got {id!r}")
    return _BY_ID[id]


def check(id: str, answer: Any) -> Feedback:
    """Check ``answer`` to exercise ``id``; ``...`` (the stub) is "Not answered yet"."""
    return exercise(id).check(answer)


def reference(id: str) -> Any:
    """A correct answer to exercise ``id`` (a value, or the reference function)."""
    return exercise(id).correct_answer()
