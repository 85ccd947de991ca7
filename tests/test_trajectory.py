"""plot_trajectory: what the heatmap holds, labels, bad input (notebooks 04-06)."""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import course_utils as cu
from course_utils.lessons import iterated_exact as iterated


def drawn_grid(fig: Figure) -> np.ndarray:
    """The array behind the heatmap, gaps (masked cells) as NaN."""
    data = fig.axes[0].images[0].get_array()
    return np.ma.filled(data.astype(float), np.nan)


def test_one_example_one_column_per_state():
    X, Y = cu.seed_data(torch.float64)
    S = iterated.seed_family(1.5)
    states = [X, S @ X, S @ S @ X]
    fig = cu.plot_trajectory(states)
    grid = drawn_grid(fig)
    np.testing.assert_array_equal(grid, np.hstack([s.numpy() for s in states]))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["X", "SX", "S²X"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["e₁", "e₂", "e₃"]
    plt.close(fig)


def test_target_stands_apart_after_a_blank_column():
    X, Y = cu.seed_data(torch.float64)
    fig = cu.plot_trajectory([X, 2 * X], target=Y)
    grid = drawn_grid(fig)
    assert grid.shape == (3, 4)
    np.testing.assert_array_equal(grid[:, 0], X[:, 0].numpy())
    np.testing.assert_array_equal(grid[:, 1], 2 * X[:, 0].numpy())
    assert np.isnan(grid[:, 2]).all()
    np.testing.assert_array_equal(grid[:, 3], Y[:, 0].numpy())
    assert fig.axes[0].get_xticklabels()[-1].get_text() == "target Y"
    plt.close(fig)


def test_several_examples_are_blocks_with_gaps():
    g = torch.Generator().manual_seed(0)
    states = [torch.randn((4, 2), generator=g) for _ in range(3)]
    fig = cu.plot_trajectory(states, labels=["a", "b", "c"])
    grid = drawn_grid(fig)
    assert grid.shape == (4, 2 * 3 + 2)
    for j, state in enumerate(states):
        np.testing.assert_allclose(grid[:, 3 * j : 3 * j + 2], state.numpy(), rtol=1e-6)
    assert np.isnan(grid[:, 2]).all() and np.isnan(grid[:, 5]).all()
    ticks = fig.axes[0].get_xticks()
    np.testing.assert_allclose(ticks, [0.5, 3.5, 6.5])
    plt.close(fig)


def test_draws_on_given_axes_and_accepts_arrays_lists_vectors():
    fig, ax = plt.subplots()
    returned = cu.plot_trajectory([np.array([1.0, 0.0]), [[0.0], [1.0]]], ax=ax, title="mine")
    assert returned is fig
    assert ax.get_title() == "mine"
    np.testing.assert_array_equal(drawn_grid(fig), [[1.0, 0.0], [0.0, 1.0]])
    plt.close(fig)


def test_diverged_states_are_drawn_not_raised():
    states = [torch.ones(3, 1), torch.tensor([[math.nan], [math.inf], [1e30]])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = cu.plot_trajectory(states)
        fig.canvas.draw()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"nan", "inf", "1e+30"} <= texts
    plt.close(fig)


def test_values_written_in_cells_are_rounded():
    fig = cu.plot_trajectory([torch.tensor([[1.0 / 3.0], [-1e-17], [2.0]])])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["0.33", "0", "2.00"]
    plt.close(fig)


def test_state_labels():
    assert cu.state_labels(4) == ["X", "SX", "S²X", "S³X"]
    assert cu.state_labels(12)[11] == "S¹¹X"
    assert cu.state_labels(3, operator="σS") == ["X", "(σS)X", "(σS)²X"]
    with pytest.raises(TypeError, match="count"):
        cu.state_labels("3")
    with pytest.raises(ValueError, match="count"):
        cu.state_labels(-1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(states=[]), ValueError, "states"),
        (dict(states=torch.ones(3, 1)), TypeError, "states"),
        (dict(states=[torch.ones(3, 1), torch.ones(2, 1)]), ValueError, r"states\[1\]"),
        (dict(states=[torch.ones(3, 1)], labels=["a", "b"]), ValueError, "labels"),
        (dict(states=[torch.ones(3, 1)], labels="X"), TypeError, "labels"),
        (dict(states=[torch.ones(3, 1)], target=torch.ones(3, 2)), ValueError, "target"),
        (dict(states=[torch.ones(3, 1)], ax="left"), TypeError, "ax"),
        (dict(states=[torch.ones(2, 2, 2)]), ValueError, r"states\[0\]"),
        (dict(states=[["a", "b"]]), TypeError, r"states\[0\]"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        cu.plot_trajectory(**kwargs)
    plt.close("all")
