"""Lifting, the family S(a), routes and loss floors (notebook 04).

References: direct substitution (S [X H] = [H Y], S^k X = Y), NumPy least
squares for the lifted problem, NumPy matrix powers for route counts, and
the bound ||Y - S²X|| >= |Y_3| when no route exists.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.lessons import iterated_exact as iterated


def seed():
    return cu.seed_data(torch.float64)


def basis(i: int) -> torch.Tensor:
    return torch.eye(3, dtype=torch.float64)[:, i - 1 : i]


@pytest.mark.parametrize("trial", range(5))
def test_lifting_solves_the_stacked_system_by_substitution(trial):
    g = torch.Generator().manual_seed(trial)
    X = torch.randn((3, 1), generator=g, dtype=torch.float64)
    Y = torch.randn((3, 1), generator=g, dtype=torch.float64)
    H = torch.randn((3, 1), generator=g, dtype=torch.float64)
    Init = 0.1 * torch.rand((3, 3), generator=g, dtype=torch.float64)
    sol = cu.lift_solve(X, Y, H, Init=Init)
    S = Init + sol.U
    torch.testing.assert_close(sol.matrix, S)
    torch.testing.assert_close(S @ torch.cat([X, H], 1), torch.cat([H, Y], 1), atol=1e-10, rtol=0)
    torch.testing.assert_close(S @ S @ X, Y, atol=1e-10, rtol=0)
    assert sol.lifted_residual < 1e-10 and sol.loss < 1e-10
    assert sol.iterations == 2


def test_lifting_with_several_hidden_states_solves_k_iterations():
    g = torch.Generator().manual_seed(42)
    X, Y = (torch.randn((4, 1), generator=g, dtype=torch.float64) for _ in range(2))
    hidden = [torch.randn((4, 1), generator=g, dtype=torch.float64) for _ in range(3)]
    sol = cu.lift_solve(X, Y, hidden)
    S = sol.matrix
    Z = X
    for H in hidden:
        Z = S @ Z
        torch.testing.assert_close(Z, H, atol=1e-10, rtol=0)
    torch.testing.assert_close(S @ Z, Y, atol=1e-10, rtol=0)
    assert sol.iterations == 4
    # a 3-D array of hidden states and a nested list work too
    assert cu.lift_solve(X, Y, torch.stack(hidden)).loss < 1e-10
    # (nested lists become torch's default dtype, float32, as everywhere in the package)
    listed = cu.lift_solve(X.tolist(), Y.tolist(), hidden[0].tolist())
    assert listed.U.dtype == torch.get_default_dtype() and listed.loss < 1e-5


def test_overdetermined_lifting_is_numpy_least_squares():
    g = torch.Generator().manual_seed(7)
    X, Y, H = (torch.randn((3, 2), generator=g, dtype=torch.float64) for _ in range(3))
    sol = cu.lift_solve(X, Y, H)
    A = np.hstack([X.numpy(), H.numpy()])
    B = np.hstack([H.numpy(), Y.numpy()])
    # S A = B  <=>  Aᵀ Sᵀ = Bᵀ
    St, *_ = np.linalg.lstsq(A.T, B.T, rcond=None)
    np.testing.assert_allclose(sol.matrix.numpy(), St.T, atol=1e-10)
    assert sol.lifted_residual == pytest.approx(np.linalg.norm(St.T @ A - B), rel=1e-9)
    S2X = sol.matrix @ sol.matrix @ X
    assert sol.loss == pytest.approx(float(torch.linalg.norm(S2X - Y)), rel=1e-12)


def test_lifting_respects_the_mask():
    X, Y = seed()
    below = iterated.subdiagonal_mask()
    sol = cu.lift_solve(X, Y, 1.5 * basis(2), Omega=below)
    assert sol.loss < 1e-12
    assert iterated.support(sol.U) == [(2, 1), (3, 2)]
    # without (2,1) the hidden state a·e2 cannot be reached ...
    blocked = cu.lift_solve(X, Y, 1.5 * basis(2), Omega=iterated.mask_without((2, 1)))
    assert blocked.U[1, 0] == 0 and blocked.loss > 1
    # ... but the hidden state b·e3 can
    assert cu.lift_solve(X, Y, 1.5 * basis(3), Omega=iterated.mask_without((2, 1))).loss < 1e-12


@pytest.mark.parametrize("a", [-3.0, -1.0, -0.25, 0.1, 1.0, 2**0.5, 7.5])
def test_seed_family_squares_to_the_target(a):
    X, Y = seed()
    S = iterated.seed_family(a)
    torch.testing.assert_close(S @ X, a * basis(2))
    torch.testing.assert_close(S @ S @ X, Y, atol=1e-12, rtol=0)
    expected = np.zeros((3, 3))
    expected[1, 0], expected[2, 1] = a, 2 / a
    np.testing.assert_allclose(S.numpy(), expected)
    np.testing.assert_allclose(cu.lift_solve(X, Y, a * basis(2)).matrix.numpy(), expected, atol=1e-12)


def test_seed_family_norm_is_smallest_at_root_two():
    norms = {a: float(torch.linalg.norm(iterated.seed_family(a))) for a in np.linspace(0.5, 3, 251)}
    best = min(norms, key=norms.get)
    assert best == pytest.approx(2**0.5, abs=0.01)
    assert norms[best] == pytest.approx(2.0, abs=1e-3)


def test_seed_family_rejects_zero():
    with pytest.raises(ValueError, match="a must not be 0"):
        iterated.seed_family(0)
    with pytest.raises(TypeError, match="a"):
        iterated.seed_family("1")


@pytest.mark.parametrize(
    "hidden, match",
    [
        (torch.ones(2, 1), "hidden"),
        (torch.ones(3, 2), "hidden"),
        ([torch.ones(3, 1), torch.ones(3, 2)], r"hidden\[1\]"),
        ([], "hidden"),
    ],
)
def test_lifting_sizes_that_do_not_fit(hidden, match):
    X, Y = seed()
    with pytest.raises(ValueError, match=match):
        cu.lift_solve(X, Y, hidden)


def test_lifting_other_bad_input():
    X, Y = seed()
    with pytest.raises(ValueError, match="Y"):
        cu.lift_solve(X, torch.ones(3, 2), basis(2))
    with pytest.raises(ValueError, match="Init"):
        cu.lift_solve(X, Y, basis(2), Init=torch.zeros(2, 2))
    with pytest.raises(ValueError, match="Omega"):
        cu.lift_solve(X, Y, basis(2), Omega=0.5 * torch.ones(3, 3))
    with pytest.raises(TypeError, match="hidden"):
        cu.lift_solve(X, Y, "e2")


def random_masks(count: int, n: int = 3):
    g = np.random.default_rng(0)
    return [(g.random((n, n)) < 0.5).astype(float) for _ in range(count)]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_routes_are_counted_by_matrix_powers(k):
    for mask in random_masks(20) + [np.ones((3, 3)), iterated.subdiagonal_mask().numpy()]:
        found = iterated.routes(mask, iterations=k)
        power = np.linalg.matrix_power(mask, k)
        assert len(found) == int(power[2, 0])
        for route in found:
            assert len(route) == k
            assert route[0][1] == 1 and route[-1][0] == 3
            for (i, j) in route:
                assert mask[i - 1, j - 1] == 1
            for (i, _), (_, j) in zip(route, route[1:]):
                assert i == j  # consecutive entries chain up
        assert len({tuple(r) for r in found}) == len(found)


def test_routes_other_ends():
    mask = np.ones((4, 4))
    assert len(iterated.routes(mask, 2, source=2, target=3)) == 4
    with pytest.raises(ValueError, match="source"):
        iterated.routes(mask, 2, source=5)


def test_no_route_means_floor_two_and_training_cannot_beat_it():
    X, Y = seed()
    for mask in [iterated.mask_without((3, 2), base=iterated.subdiagonal_mask()), iterated.mask_without((3, 1), (3, 2))]:
        assert iterated.routes(mask) == []
        floor = iterated.loss_floor(mask, X, Y)
        assert floor.loss == pytest.approx(2.0, abs=1e-9)
        # the bound holds for any U inside the mask
        g = torch.Generator().manual_seed(1)
        for _ in range(20):
            S = torch.randn((3, 3), generator=g, dtype=torch.float64) * mask
            assert float(torch.linalg.norm(Y - S @ S @ X)) >= 2.0 - 1e-12
        S, history = iterated.masked_run(mask, epochs=200)
        assert min(history.losses) >= 2.0 - 1e-12
        assert bool((S.matrix.detach()[mask == 0] == 0).all())


@pytest.mark.parametrize("mask", [np.ones((3, 3)), iterated.mask_without((2, 1)), iterated.subdiagonal_mask()])
def test_a_route_gives_an_exact_solution(mask):
    X, Y = seed()
    floor = iterated.loss_floor(mask, X, Y)
    assert floor.loss < 1e-8
    S = floor.U * torch.as_tensor(mask)
    assert float(torch.linalg.norm(S @ S @ X - Y)) == pytest.approx(floor.loss, abs=1e-12)
    assert bool((floor.U[torch.as_tensor(mask) == 0] == 0).all())


def test_loss_floor_with_init_and_three_iterations():
    X, Y = seed()
    Init = 0.05 * torch.ones(3, 3, dtype=torch.float64)
    floor = iterated.loss_floor(np.ones((3, 3)), X, Y, iterations=3, Init=Init)
    S = Init + floor.U
    assert float(torch.linalg.norm(S @ S @ S @ X - Y)) == pytest.approx(floor.loss, abs=1e-12)
    assert floor.loss < 1e-8


def test_masked_training_finds_a_balanced_member():
    S, history = iterated.masked_run(iterated.subdiagonal_mask())
    assert history.converged
    M = S.matrix.detach()
    assert iterated.support(M, tol=1e-12) == [(2, 1), (3, 2)]
    assert float(M[1, 0] * M[2, 1]) == pytest.approx(2.0, abs=0.05)  # S²e1 ≈ 2 e3


def test_mask_without_and_support():
    mask = iterated.mask_without((2, 1), (3, 3))
    assert mask[1, 0] == 0 and mask[2, 2] == 0 and mask.sum() == 7
    assert iterated.support(torch.tensor([[0.0, 1e-12], [2.0, 0.0]])) == [(2, 1)]
    with pytest.raises(ValueError, match="entries"):
        iterated.mask_without((4, 1))
    with pytest.raises(TypeError, match="entries"):
        iterated.mask_without([2, 1])


def test_tables_show_computed_values():
    X, Y = seed()
    text = iterated.family_table([-1.0, 2.0])
    assert text.count("True") == 2 and "2.2361" in text  # ||S(±1 or 2)||_F = √5
    hidden = {"e2": basis(2), "e1": basis(1)}
    lines = iterated.lifting_table(X, Y, hidden).splitlines()
    assert "(2,1) (3,2)" in lines[1]
    assert lines[2].split()[1] != "0.0000"  # H = e1 cannot be exact
    masks = {"full": torch.ones(3, 3), "cut": iterated.mask_without((3, 1), (3, 2))}
    report = iterated.mask_report(masks, X, Y).splitlines()
    assert report[1].split()[1:3] == ["3", "0.0000"]
    assert report[2].split()[1:3] == ["0", "2.0000"]


@pytest.mark.parametrize("bad", [0, -1])
def test_loss_floor_bad_input(bad):
    X, Y = seed()
    with pytest.raises(ValueError, match="starts"):
        iterated.loss_floor(np.ones((3, 3)), X, Y, starts=bad)
    with pytest.raises(ValueError, match="Omega"):
        iterated.loss_floor(np.ones((2, 2)), X, Y)


def test_all_masks_of_the_subdiagonal_family():
    """Every sub-mask of 'just below the diagonal': exact iff it keeps both entries."""
    X, Y = seed()
    for keep in itertools.product([0, 1], repeat=2):
        mask = torch.zeros(3, 3, dtype=torch.float64)
        mask[1, 0], mask[2, 1] = keep
        floor = iterated.loss_floor(mask, X, Y, starts=3)
        assert (floor.loss < 1e-8) == (keep == (1, 1))


# ---------------------------------------------- issue 17: every statement right
def test_a_finer_hidden_state_is_refused_not_rounded():
    X, Y = cu.seed_data(torch.float32)
    with pytest.raises(TypeError, match=r"hidden is torch.float64 but .*torch.float32"):
        cu.lift_solve(X, Y, torch.tensor([[0.0], [1.0], [0.0]], dtype=torch.float64))


def test_family_member_hands_out_the_callers_own_arrays():
    """A cached result mutated by one caller is pristine for the next (the bug class of train_on_seed)."""
    S, states, norm, error = iterated.family_member(1.5)
    reference = np.array([[0, 0, 0], [1.5, 0, 0], [0, 2 / 1.5, 0]])  # a·e₂e₁ᵀ + (2/a)·e₃e₂ᵀ by hand
    np.testing.assert_allclose(S, reference)
    S[0, 0] = 99.0
    states[1][:] = -1.0
    states.append(None)
    S2, states2, _, _ = iterated.family_member(1.5)
    np.testing.assert_allclose(S2, reference)
    np.testing.assert_allclose(states2[1], reference @ np.array([[1.0], [0.0], [0.0]]))
    assert len(states2) == 3
