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
arguments, edge cases included. The exercises and their references are in
``table.py``, the checking in ``checking.py``.
"""

from __future__ import annotations

from typing import Any

from .checking import Exercise, Feedback
from .table import EXERCISES

__all__ = ["Feedback", "check", "ids", "reference"]

_BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}


def ids() -> list[str]:
    """The exercises' ids in course order, "NN.k" (notebook NN, exercise k)."""
    return list(_BY_ID)


def _exercise(id: Any) -> Exercise:
    if not isinstance(id, str) or id not in _BY_ID:
        raise ValueError(f"id must be one of {', '.join(_BY_ID)}; got {id!r}")
    return _BY_ID[id]


def check(id: str, answer: Any) -> Feedback:
    """Check ``answer`` to exercise ``id``; ``...`` (the stub) is "Not answered yet"."""
    return _exercise(id).check(answer)


def reference(id: str) -> Any:
    """A correct answer to exercise ``id`` (a value, or the reference function)."""
    return _exercise(id).reference()
