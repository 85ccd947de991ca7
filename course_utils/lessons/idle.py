"""A slider's next figures, drawn while the kernel is idle.

Moving a slider redraws its figure from scratch: 40-100 ms of drawing and
PNG encoding (more for a setting that trains a model first), about as long
again as the message round trip every ``interact`` costs. In a Jupyter
kernel with the inline backend, ``Explorer.__call__`` (what ``interact``
calls) goes through ``show`` here:

- the figure for a setting is drawn once and kept as the very outputs
  ``plt.show()`` publishes for it (``plotting.figure_outputs``: the PNG,
  ``<Figure size ...>``, the caption), then published;
- after each one, ``ahead`` queues the settings one step away on each
  control, then two steps (the control moved last, in the direction it
  moved, first); the kernel's event loop draws them one at a time while it
  has nothing else to do (a message that arrives meanwhile waits for at
  most the one figure being drawn), so that the next move publishes a
  figure already drawn.

What is kept is dropped when a cell starts to run (it may change rcParams or
the display settings); the queue waits while cells run. Outside a Jupyter
kernel's running event loop with the inline backend (a script, the tests,
the book's build, another library's event loop), ``show`` is ``draw`` and
``plt.show()``, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import warnings
from collections import OrderedDict
from typing import Any, Iterator, Mapping

from .explorer import control_positions

__all__ = ["ahead", "neighbours", "show"]

#: seconds between a figure shown and the first drawn ahead (the browser
#: shows the figure meanwhile), and between two drawn ahead
START_DELAY, GAP = 0.15, 0.02
#: steps drawn ahead on the control moved last, in the direction it moved
AHEAD = 2
#: figures kept per explorer
KEEP = 48

_queue: list[tuple[Any, dict[str, Any]]] = []  # (explorer, setting) to draw
_handle: asyncio.TimerHandle | None = None
_kept: dict[str, OrderedDict] = {}  # explorer name -> setting key -> outputs
_last: dict[str, dict[str, Any]] = {}  # explorer name -> the setting shown before
_positions: dict[str, dict[str, list[Any]]] = {}  # explorer name -> control -> its values
_hooked: list[Any] = []  # the shell whose cell events are watched


def _values(explorer: Any) -> dict[str, list[Any]]:
    if explorer.name not in _positions:
        _positions[explorer.name] = {name: [value for _, value in control_positions(control)]
                                     for name, control in explorer.controls().items()}
    return _positions[explorer.name]


def _value(value: Any) -> Any:
    """A control's value as settings compare it: a float to 10 significant
    digits (the browser computes a log slider's value, ``base ** exponent``,
    in its own last bits)."""
    return float(f"{value:.10g}") if isinstance(value, float) else value


def _index(values: list[Any], value: Any) -> int | None:
    return next((i for i, v in enumerate(values) if _value(v) == _value(value)), None)


def _key(setting: Mapping[str, Any]) -> tuple:
    """A setting as a dictionary key (its values as ``_value`` compares them)."""
    return tuple(sorted((name, _value(v)) for name, v in setting.items()))


def neighbours(explorer: Any, setting: Mapping[str, Any], last: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The settings a learner is likely to ask for next, likeliest first:
    if one control moved from ``last`` to ``setting``, its next ``AHEAD``
    steps in the direction it moved, then one step back; then every other
    control one step up and one step down. Each differs from ``setting`` in
    one control."""
    positions = _values(explorer)
    moved, forward = None, 1
    if last is not None:
        for name, values in positions.items():
            now, before = _index(values, setting.get(name)), _index(values, last.get(name))
            if now is not None and before is not None and now != before:
                moved, forward = name, 1 if now > before else -1
                break
    found = []
    for name in sorted(positions, key=lambda name: name != moved):  # the control moved last first
        values = positions[name]
        here = _index(values, setting.get(name))
        if here is None:
            continue
        steps = [forward * k for k in range(1, AHEAD + 1)] + [-forward] if name == moved else [1, -1]
        found.extend({**setting, name: values[here + step]} for step in steps if 0 <= here + step < len(values))
    return found


def _kernel_loop() -> tuple[Any, asyncio.AbstractEventLoop] | None:
    """(IPython's shell, its running event loop) in a Jupyter kernel with the inline backend; else None."""
    from ..plotting import _inline_kernel

    found = _inline_kernel()
    if found is None or type(found[0]).__name__ != "ZMQInteractiveShell":
        return None
    try:
        return found[0], asyncio.get_running_loop()
    except RuntimeError:
        return None


def _built(explorer: Any, setting: Mapping[str, Any], leave_open: bool) -> Any:
    """``explorer.draw(**setting)``: the figure, if it is the one figure the
    drawing made; else None (only ``plt.show()`` shows several figures as it
    would), the figures it made left open if ``leave_open``, else closed."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())

    def close_made() -> None:
        if not leave_open:
            for number in plt.get_fignums():
                if number not in before:
                    plt.close(number)

    try:
        figure = explorer.draw(**setting)
    except BaseException:
        close_made()
        raise
    if [n for n in plt.get_fignums() if n not in before] != [getattr(figure, "number", None)]:
        close_made()
        return None
    return figure


def show(explorer: Any, setting: Mapping[str, Any]) -> None:
    """Show ``explorer``'s figure at ``setting``, as ``draw`` and
    ``plt.show()`` do, from the figures kept if it is there; then queue its
    neighbours (in a Jupyter kernel; elsewhere only draw and show)."""
    import matplotlib.pyplot as plt
    from IPython.display import publish_display_data

    found = _kernel_loop()
    if found is None:
        explorer.draw(**setting)
        plt.show()
        return
    _watch_cells(found[0])
    setting = {**explorer.defaults, **setting}  # a plain call and the sliders' first call: one setting
    if _current is not None and _current[0] is explorer and _key(_current[1]) == _key(setting):
        _finish_current()  # being drawn ahead: the stages done are not done again
    if _wanted(explorer, setting):
        for _ in _stages(explorer, setting, leave_open=True):
            pass
    outputs = _kept.get(explorer.name, {}).get(_key(setting))
    if outputs is None:  # not one figure: as plt.show() would, nothing kept
        plt.show()
        return
    _keep(explorer, setting, outputs)  # the latest shown, the last forgotten
    for data, metadata in outputs:
        publish_display_data(data, metadata)
    ahead(explorer, setting)


def _keep(explorer: Any, setting: Mapping[str, Any], outputs: list[tuple[dict, dict]]) -> None:
    kept = _kept.setdefault(explorer.name, OrderedDict())
    kept[_key(setting)] = outputs
    kept.move_to_end(_key(setting))
    while len(kept) > KEEP:
        kept.popitem(last=False)


def _wanted(explorer: Any, setting: Mapping[str, Any]) -> bool:
    return _key(setting) not in _kept.get(explorer.name, {})


def ahead(explorer: Any, setting: Mapping[str, Any]) -> bool:
    """Queue the neighbours of ``setting`` not drawn yet (before whatever
    else was queued), to be drawn when the kernel is idle. False outside a
    Jupyter kernel's running event loop (nothing queued)."""
    found = _kernel_loop()
    if found is None:
        return False
    setting = dict(setting)
    fresh = [(explorer, other) for other in neighbours(explorer, setting, _last.get(explorer.name))
             if _wanted(explorer, other)]
    _queue[:] = fresh + [(e, s) for e, s in _queue if e.name != explorer.name]
    _last[explorer.name] = setting
    if _current is not None and not any(e is _current[0] and _key(s) == _key(_current[1]) for e, s in fresh):
        _drop_current()  # a drawing no longer wanted: not finished
    _schedule(found[1], START_DELAY)
    return True


def _schedule(loop: asyncio.AbstractEventLoop, delay: float) -> None:
    global _handle
    if _handle is not None:
        _handle.cancel()
    _handle = loop.call_later(delay, _step) if (_queue or _current is not None) else None


# the drawing under way, in stages: (explorer, setting, its stages)
_current: tuple[Any, dict[str, Any], Iterator[None]] | None = None


def _stages(explorer: Any, setting: dict[str, Any], leave_open: bool = False) -> Iterator[None]:
    """Draw ``setting`` and keep what ``plt.show()`` would publish, in three
    stages (the computing and building of the figure; matplotlib's drawing of
    it; the PNG and the caption), so that a message arriving while it is drawn
    ahead waits for one stage at most, not for the whole figure. Nothing is
    kept if the drawing made other figures too (``_built``)."""
    import matplotlib.pyplot as plt

    from ..plotting import figure_outputs

    figure = _built(explorer, setting, leave_open)
    if figure is None:
        return
    try:
        yield
        figure.canvas.draw()  # figure_outputs's PNG uses this drawing (the figure is not stale)
        yield
        _keep(explorer, setting, figure_outputs(figure))
    finally:
        plt.close(figure)


def _finish_current() -> None:
    """Run the stages left of the drawing under way (it is kept), as ``_step`` would."""
    while _current is not None:
        _advance()


def _drop_current() -> None:
    global _current
    if _current is not None:
        _current[2].close()  # its figure closed
        _current = None


def _step() -> None:
    """One stage of the drawing under way, or of the next one queued; schedule the next stage."""
    global _handle, _current
    _handle = None
    if _current is None:
        while _queue:
            explorer, setting = _queue.pop(0)
            if _wanted(explorer, setting):
                _current = (explorer, setting, _stages(explorer, setting))
                break
        else:
            return
    _advance()
    _schedule(asyncio.get_running_loop(), GAP)


def _advance() -> None:
    """One stage of the drawing under way."""
    global _current
    # a figure drawn ahead is a convenience: whatever it prints or warns must
    # not land in the output of the cell that ran last, and if it fails, the
    # slider draws it again when asked (and shows the error there)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            next(_current[2])
        except StopIteration:
            _current = None
        except Exception:  # noqa: BLE001 - see above
            _drop_current()


def _watch_cells(shell: Any) -> None:
    """Once per kernel: a cell that starts drops what was kept and holds the
    queue; when it ends, the queue goes on."""
    if shell in _hooked:
        return
    _hooked.append(shell)
    shell.events.register("pre_run_cell", _cell_starts)
    shell.events.register("post_run_cell", _cell_ends)


def _cell_starts(info: Any = None) -> None:
    global _handle
    _kept.clear()
    _drop_current()
    if _handle is not None:
        _handle.cancel()
        _handle = None


def _cell_ends(result: Any = None) -> None:
    try:
        _schedule(asyncio.get_running_loop(), START_DELAY)
    except RuntimeError:
        pass
