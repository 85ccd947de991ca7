"""A learning rate too large makes training diverge: no exception, a clear mark.

- ``train`` stops at the first non-finite loss with ``diverged=True``: the
  last loss is non-finite, every earlier one finite, and the losses agree
  with an independent loop (plain autograd + ``torch.optim.SGD``, the seed's
  way) up to that epoch.
- Every plotting function of ``course_utils`` (found by walking the
  package) that draws a training run draws a diverged one without raising
  and marks it ("diverged" in a text of the figure); the ones that draw
  an operator or a trajectory draw the diverged operator and its
  non-finite states without raising.
- Notebook 01's sliders reach a diverging setting, and its figure shows it.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
import pkgutil
import warnings
from typing import Any, Callable

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

import course_utils as cu
from course_utils.lessons import explorers
from course_utils.lessons.explorer import control_values

LR_DIVERGES = 10.0  # with 2 iterations the seed's problem blows up within a few dozen epochs


def seed_operator() -> cu.SparseMatrix:
    return cu.SparseMatrix(3, generator=cu.seed_generator())


def reference_losses(Init: torch.Tensor, Omega: torch.Tensor, X, Y, iterations: int, lr: float, epochs: int, tol: float):
    """The seed's loop, written independently: autograd and torch.optim.SGD."""
    U = torch.zeros_like(Init, requires_grad=True)
    optimizer = torch.optim.SGD([U], lr=lr)
    losses = []
    for _ in range(epochs):
        Z = X
        for _ in range(iterations):
            Z = (Init + Omega * U) @ Z
        loss = torch.sqrt(((Y - Z) ** 2).sum())
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] <= tol:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def diverged_run(epochs: int = 2000) -> tuple[cu.History, cu.SparseMatrix]:
    X, Y = cu.seed_data()
    S = seed_operator()
    return cu.train(S, X, Y, iterations=2, epochs=epochs, lr=LR_DIVERGES), S


def diverged_at_start() -> cu.History:
    """A run whose very first loss is NaN (an activation that returns NaN)."""
    X, Y = cu.seed_data()
    return cu.train(seed_operator(), X, Y, epochs=50, activation=lambda Z, j: Z * math.nan)


# ---------------------------------------------------------------- training
def test_large_lr_stops_at_first_non_finite_loss() -> None:
    history, _ = diverged_run()
    assert history.diverged and not history.converged
    assert not math.isfinite(history.losses[-1])
    assert all(math.isfinite(v) for v in history.losses[:-1])
    assert 1 < len(history.losses) < 2000, "stopped right away or ran every epoch: not a divergence"
    # the same numbers as an independent loop, which meets the same first non-finite loss
    X, Y = cu.seed_data()
    S = seed_operator()
    expected = reference_losses(S.Init, S.Omega, X, Y, 2, LR_DIVERGES, 2000, 0.01)
    assert len(expected) == len(history.losses)
    assert not math.isfinite(expected[-1])
    assert history.losses[:-1] == pytest.approx(expected[:-1], rel=1e-4)


def test_divergence_does_not_depend_on_the_epoch_budget() -> None:
    history, _ = diverged_run()
    stop = len(history.losses)
    shorter, _ = diverged_run(epochs=stop - 1)  # ends one epoch before the blow-up
    assert not shorter.diverged and not shorter.converged
    assert shorter.losses == history.losses[:-1]
    longer, _ = diverged_run(epochs=stop + 500)
    assert longer.diverged and len(longer.losses) == stop


def test_nan_at_first_epoch_is_a_divergence() -> None:
    history = diverged_at_start()
    assert history.diverged and not history.converged
    assert len(history.losses) == 1 and math.isnan(history.losses[0])
    assert "diverged" in history.report()


def test_divergence_in_float64_and_with_interim_losses() -> None:
    X, Y = cu.seed_data(torch.float64)
    S = cu.SparseMatrix(3, Init=torch.rand((3, 3), generator=cu.seed_generator()).double() * 0.1)
    history = cu.train(S, X, Y, iterations=3, epochs=5000, lr=LR_DIVERGES, interim_weight=0.5)
    assert history.diverged and not math.isfinite(history.losses[-1])
    assert all(math.isfinite(v) for v in history.losses[:-1])


# ---------------------------------------------------------------- plotting
def _plotting_functions() -> list[tuple[str, Callable]]:
    """Every public ``plot_*`` function defined in a module of course_utils
    (the core and the lessons)."""
    found: dict[str, Callable] = {}
    packages = [cu, importlib.import_module("course_utils.lessons")]
    for package in packages:
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_") or info.ispkg:
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, value in vars(module).items():
                if name.startswith("plot_") and inspect.isfunction(value) and value.__module__ == module.__name__:
                    found[f"{module.__name__.removeprefix('course_utils.')}.{name}"] = value
    return sorted(found.items())


def _first_parameter(function: Callable) -> tuple[str, str]:
    parameter = next(iter(inspect.signature(function).parameters.values()))
    return parameter.name, str(parameter.annotation)


def _kind(function: Callable) -> str:
    """What the plotting function draws, from its first parameter ("other"
    when it needs more required arguments than that one)."""
    name, annotation = _first_parameter(function)
    required = [p for p in inspect.signature(function).parameters.values() if p.default is inspect.Parameter.empty]
    if len(required) > 1:
        return "other"
    if "histor" in name.lower() or "History" in annotation:
        if "Mapping" in annotation or "dict" in annotation:
            return "labelled histories"
        if name.lower().startswith("histories") or annotation.startswith(("Sequence", "list")):
            return "histories"
        return "history"
    if name == "matrices" and "Mapping" in annotation:
        return "labelled operators"
    if "SparseMatrix" in annotation or name in {"S", "matrices", "operator"}:
        return "operator"
    if name in {"states", "trajectory"}:
        return "states"
    if name == "runs" and "Mapping" in annotation:
        return "labelled states"
    return "other"


PLOTTERS = _plotting_functions()
RUN_PLOTTERS = [(name, f) for name, f in PLOTTERS if "histor" in _kind(f)]
OTHER_PLOTTERS = [
    (name, f) for name, f in PLOTTERS if _kind(f) in {"operator", "labelled operators", "states", "labelled states"}
]


def figure_texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def _draw(function: Callable, argument: Any) -> Figure:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = function(argument)
        assert isinstance(fig, Figure) and fig.axes, f"{function.__name__} returned {fig!r}, not a Figure with axes"
        fig.canvas.draw()  # render, as a notebook does: errors and warnings may wait until then
    # what a learner would see below the figure (deprecation notices from
    # library code stay hidden in a notebook)
    shown = [
        f"{w.category.__name__}: {w.message}" for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    assert not shown, f"{function.__name__} warned while drawing a diverged run: {shown}"
    return fig


def test_plotting_functions_are_found() -> None:
    names = [name for name, _ in RUN_PLOTTERS]
    assert "plotting.plot_loss" in names, f"plot_loss not found among {PLOTTERS}"
    assert any(name == "plotting.plot_matrices" for name, _ in OTHER_PLOTTERS)


@pytest.mark.parametrize("start", [False, True], ids=["diverged later", "diverged at epoch 0"])
@pytest.mark.parametrize("name, function", RUN_PLOTTERS, ids=[n for n, _ in RUN_PLOTTERS])
def test_run_plots_mark_divergence(name: str, function: Callable, start: bool) -> None:
    history = diverged_at_start() if start else diverged_run()[0]
    argument = {
        "history": history,
        "histories": [history],
        "labelled histories": {"a run that diverged": history},
    }[_kind(function)]
    try:
        fig = _draw(function, argument)
        assert "diverg" in figure_texts(fig).lower(), (
            f"{name} does not mark the divergence: texts {figure_texts(fig)!r}"
        )
    finally:
        plt.close("all")


def test_plot_loss_marks_divergence_among_other_runs() -> None:
    """Several runs on one axes: the diverged one is marked, the others too."""
    X, Y = cu.seed_data()
    fig, ax = plt.subplots()
    try:
        for lr in (0.1, LR_DIVERGES):
            history = cu.train(seed_operator(), X, Y, iterations=2, epochs=500, lr=lr)
            cu.plot_loss(history, ax=ax, label=f"lr {lr:g}")
        fig.canvas.draw()
        texts = figure_texts(fig).lower()
        assert "diverg" in texts and "converged" in texts
    finally:
        plt.close("all")


@pytest.mark.parametrize("name, function", OTHER_PLOTTERS, ids=[n for n, _ in OTHER_PLOTTERS])
def test_operator_and_state_plots_draw_a_diverged_run(name: str, function: Callable) -> None:
    history, S = diverged_run()
    assert history.diverged
    if _kind(function) == "operator":
        argument = S
    elif _kind(function) == "labelled operators":
        argument = {"a diverged run": S.matrix.detach()}
    else:
        X, _ = cu.seed_data()
        states = cu.iterate(S, X, iterations=40)  # S is huge after the blow-up: states overflow
        assert not all(bool(torch.isfinite(Z).all()) for Z in states), "expected non-finite states"
        argument = states if _kind(function) == "states" else {"a diverged run": states}
    try:
        _draw(function, argument)
    finally:
        plt.close("all")


# ---------------------------------------------------------------- notebook 01's sliders
def _slider_values(control: Any) -> list[Any]:
    """Maximum, default and minimum of a control, as the callback receives them."""
    start = control.value
    extremes = control_values(control)[::-1]
    values = []
    for v in [extremes[0], start, *extremes[1:]]:
        if v not in values:
            values.append(v)
    return values


def test_notebook_01_sliders_reach_divergence() -> None:
    found = [e for e in explorers().values() if e.notebook.startswith("01")]
    assert found, "no explorer registered for notebook 01"
    seen = []
    for explorer in found:
        controls = explorer.controls()
        names = list(controls)
        for combo in itertools.product(*(_slider_values(controls[n]) for n in names)):
            values = dict(zip(names, combo))
            fig = explorer.figure(**values)  # no exception anywhere in the range
            try:
                assert isinstance(fig, Figure) and fig.axes
                fig.canvas.draw()
                if "diverg" in figure_texts(fig).lower():
                    seen.append((explorer.name, values))
            finally:
                plt.close("all")
            if seen:
                break
        if seen:
            break
    assert seen, "no setting of notebook 01's sliders shows a diverged run"
