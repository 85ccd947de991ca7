"""Figures of notebooks 05-08 have a text alternative and carry no information by colour alone.

- Every explorer of notebooks 05-08, at its defaults and at each end of each
  control, and every figure function of lessons 05-08 returns a figure with
  a description (``plotting.description``) that names a number of the data
  drawn, checked against that data computed here.
- A description follows the data: other data, other words.
- Second cues (WCAG 1.4.1): the lines of one axes differ in marker or line
  style, not only in colour; the blocks of notebook 08's masks, whose
  diagonal block is red, are named on the picture; a bar or a density drawn
  in a mask's colour is named in words.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils.data import seed_data  # noqa: E402
from course_utils.lessons import explorers  # noqa: E402
from course_utils.lessons import interim_losses_and_fixed_points as l06  # noqa: E402
from course_utils.lessons import mlp_as_sparse_map as l07  # noqa: E402
from course_utils.lessons import nonlinear_activations as l05  # noqa: E402
from course_utils.lessons import recurrent_is_the_same_matrix as l08  # noqa: E402
from course_utils.lessons.explorer import control_values  # noqa: E402
from course_utils.plotting import description  # noqa: E402
from course_utils.storage import slot_slices  # noqa: E402
from course_utils.training import History  # noqa: E402

NOTEBOOKS = ("05_", "06_", "07_", "08_")
EXPLORERS = {name: e for name, e in explorers().items() if e.notebook.startswith(NOTEBOOKS)}
LESSONS = (l05, l06, l07, l08)
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def text_of(fig) -> str:
    text = description(fig)
    assert isinstance(text, str) and text.strip(), "the figure has no description"
    assert NUMBER.search(text), f"the description names no number: {text!r}"
    assert "\n" not in text and "  " not in text
    return text


# ---------------------------------------------------------------- what the explorers drew, computed here
def _activation_numbers(activation="cube", extra=3, injection=True) -> list[str]:
    run = l05.train_on_seed(str(activation), **l05.CHAIN)
    X, _ = seed_data()
    sigma = cu.per_row(1, str(activation))
    if injection:
        sigma = cu.Injection(X, rows=0) >> sigma
    states = run.states(int(extra), sigma)
    return [l05._vector(states[-1]), f"run {len(states) - 1} iterations"]


def _interim_numbers(interim_weight=1.0, extra=4, init_noise=0.0) -> list[str]:
    run = l06.train_on_seed("identity", "full", init_noise=float(init_noise), interim_weight=round(float(interim_weight), 3))
    return [f"at epoch {run.history.stop_epoch}", l05._vector(run.states(int(extra))[-1])]


def _density_numbers(hidden=16, budget=1.0) -> list[str]:
    sizes = [64, int(hidden), int(hidden), 10]
    n = sum(sizes)
    equal = int(cu.mlp_mask(sizes).sum()) / (n * n)
    _, _, _, mask = l07.mask_run(int(hidden), float(budget) * equal, True)
    return [f"{int(mask.sum()):,} of {n * n:,} entries", f"{float(mask.sum()) / (n * n):.1%} as a dot"]


def _share_numbers(share=0.5) -> list[str]:
    accuracy, mask = l08.share_run(float(share))
    _, h, _ = slot_slices([8, l08.SLIDER_HIDDEN, 10])
    loop = int(mask[h, h].sum())
    return [f"about {accuracy:.1f}", f"h←h (diagonal) {loop:,}" if loop else "(density of h←h 0%"]


EXPECTED = {
    "explore_activation": _activation_numbers,
    "explore_interim": _interim_numbers,
    "explore_mask_density": _density_numbers,
    "explore_recurrent_share": _share_numbers,
}


def settings(name: str) -> list[dict]:
    """The defaults, then each control at each of its ends (every option of a dropdown)."""
    found = [{}]
    for key, control in EXPLORERS[name].controls().items():
        found += [{key: value} for value in control_values(control)]
    return found


def test_every_explorer_of_05_08_is_checked():
    assert set(EXPLORERS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_explorer_describes_its_figure_at_its_settings(name):
    explorer = EXPLORERS[name]
    for values in settings(name):
        text = text_of(explorer.figure(**values))
        for number in EXPECTED[name](**values):
            assert number in text, f"{name}({values}): {number!r} not in {text!r}"
        for key, value in values.items():  # the setting is named
            shown = {True: "with", False: "without"}.get(value) if isinstance(value, bool) else None
            assert shown is None or shown in text, (name, values, text)
        plt.close("all")


def test_explorer_descriptions_name_their_settings():
    assert "σ = tanh" in description(EXPLORERS["explore_activation"].figure(activation="tanh"))
    assert "interim weight 2.0 from init noise 0.1" in description(
        EXPLORERS["explore_interim"].figure(interim_weight=2.0, init_noise=0.1))
    assert "Hidden width 32" in description(EXPLORERS["explore_mask_density"].figure(hidden=32))
    assert "Share 12.5%" in description(EXPLORERS["explore_recurrent_share"].figure(share=0.125))


# ---------------------------------------------------------------- the lessons' figure functions
def _history(losses, converged=True, tol=0.01) -> History:
    return History(list(losses), converged, False, lr=0.01, iterations=2, tol=tol)


def _zigzag(low: float, high: float, epochs: int = 60) -> History:
    return _history([high if k % 2 else low for k in range(epochs)], converged=False, tol=0.0)


def _runs() -> dict:
    X, _ = seed_data()
    run = l05.train_on_seed("cube", **l05.CHAIN)
    return {"injection": run.states(4, cu.Injection(X, rows=0) >> cu.per_row(1, "cube")), "none": run.states(4)}


def _imap():
    torch.manual_seed(0)
    return cu.from_sequential(nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)))


def _figures():
    """(name, figure, strings its description must hold, computed from the data drawn)."""
    X, Y = seed_data()
    full = {fn: l05.train_on_seed(fn) for fn in ("identity", "relu")}
    runs = _runs()
    imap = _imap()
    states = imap.states(torch.rand((5, 4), generator=torch.Generator().manual_seed(1), dtype=torch.float32), 3)
    mask = cu.mlp_mask([6, 4, 3])
    times = {"densities": [0.01, 0.1, 0.5], "dense": [1e-3, 1e-3, 1e-3], "csr": [1e-4, 1e-3, 5e-3],
             "mlp": (0.2, 2e-4), "sizes": [4, 3, 2]}
    rmap = cu.from_rnn(nn.RNN(3, 4))
    S = rmap.matrix.detach()
    return [
        ("plot_elementwise", l05.plot_elementwise(span=1.5), ["tanh -0.91 and 0.91", "cube -3.38 and 3.38"]),
        ("plot_runs", l05.plot_runs({fn: run.history for fn, run in full.items()}),
         [f"identity (triangles) converged at epoch {full['identity'].history.stop_epoch}", "same run as identity"]),
        ("plot_drift", l05.plot_drift(runs, depth=2, Y=Y, row=2),
         [f"fixed from iteration {l05.settling_iteration(runs['injection'])}",
          f"{l05.distances(runs['none'], Y, rows=2)[-1]:.3f} at j = 6"]),
        ("plot_zigzag", l06.plot_zigzag({"a": _zigzag(0.001, 0.3), "b": _history(np.linspace(1, 0.5, 60), False)},
                                        window=(20, 40)),
         ["a (circles), 60 epochs: the loss zig-zags", "b (squares), 60 epochs: the loss does not zig-zag",
          "epochs 20 to 40"]),
        ("plot_accuracies", l07.plot_accuracies({"MLP": [0.9, 0.92], "random": [0.5]}),
         ["MLP 0.910 ± 0.014 over 2 runs", "random 0.500 ± 0.000 over 1 run"]),
        ("plot_operator (07)", l07.plot_operator(imap),
         [f"{int(imap.Omega.sum())} of {imap.n ** 2} entries", f"to {imap.matrix.max().item():.2f}"]),
        ("plot_mask", l07.plot_mask(mask, [6, 4, 3]), ["36 of 169 entries (21.3%)", "h1←x 24, y←h1 12"]),
        ("plot_states", l07.plot_states(states, imap.sizes), ["z_0 to z_3", "5 examples", "y from z_1"]),
        ("plot_mask_pair", l07.plot_mask_pair((6, 4, 3), seed=2), ["36 of 169 entries (21.3%)", "seed 2"]),
        ("plot_step_times", l07.plot_step_times(times), ["from 1.0% to 50.0%", "density 20.0%", "[4, 3, 2]"]),
        ("plot_operator (08)", l08.plot_operator(rmap), ["W_hh (h←h) 16", f"from {S.min().item():.2f}"]),
        ("plot_two_masks", l08.plot_two_masks(4), ["h←h (diagonal) 16", f"{8 * 4 + 16 + 40:,} entries"]),
    ]


FIGURE_FUNCTIONS = {"plot_elementwise", "plot_runs", "plot_drift", "plot_zigzag", "plot_accuracies", "plot_operator",
                    "plot_mask", "plot_states", "plot_mask_pair", "plot_step_times", "plot_two_masks"}


def test_every_figure_function_of_the_lessons_is_checked():
    drawn = {name for lesson in LESSONS for name in lesson.__all__ if name.startswith("plot_")}
    assert drawn == FIGURE_FUNCTIONS


def test_figure_functions_describe_their_data():
    for name, fig, expected in _figures():
        text = text_of(fig)
        for part in expected:
            assert part in text, f"{name}: {part!r} not in {text!r}"


def test_explorer_description_names_the_measured_accuracy_not_the_time():
    text = description(EXPLORERS["explore_mask_density"].figure())
    assert "ms" not in text.split() and "ms/step" not in text


# ---------------------------------------------------------------- descriptions follow the data
def test_descriptions_change_with_the_data():
    a = description(l07.plot_accuracies({"MLP": [0.9, 0.92]}))
    b = description(l07.plot_accuracies({"MLP": [0.8, 0.82]}))
    assert a != b and "0.810" in b
    assert description(l07.plot_mask(cu.mlp_mask([6, 4, 3]), [6, 4, 3])) != description(
        l07.plot_mask(cu.mlp_mask([6, 4, 3]) * 0 + torch.eye(13), [6, 4, 3]))
    assert description(l05.plot_elementwise(span=1.0)) != description(l05.plot_elementwise(span=2.0))
    share = EXPLORERS["explore_recurrent_share"]
    assert description(share.figure(share=0.0)) != description(share.figure(share=1.0))
    activation = EXPLORERS["explore_activation"]
    assert description(activation.figure(extra=0)) != description(activation.figure(extra=8))


def test_descriptions_are_deterministic():
    for name, explorer in EXPLORERS.items():
        assert description(explorer.figure()) == description(explorer.figure()), name


# ---------------------------------------------------------------- second cues (WCAG 1.4.1)
def _styles(ax) -> list[tuple]:
    """(marker, linestyle) of each named line of ``ax``."""
    return [(line.get_marker(), str(line.get_linestyle())) for line in ax.get_lines()
            if not line.get_label().startswith("_")]


def _distinct(ax) -> None:
    styles = _styles(ax)
    assert len(styles) >= 2
    assert len(set(styles)) == len(styles), f"lines told apart by colour only: {styles}"
    assert all(marker not in ("None", "", " ", None) for marker, _ in styles)


def test_loss_curves_differ_in_marker_not_only_colour():
    runs = {fn: l05.train_on_seed(fn).history for fn in ("identity", "cube", "tanh", "relu")}
    _distinct(l05.plot_runs(runs).axes[0])


def test_drift_lines_differ_in_marker_in_both_panels():
    _, Y = seed_data()
    for ax in l05.plot_drift(_runs(), depth=2, Y=Y).axes:
        _distinct(ax)


def test_zigzag_lines_differ_in_marker_in_both_panels():
    fig = l06.plot_zigzag({"a": _zigzag(0.001, 0.3), "b": _zigzag(0.002, 0.2)}, window=(20, 40))
    for ax in fig.axes:
        _distinct(ax)


def test_elementwise_reference_line_is_dotted():
    for ax in l05.plot_elementwise().axes:
        styles = [line.get_linestyle() for line in ax.get_lines()]
        assert styles == ["-", ":"]


def _texts(ax) -> dict[str, tuple[float, float]]:
    return {t.get_text(): t.get_position() for t in ax.texts}


@pytest.mark.parametrize("figure", ["plot_two_masks", "explore_recurrent_share"])
def test_the_red_diagonal_block_is_named_on_the_mask(figure):
    if figure == "plot_two_masks":
        fig, hidden = l08.plot_two_masks(16), 16
        mask_ax = fig.axes[1]
    else:
        fig, hidden = EXPLORERS[figure].figure(share=0.5), l08.SLIDER_HIDDEN
        mask_ax = fig.axes[0]
    centre = 8 + hidden / 2 - 0.5  # the middle of slot h (rows 8 .. 8 + hidden)
    labels = _texts(mask_ax)
    assert "h←h" in labels, f"the diagonal block is not named: {sorted(labels)}"
    assert labels["h←h"] == pytest.approx((centre, centre))
    assert {"h←x", "y←h"} <= set(labels)
    assert "h←h" not in _texts(l08.plot_two_masks(16).axes[0])  # the MLP has no diagonal block


def test_recurrent_share_bar_says_whether_it_has_h_h():
    share = EXPLORERS["explore_recurrent_share"]
    for value, word in ((0.0, "without h←h"), (0.5, "with h←h")):
        bar_ax = share.figure(share=value).axes[1]
        assert any(word in t.get_text() for t in bar_ax.texts), value


def test_mask_density_names_what_its_colours_mark():
    fig = EXPLORERS["explore_mask_density"].figure()
    _, ax_acc, ax_density = fig.axes
    texts = " ".join(t.get_text() for t in ax_acc.texts)
    assert "MLP mask" in texts and "random mask" in texts  # each bar named in words
    dots = [line for line in ax_density.get_lines() if line.get_marker() == "o"]
    assert len(dots) == 1 and "random mask (dot)" in ax_density.get_xlabel() and "MLP mask (line)" in ax_density.get_xlabel()


def test_accuracy_columns_are_named():
    ax = l07.plot_accuracies({"MLP mask": [0.9], "random mask": [0.5]}).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MLP mask", "random mask"]
