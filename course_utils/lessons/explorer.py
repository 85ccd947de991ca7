"""Sliders: a figure with keyword defaults and the ipywidgets controls that move it.

An ``Explorer`` is a drawing function plus a factory of its controls. A
notebook first draws the figure once with a plain call, then hands the same
explorer to ``interact``::

    explore_training()                                              # plain cell
    _ = interact(explore_training, **explore_training.controls())   # slider cell

Each lesson module defines its notebook's explorers with the ``explorer``
decorator; ``course_utils.lessons.explorers()`` collects them all (for the
tests and benchmarks). ``figure`` draws without showing.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

from matplotlib.figure import Figure

__all__ = ["Explorer", "control_positions", "control_values", "explorer"]


@dataclass
class Explorer:
    """A figure that sliders redraw.

    Attributes:
        name: the function's name, unique in the course.
        notebook: the notebook that uses it (file name without ``.ipynb``).
        draw: ``draw(**values) -> Figure``, keyword defaults = slider defaults.
        make_controls: returns fresh ipywidgets controls, one per keyword.
    """

    name: str
    notebook: str
    draw: Callable[..., Figure]
    make_controls: Callable[[], dict[str, Any]]

    def figure(self, **values: Any) -> Figure:
        """Draw for ``values`` (defaults elsewhere) and return the figure."""
        return self.draw(**values)

    def __call__(self, **values: Any) -> None:
        """Draw and show (what ``interact`` calls); returns None so that
        ``interact`` does not display the figure a second time. In a Jupyter
        kernel the figures of the settings next to this one are drawn while
        the kernel is idle, and shown from there when asked (``idle.show``)."""
        from . import idle

        idle.show(self, values)

    def controls(self) -> dict[str, Any]:
        """Fresh widgets for ``interact(self, **self.controls())``."""
        return self.make_controls()

    @property
    def defaults(self) -> dict[str, Any]:
        """The keyword defaults of ``draw`` (the sliders start there)."""
        return {
            name: p.default
            for name, p in inspect.signature(self.draw).parameters.items()
            if p.default is not inspect.Parameter.empty
        }

    @property
    def __signature__(self) -> inspect.Signature:  # lets interact see the keywords
        return inspect.signature(self.draw)

    @property
    def __name__(self) -> str:
        return self.name


def control_values(control: Any) -> list[Any]:
    """The values a control can take that matter most for testing: its
    minimum and maximum for a slider, every option for a dropdown or a
    selection slider, both states for a checkbox.

    ``FloatLogSlider`` ranges are exponents; the values returned are
    ``base ** min`` and ``base ** max``, what the callback receives.
    """
    import ipywidgets as widgets

    if isinstance(control, widgets.FloatLogSlider):
        return [control.base**control.min, control.base**control.max]
    if hasattr(control, "options") and hasattr(control, "index"):
        values = []
        start = control.index
        for i in range(len(control.options)):
            control.index = i
            values.append(control.value)
        control.index = start
        return values
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    raise TypeError(f"control_values does not know the control {type(control).__name__}")


def _steps(low: float, high: float, step: float) -> list[float]:
    """``low, low + step, ...`` up to ``high`` (the positions of a slider's
    handle), rounded to 12 decimals so that 0.1 is 0.1 and not 0.1000000001."""
    if not (step > 0 and high >= low):
        raise ValueError(f"control: a slider needs step > 0 and max >= min, got min={low}, max={high}, step={step}")
    count = int(math.floor((high - low) / step + 1e-9))
    return [round(low + i * step, 12) for i in range(count + 1)]


def _readout(control: Any, value: Any) -> str:
    fmt = getattr(control, "readout_format", None) or ""
    try:
        return format(value, fmt)
    except (TypeError, ValueError):
        return str(value)


def control_positions(control: Any) -> list[tuple[str, Any]]:
    """Every value the learner can give ``control``, in its order, as
    ``(label, value)``: each handle position of a slider (``min``, ``min +
    step``, ... ``max``; for ``FloatLogSlider`` ``base ** exponent`` at each
    exponent step), each option of a dropdown or a selection slider, both
    states of a checkbox. Labels are the widget's readout (its
    ``readout_format``), an option's label, or ``"on"``/``"off"``.

    The control's current value (its start) is returned as itself, not as a
    recomputed float, so that the defaults are among the positions exactly.
    Used by the book (``make book``) to precompute each slider's figures.
    """
    import ipywidgets as widgets

    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [("off", False), ("on", True)]
    if hasattr(control, "options") and hasattr(control, "index"):
        positions = []
        start = control.index
        for i in range(len(control.options)):
            control.index = i
            positions.append((str(control.label), control.value))
        control.index = start
        return positions
    if isinstance(control, widgets.FloatLogSlider):
        values = [control.base**exponent for exponent in _steps(control.min, control.max, control.step)]
    elif isinstance(control, widgets.IntSlider):
        values = list(range(control.min, control.max + 1, control.step))
    elif isinstance(control, widgets.FloatSlider):
        values = _steps(control.min, control.max, control.step)
    else:
        raise TypeError(f"control_positions does not know the control {type(control).__name__}")
    start = control.value
    values = [start if math.isclose(v, start, rel_tol=1e-9, abs_tol=1e-12) else v for v in values]
    return [(_readout(control, v), v) for v in values]


def explorer(notebook: str, controls: Callable[[], dict[str, Any]]) -> Callable[[Callable[..., Figure]], Explorer]:
    """Decorator: make ``draw`` an explorer of ``notebook`` with these controls."""

    def register(draw: Callable[..., Figure]) -> Explorer:
        found = Explorer(draw.__name__, notebook, draw, controls)
        found.__doc__ = draw.__doc__
        return found

    return register
