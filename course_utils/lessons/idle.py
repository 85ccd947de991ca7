"""The kernel's idle moments: a slider's next results computed before the learner asks for them.

The sliders of notebooks 06, 07 and 08 train a small model for a setting not
seen before (50-150 ms, more than the drawing). After each drawing, ``ahead``
queues the settings one step away on each control, then two steps, and so
on, the direction of the last move first; the kernel's event loop computes
them one at a time when it has nothing else to do (a slider's message that
arrives meanwhile waits for at most the one result being computed). The
results go to the lessons' caches, so that the move answers at once. While a
learner looks at a figure the whole range of a control is ready in a second
or two.

Outside a Jupyter kernel with its running event loop (a script, the tests,
the book's build, another library's event loop such as Playwright's) nothing
is queued: every call computes what it needs, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import warnings
from typing import Any, Callable, Mapping

from .explorer import control_positions

__all__ = ["ahead"]

#: seconds between a drawing and the first result computed ahead (the
#: browser shows the figure meanwhile), and between two results
START_DELAY, GAP = 0.15, 0.02

_queue: list[Callable[[], Any]] = []
_handle: asyncio.TimerHandle | None = None
_last: dict[str, dict[str, Any]] = {}  # explorer name -> the setting drawn before
_positions: dict[str, dict[str, list[Any]]] = {}  # explorer name -> control -> its values


def _values(explorer: Any) -> dict[str, list[Any]]:
    if explorer.name not in _positions:
        _positions[explorer.name] = {name: [value for _, value in control_positions(control)]
                                     for name, control in explorer.controls().items()}
    return _positions[explorer.name]


def _index(values: list[Any], value: Any) -> int | None:
    for i, v in enumerate(values):
        if v == value or (isinstance(v, float) and isinstance(value, (int, float)) and abs(v - value) <= 1e-9 * max(1.0, abs(v))):
            return i
    return None


def neighbours(explorer: Any, setting: Mapping[str, Any], last: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The settings that differ from ``setting`` in one control, nearest
    first (one step, two steps, ...); at each distance the control moved last
    and the direction it moved in come first."""
    positions = _values(explorer)
    moved, forward = None, 1
    if last is not None:
        for name, values in positions.items():
            now, before = _index(values, setting.get(name)), _index(values, last.get(name))
            if now is not None and before is not None and now != before:
                moved, forward = name, 1 if now > before else -1
                break
    order = sorted(positions, key=lambda name: name != moved)  # the control moved last first
    found = []
    for distance in range(1, max(len(v) for v in positions.values())):
        for name in order:
            values = positions[name]
            here = _index(values, setting.get(name))
            if here is None:
                continue
            steps = (forward, -forward) if name == moved else (1, -1)
            for step in steps:
                j = here + step * distance
                if 0 <= j < len(values):
                    found.append({**setting, name: values[j]})
    return found


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (IPython's ZMQ shell), whose event loop is idle between messages."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return type(get_ipython()).__name__ == "ZMQInteractiveShell"


def ahead(explorer: Any, setting: Mapping[str, Any], warm: Callable[..., Any]) -> bool:
    """After ``explorer`` drew ``setting``: queue ``warm(**other)`` for every
    ``other`` of ``neighbours`` (replacing what was still queued), to run
    when the kernel is idle. ``warm`` computes what the drawing needs (into
    the lessons' caches), not the figure. Returns whether it queued
    anything: False outside a Jupyter kernel's running event loop."""
    global _handle
    if not _in_kernel():
        return False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    setting = dict(setting)
    _queue[:] = [(lambda other=other: warm(**other)) for other in neighbours(explorer, setting, _last.get(explorer.name))]
    _last[explorer.name] = setting
    if _handle is not None:
        _handle.cancel()
    _handle = loop.call_later(START_DELAY, _step)
    return True


def _step() -> None:
    """Compute the next queued result; schedule the one after."""
    global _handle
    _handle = None
    if not _queue:
        return
    task = _queue.pop(0)
    # a result computed ahead is a convenience: whatever it prints or warns
    # must not land in the output of the cell that ran last, and if it fails,
    # the slider computes it again when asked (and shows the error there)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            task()
        except Exception:  # noqa: BLE001 - see above
            pass
    if _queue:
        _handle = asyncio.get_running_loop().call_later(GAP, _step)
