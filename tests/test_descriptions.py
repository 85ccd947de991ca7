"""Figures' text alternatives and colour (WCAG 2.1 AA: 1.1.1, 1.4.1, 1.4.11): the
shared figures of plotting.py and the lessons of notebooks 01–04.

- every figure function and every explorer (at its defaults and at the ends
  of its controls) gives its figure a description (``plotting.description``)
  that quotes numbers of the data drawn, the same each time it is drawn, and
  that changes when the data changes;
- ``setup()``'s palette has 3:1 contrast against white (the WCAG formula),
  and lines compared in one axes differ by more than colour;
- a mask's diagonal blocks are hatched, a highlighted bar and a shaded span
  too.

Notebooks 05–08 have their own file (test_descriptions_05_08.py).
"""

from __future__ import annotations

import inspect
import itertools
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import course_utils as cu
from course_utils import plotting
from course_utils.lessons import depth_and_the_saddle, exact_inverse, explorers, iterated_exact, linear_operator
from course_utils.lessons.explorer import control_values
from course_utils.mlp import IteratedMap

NOTEBOOKS = ("01_linear_operator", "02_exact_inverse", "03_depth_and_the_saddle", "04_iterated_exact")
EXPLORERS = {name: e for name, e in explorers().items() if e.notebook in NOTEBOOKS}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture(autouse=True)
def styled():
    """The notebooks' figure defaults (``setup()``), undone afterwards; figures closed."""
    with mpl.rc_context():
        plotting.setup()
        yield
    plt.close("all")


def described(fig: Figure, *numbers: str) -> str:
    """The figure's description, once checked: a few sentences, numbers in it, ``numbers`` among them."""
    assert isinstance(fig, Figure)
    text = plotting.description(fig)
    assert isinstance(text, str) and len(text) >= 40, text
    assert text == " ".join(text.split()) and (text[0].isupper() or text[0].isdigit()) and text.endswith("."), text
    found = NUMBER.findall(text)
    assert found, text
    for number in numbers:
        assert number in found, f"{number} not in {found}: {text}"
    assert "nan" not in text.split() or "not finite" in text, text
    return text


# ------------------------------------------------------------ the explorers of notebooks 01–04
def explorer_cases() -> list:
    cases = []
    for name, e in EXPLORERS.items():
        cases.append(pytest.param(name, {}, id=f"{name}-defaults"))
        for key, control in e.controls().items():
            values = control_values(control)
            for value in (values[0], values[-1]):
                cases.append(pytest.param(name, {key: value}, id=f"{name}-{key}={value}"))
    return cases


def test_the_explorers_of_notebooks_01_to_04_are_all_here():
    assert sorted(EXPLORERS) == ["explore_depth", "explore_examples", "explore_family", "explore_training"]


@pytest.mark.parametrize(("name", "values"), explorer_cases())
def test_each_explorer_describes_its_figure_at_its_settings(name, values):
    e = EXPLORERS[name]
    text = described(e.figure(**values))
    settings = {**e.defaults, **values}
    # the settings are in the words: each control's value, as the description writes it
    for key, value in settings.items():
        if isinstance(value, bool):
            assert ("log scale" if value else "linear scale") in text, (key, text)
        else:
            shown = {f"{value:.2f}", plotting.rounded(value), plotting.rounded(value, 2), str(value)}
            assert any(s in NUMBER.findall(text) for s in shown), (key, value, text)
    assert plotting.description(e.figure(**values)) == text  # the same words each time it is drawn


def test_the_explorers_quote_what_they_draw():
    text = described(EXPLORERS["explore_training"].figure(), "1.98", "104", "206", "0.01")
    assert "converged" in text
    history = linear_operator.seed_run(1.0, 5, 0.1, 401)
    assert history.diverged
    described(EXPLORERS["explore_training"].figure(lr=1.0, iterations=5), str(history.stop_epoch))
    sweep = exact_inverse.sweep_examples(1.0, exact_inverse.M_MAX)
    described(EXPLORERS["explore_examples"].figure(m=8, noise=1.0), f"{sweep.residuals[-1]:.3f}", f"{sweep.norm_A:.3f}")
    described(EXPLORERS["explore_depth"].figure(), "104", "206")
    text = described(EXPLORERS["explore_family"].figure(a=2.0), "2", "1", "2.236")  # S(2) = 2·e2e1ᵀ + 1·e3e2ᵀ
    assert "(2,1) = 2, (3,2) = 1" in text and "S²X = 2·e₃" in text
    assert "no member" in described(EXPLORERS["explore_family"].figure(a=0.0))


# ------------------------------------------------------------ every figure function
def histories() -> dict[str, cu.History]:
    return {
        "seed": linear_operator.seed_run(),
        "cut": linear_operator.seed_run(epochs=51),
        "blew up": linear_operator.seed_run(lr=1.0, iterations=5),
        "flat": cu.History([2.0] * 30, False, False),
    }


def small_map() -> IteratedMap:
    return IteratedMap([3, 2, 2], generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def sweeps() -> tuple:
    two = depth_and_the_saddle.plateau_sweep([0.1, 0.01], iterations=2, epochs=400)
    three = depth_and_the_saddle.plateau_sweep([0.5, 0.3, 0.02], iterations=3, epochs=300)
    return two, three


def test_plotting_figures_describe_themselves():
    runs = histories()
    described(plotting.plot_loss(runs["seed"]), "1.98", "104", "206", "0.01")
    text = described(plotting.plot_loss(runs["cut"], label="cut"), "50")
    assert "between 0.1 and 1" in text or "between 1 and 10" in text
    described(plotting.plot_loss(runs["blew up"]), str(runs["blew up"].stop_epoch))
    text = described(plotting.plot_losses(runs), "206", "50", str(runs["blew up"].stop_epoch), "29")
    assert all(f"{label}:" in text for label in runs)
    X, Y = cu.seed_data(torch.float64)
    S = iterated_exact.seed_family(2.0)
    text = described(plotting.plot_matrices({"S": S, "X": X}, title="two"), "2", "1")
    assert "S: 3 x 3, zero except (2,1) = 2, (3,2) = 1" in text and "X: 3 x 1" in text
    described(plotting.plot_matrices(cu.SparseMatrix(3, Init=torch.full((3, 3), 0.25))), "0.25")
    text = described(plotting.plot_trajectory(cu.iterate(S, X, 2), target=Y), "2")
    assert "X = 1·e₁, SX = 2·e₂, S²X = 2·e₃; target Y = 2·e₃" in text
    long = described(plotting.plot_trajectory(cu.iterate(S + torch.diag(torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)), X, 8)))
    assert "…" in long and "S⁸X equals S⁷X" in long
    wide = described(plotting.plot_trajectory([np.eye(3), np.full((3, 3), np.nan)]))
    assert "9 of its 9 entries not finite" in wide
    imap = small_map()
    text = described(plotting.plot_slots(imap, ["x", "h", "y"], lambda i, j: f"W{i}"), str(int(imap.Omega.sum())))
    assert "W1, W2" in text


def test_lesson_figures_describe_themselves():
    X, Y = cu.seed_data(torch.float64)
    members = {"min": cu.exact_solution(X, Y), "a": cu.exact_solution(X, Y) + torch.eye(3, dtype=torch.float64)}
    text = described(exact_inverse.plot_norms(members), "2.000", "2.646")
    assert "min (the smallest)" in text
    described(exact_inverse.plot_sweep(exact_inverse.sweep_examples(0.3), 5), "5", "0.30")
    text = described(depth_and_the_saddle.plot_saddle_slices(), "1.414", "0.7", "3.63")
    assert "saddle" in text
    two, three = sweeps()
    text = described(depth_and_the_saddle.plot_plateau_sweep([two, three]), *(str(v) for v in two.lengths if v))
    assert "3 iterations" in text
    described(depth_and_the_saddle.plot_plateau_laws(two, three), f"{depth_and_the_saddle.per_decade_predicted():.2f}")


def test_every_public_figure_function_of_plotting_is_tested_here():
    """A new figure function of plotting.py needs its line in the tests above."""
    source = inspect.getsource(test_plotting_figures_describe_themselves)
    figure_functions = [
        name for name, f in vars(plotting).items()
        if inspect.isfunction(f) and not name.startswith(("_", "describe")) and f.__module__ == plotting.__name__
        and inspect.signature(f).return_annotation in (Figure, "Figure")
    ]
    assert figure_functions and all(f"plotting.{name}(" in source for name in figure_functions), figure_functions


def test_a_description_changes_with_the_data():
    runs = histories()
    assert plotting.description(plotting.plot_loss(runs["seed"])) != plotting.description(plotting.plot_loss(runs["cut"]))
    one = plotting.description(plotting.plot_matrices({"S": iterated_exact.seed_family(1.0)}))
    two = plotting.description(plotting.plot_matrices({"S": iterated_exact.seed_family(2.0)}))
    assert one != two
    family = EXPLORERS["explore_family"]
    assert plotting.description(family.figure(a=1.0)) != plotting.description(family.figure(a=2.0))
    examples = EXPLORERS["explore_examples"]
    assert plotting.description(examples.figure(noise=0.0)) != plotting.description(examples.figure(noise=0.5))


def test_the_checks_can_fail():
    fig = plt.figure()
    with pytest.raises(AssertionError):
        described(fig)  # no description
    plotting.describe_figure(fig, "A figure without any number.")
    with pytest.raises(AssertionError):
        described(fig)
    plotting.describe_figure(fig, "Loss curve on a log scale: the loss starts at 1.98 and ends.")
    with pytest.raises(AssertionError):
        described(fig, "206")  # a number it does not quote


# ------------------------------------------------------------ numbers in words
def test_numbers_are_rounded_on_purpose():
    assert [plotting.rounded(v) for v in (1.98452, 0.0022513, 104, 2.4e-5, -0.0, 163.97)] == [
        "1.98", "0.00225", "104", "2.4e-05", "0", "164"]
    assert [plotting.fixed(v) for v in (1.0, -0.001, 1.41421, 2 / 3)] == ["1", "0", "1.41", "0.67"]
    assert plotting.between_powers_of_ten(0.0023) == "between 0.001 and 0.01"
    # a long run's last loss in words that its last bits do not change
    assert plotting.between_powers_of_ten(0.0023) == plotting.between_powers_of_ten(0.0023 * (1 + 1e-12))
    assert plotting.state_summary(np.array([0.0, -1.5, 2.0])) == "-1.5·e₂ + 2·e₃"
    assert plotting.matrix_summary(np.eye(2)) == "2 x 2, zero except (1,1) = 1, (2,2) = 1"


# ------------------------------------------------------------ colour: contrast, and more than colour
def relative_luminance(colour) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour."""
    channels = np.array(mpl.colors.to_rgb(colour))
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a, b="white") -> float:
    """WCAG 2.1's contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula():
    assert contrast("black") == pytest.approx(21.0)
    assert contrast("white") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the usual grey at the 4.5:1 limit
    assert contrast("tab:orange") < 3 and contrast("#F0E442") < 3  # matplotlib's orange, Okabe–Ito's yellow fail


def test_the_palette_has_3_to_1_contrast_and_is_the_default_cycle():
    ratios = {colour: contrast(colour) for colour in plotting.PALETTE}
    assert min(ratios.values()) >= 3.0, ratios
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert [mpl.colors.to_hex(c).upper() for c in cycle["color"]] == list(plotting.PALETTE)
    assert len(set(map(str, cycle["linestyle"]))) == len(cycle["linestyle"]) == len(plotting.PALETTE)
    # the default colours of the figures are the palette's: C0, C1, … resolve to it
    assert all(contrast(f"C{i}") >= 3.0 for i in range(len(plotting.PALETTE)))


def style(line: Line2D) -> tuple:
    return (line.get_linestyle(), str(getattr(line, "_unscaled_dash_pattern", None)), line.get_marker())


def colour_only_pairs(ax) -> list:
    """Pairs of lines (two points or more) in one axes that differ only by colour."""
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) >= 2 and line.get_visible()]
    return [
        (a.get_label(), b.get_label()) for a, b in itertools.combinations(lines, 2)
        if mpl.colors.to_hex(a.get_color()) != mpl.colors.to_hex(b.get_color()) and style(a) == style(b)
    ]


def test_lines_in_one_axes_differ_by_more_than_colour():
    runs = histories()
    figures = [
        plotting.plot_losses(runs),
        depth_and_the_saddle.plot_saddle_slices(),
        depth_and_the_saddle.plot_plateau_sweep(list(sweeps())),
        exact_inverse.plot_sweep(exact_inverse.sweep_examples(0.3), 5),
    ]
    for fig in figures:
        for ax in fig.axes:
            assert colour_only_pairs(ax) == [], plotting.description(fig)
    # the check can fail: two solid lines told apart by colour alone
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="C0", linestyle="-", label="a")
    ax.plot([0, 1], [1, 0], color="C1", linestyle="-", label="b")
    assert colour_only_pairs(ax) == [("a", "b")]


def hatched(ax) -> list:
    return [p for p in ax.patches if p.get_hatch()]


def test_the_mask_hatches_its_diagonal_blocks():
    sizes, names = [4, 6, 2], ["x", "h", "y"]
    mask = np.tril(np.ones((12, 12)))
    mask[4:10, 4:10] = 0
    fig, ax = plt.subplots()
    plotting.draw_mask(ax, mask, sizes, names, diagonal=True)
    boxes = [(p.get_x(), p.get_width()) for p in hatched(ax)]
    assert boxes == [(-0.5, 4), (9.5, 2)]  # x←x and y←y; h←h is empty here: nothing to hatch
    text = plotting.description(ax)
    assert "10 in x←x, 3 in y←y" in text and "(red, hatched)" in text and f"{int(mask.sum()) - 13} in the other" in text
    fig, ax = plt.subplots()
    plotting.draw_mask(ax, mask, sizes, names)
    assert hatched(ax) == [] and f"{int(mask.sum())} entries of 144" in plotting.description(ax)


def test_highlights_are_hatched_not_only_coloured():
    X, Y = cu.seed_data(torch.float64)
    members = {"a": cu.exact_solution(X, Y) + torch.eye(3, dtype=torch.float64), "min": cu.exact_solution(X, Y)}
    ax = exact_inverse.plot_norms(members).axes[0]
    assert [bool(p.get_hatch()) for p in ax.patches] == [False, True]  # the smallest
    assert len(hatched(exact_inverse.plot_sweep(exact_inverse.sweep_examples(0.0), 3).axes[0])) == 1
    assert len(hatched(EXPLORERS["explore_depth"].figure().axes[0])) == 1  # the plateau
    assert hatched(EXPLORERS["explore_depth"].figure(iterations=1).axes[0]) == []  # none to mark
