"""An Elman RNN is the iterated map with its input injected (course_utils.recurrent, notebook 08).

Every check compares ``from_rnn(rnn)`` with ``torch.nn.RNN`` itself: outputs
and h_n (tanh and ReLU, both layouts, with and without bias, with and without
h0, one sequence, stacks of layers, every storage), gradients with respect to
the weights, biases, input and h0, the blocks of S, float64, and bad input.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils.recurrent import RecurrentMap, rnn_mask
from course_utils.storage import slot_slices

T, M, N_IN, HIDDEN = 6, 3, 5, 7


def make_rnn(seed: int = 0, **kwargs) -> nn.RNN:
    torch.manual_seed(seed)
    return nn.RNN(N_IN, HIDDEN, **kwargs)


def sequences(rnn: nn.RNN, seed: int = 1, steps: int = T, batch: int = M) -> torch.Tensor:
    shape = (batch, steps, rnn.input_size) if rnn.batch_first else (steps, batch, rnn.input_size)
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=rnn.weight_ih_l0.dtype)


def start(rnn: nn.RNN, seed: int = 2) -> torch.Tensor:
    return torch.randn((rnn.num_layers, M, rnn.hidden_size), generator=torch.Generator().manual_seed(seed),
                       dtype=rnn.weight_ih_l0.dtype)


def assert_same(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5) -> None:
    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.allclose(a, b, atol=atol, rtol=0), float((a - b).abs().max())


# ------------------------------------------------------------------ outputs
CONFIGS = list(itertools.product(["tanh", "relu"], [False, True], [True, False], [False, True], [1, 2]))


@pytest.mark.parametrize("nonlinearity, batch_first, bias, with_h0, layers", CONFIGS,
                         ids=[f"{a}-bf{b}-bias{c}-h0{d}-L{e}" for a, b, c, d, e in CONFIGS])
def test_output_and_h_n_equal_nn_rnn(nonlinearity, batch_first, bias, with_h0, layers):
    rnn = make_rnn(nonlinearity=nonlinearity, batch_first=batch_first, bias=bias, num_layers=layers)
    x = sequences(rnn)
    h0 = start(rnn) if with_h0 else None
    output, h_n = cu.from_rnn(rnn)(x, h0)
    expected_output, expected_h_n = rnn(x, h0)
    assert_same(output, expected_output.detach())
    assert_same(h_n, expected_h_n.detach())


@pytest.mark.parametrize("batch_first", [False, True])
def test_one_sequence_unbatched(batch_first):
    rnn = make_rnn(num_layers=2, batch_first=batch_first)
    x = torch.randn(T, N_IN, generator=torch.Generator().manual_seed(3))
    h0 = torch.randn(2, HIDDEN, generator=torch.Generator().manual_seed(4))
    for args in [(x,), (x, h0)]:
        output, h_n = cu.from_rnn(rnn)(*args)
        expected_output, expected_h_n = rnn(*args)
        assert_same(output, expected_output.detach())
        assert_same(h_n, expected_h_n.detach())


@pytest.mark.parametrize("kind", ["dense", "blocks", "csr"])
def test_every_storage(kind):
    rnn = make_rnn(nonlinearity="relu", num_layers=2)
    x, h0 = sequences(rnn), start(rnn)
    output, h_n = cu.from_rnn(rnn, kind=kind)(x, h0)
    assert_same(output, rnn(x, h0)[0].detach())
    assert_same(h_n, rnn(x, h0)[1].detach())


def test_full_schedule_past_the_sequence_is_a_step_with_zero_input():
    """Schedule "full" with T + 2 iterations: the input slot is zero after x_T, as nn.RNN given two zero steps."""
    rnn = make_rnn()
    x = sequences(rnn)
    output, h_n = cu.from_rnn(rnn)(x, schedule="full", iterations=T + 2)
    padded = torch.cat([x, torch.zeros(2, M, N_IN)])
    expected_output, expected_h_n = rnn(padded)
    assert_same(output, expected_output.detach())
    assert_same(h_n, expected_h_n.detach())


def test_states_hold_the_rows_read_and_the_hidden_states():
    rnn = make_rnn(batch_first=True)
    x = sequences(rnn)
    rmap = cu.from_rnn(rnn)
    states = rmap.states(x)
    output, _ = rnn(x)
    assert len(states) == T + 1 and all(z.shape == (N_IN + HIDDEN, M) for z in states)
    assert not states[0].any()  # z_0: input off, h0 = 0
    for t in range(1, T + 1):
        assert_same(states[t][:N_IN], x[:, t - 1].T)  # the input slot: the x_t that iteration t read
        assert_same(states[t][N_IN:], output[:, t - 1].T.detach())


def test_stack_runs_one_iteration_behind_per_layer():
    rnn = make_rnn(num_layers=3)
    states = cu.from_rnn(rnn).states(sequences(rnn))
    assert len(states) == T + 3  # z_0 and T + L - 1 iterations
    slots = slot_slices([N_IN] + [HIDDEN] * 3)
    assert not states[1][slots[2]].any() and not states[2][slots[3]].any()  # layers 2, 3 wait their turn
    assert states[2][slots[2]].any() and states[3][slots[3]].any()


# ------------------------------------------------------------------ the matrix
def test_S_holds_the_weights_in_its_blocks():
    rnn = make_rnn(num_layers=2)
    rmap = cu.from_rnn(rnn)
    x, h1, h2 = slot_slices([N_IN, HIDDEN, HIDDEN])
    S = rmap.matrix
    assert torch.equal(S[h1, x], rnn.weight_ih_l0.detach())
    assert torch.equal(S[h1, h1], rnn.weight_hh_l0.detach())  # recurrent weights: the diagonal block h←h
    assert torch.equal(S[h2, h1], rnn.weight_ih_l1.detach())
    assert torch.equal(S[h2, h2], rnn.weight_hh_l1.detach())
    assert not S[x].any() and not S[h1, h2].any() and not S[h2, x].any()
    assert not rmap.Init.any()  # S = [[0, 0], [W_ih, W_hh]]: nothing carries the input over
    assert torch.equal(rmap.Omega, rnn_mask([N_IN, HIDDEN, HIDDEN]))
    assert torch.equal(S, rmap.Init + rmap.Omega * rmap.U)
    bias = torch.cat([rnn.bias_ih_l0 + rnn.bias_hh_l0, rnn.bias_ih_l1 + rnn.bias_hh_l1]).detach()
    assert torch.allclose(rmap.bias.detach(), bias)


def test_the_diagonal_blocks_tell_an_rnn_from_an_mlp():
    sizes = [4, 6, 6]
    rnn, mlp = rnn_mask(sizes), cu.mlp_mask(sizes)
    for rows in slot_slices(sizes):
        assert not mlp[rows, rows].any()
    for rows in slot_slices(sizes)[1:]:
        assert rnn[rows, rows].all()
    assert torch.equal(rnn - mlp, torch.block_diag(torch.zeros(4, 4), torch.ones(6, 6), torch.ones(6, 6)))


def test_the_map_shares_nothing_with_the_rnn():
    rnn = make_rnn()
    rmap = cu.from_rnn(rnn)
    x = sequences(rnn)
    before = rmap(x)[0].detach().clone()
    with torch.no_grad():
        rnn.weight_hh_l0.add_(1.0)
    assert torch.equal(rmap(x)[0].detach(), before)


def test_without_bias_the_biases_stay_zero():
    rmap = cu.from_rnn(make_rnn(bias=False))
    assert not rmap.bias.any()
    assert all(not b.requires_grad for b in rmap.biases)
    assert sum(p.numel() for p in rmap.parameters() if p.requires_grad) == N_IN * HIDDEN + HIDDEN * HIDDEN


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("nonlinearity, batch_first, layers", [("tanh", False, 1), ("relu", True, 1), ("tanh", True, 2)])
def test_gradients_equal_nn_rnn(nonlinearity, batch_first, layers):
    rnn = make_rnn(nonlinearity=nonlinearity, batch_first=batch_first, num_layers=layers)
    rmap = cu.from_rnn(rnn)
    x1, h1 = sequences(rnn).requires_grad_(True), start(rnn).requires_grad_(True)
    x2, h2 = x1.detach().clone().requires_grad_(True), h1.detach().clone().requires_grad_(True)
    g = torch.Generator().manual_seed(5)
    out_weight = torch.randn(rnn(x1, h1)[0].shape, generator=g)
    h_weight = torch.randn(h1.shape, generator=g)

    def loss(output, h_n):
        return (output * out_weight).sum() + (h_n * h_weight).sum()

    loss(*rnn(x1, h1)).backward()
    loss(*rmap(x2, h2)).backward()
    assert_same(x2.grad, x1.grad)
    assert_same(h2.grad, h1.grad)
    grad_U = rmap.operator.dense_U_grad()
    slots = slot_slices([N_IN] + [HIDDEN] * layers)
    for l in range(1, layers + 1):
        assert_same(grad_U[slots[l], slots[l - 1]], getattr(rnn, f"weight_ih_l{l - 1}").grad)
        assert_same(grad_U[slots[l], slots[l]], getattr(rnn, f"weight_hh_l{l - 1}").grad)
        assert_same(rmap.biases[l - 1].grad[:, 0], getattr(rnn, f"bias_ih_l{l - 1}").grad)
        assert_same(rmap.biases[l - 1].grad[:, 0], getattr(rnn, f"bias_hh_l{l - 1}").grad)


def test_training_both_gives_the_same_weights():
    """Without bias: nn.RNN's two biases b_ih, b_hh are one in the map, which an optimiser steps once, not twice."""
    rnn = make_rnn(batch_first=True, bias=False)
    rmap = cu.from_rnn(rnn)
    x = sequences(rnn)
    target = torch.randn(M, HIDDEN, generator=torch.Generator().manual_seed(6))
    for model in (rnn, rmap):
        optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(5):
            optimiser.zero_grad()
            ((model(x)[1][0] - target) ** 2).sum().backward()
            optimiser.step()
    assert_same(rmap.matrix[N_IN:, N_IN:], rnn.weight_hh_l0.detach(), atol=1e-5)
    assert_same(rmap(x)[0].detach(), rnn(x)[0].detach(), atol=1e-5)


# ------------------------------------------------------------------ dtypes and devices
def test_float64():
    rnn = make_rnn(nonlinearity="relu").double()
    rmap = cu.from_rnn(rnn)
    assert rmap.dtype == torch.float64
    x, h0 = sequences(rnn), start(rnn)
    output, h_n = rmap(x, h0)
    assert output.dtype == torch.float64
    assert_same(output, rnn(x, h0)[0].detach(), atol=1e-12)
    assert_same(h_n, rnn(x, h0)[1].detach(), atol=1e-12)


def test_float64_input_to_a_float32_map_is_refused():
    rmap = cu.from_rnn(make_rnn())
    with pytest.raises(TypeError, match=r"x is torch.float64 but rmap computes in torch.float32"):
        rmap(torch.zeros(T, M, N_IN, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"h0 is torch.float64"):
        rmap(torch.zeros(T, M, N_IN), torch.zeros(1, M, HIDDEN, dtype=torch.float64))


def test_every_tensor_follows_to():
    rmap = cu.from_rnn(make_rnn(num_layers=2), kind="dense").to(torch.float64)
    tensors = dict(rmap.named_parameters()) | dict(rmap.named_buffers())
    assert all(t.dtype == torch.float64 for t in tensors.values() if t.is_floating_point()), tensors.keys()
    rnn = make_rnn(num_layers=2).double()
    x = sequences(rnn)
    assert_same(rmap(x)[0].detach(), rnn(x)[0].detach(), atol=1e-6)
    assert rmap.matrix.dtype == rmap.Init.dtype == torch.float64


def test_slots_of_different_sizes_give_h_n_per_slot():
    rmap = RecurrentMap([3, 4, 2], rnn_mask([3, 4, 2]), generator=torch.Generator().manual_seed(0))
    x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(1))
    output, h_n = rmap(x)
    assert output.shape == (5, 2, 2)
    assert isinstance(h_n, tuple) and [h.shape for h in h_n] == [(2, 4), (2, 2)]
    again, _ = rmap(x, (torch.zeros(2, 4), torch.zeros(2, 2)))
    assert torch.equal(again, output)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("rnn, error, words", [
    ("rnn", TypeError, "torch.nn.RNN"),
    (nn.Linear(3, 4), TypeError, "torch.nn.RNN"),
    (nn.LSTM(3, 4), TypeError, "nn.LSTM"),
    (nn.GRU(3, 4), TypeError, "nn.GRU"),
    (nn.RNNCell(3, 4), TypeError, "torch.nn.RNN"),
    (nn.RNN(3, 4, bidirectional=True), ValueError, "bidirectional"),
    (nn.RNN(3, 4, num_layers=2, dropout=0.5), ValueError, "dropout"),
])
def test_from_rnn_refuses_what_is_not_an_elman_rnn(rnn, error, words):
    with pytest.raises(error, match="rnn") as info:
        cu.from_rnn(rnn)
    assert words in str(info.value)


@pytest.mark.parametrize("x, words", [
    (torch.zeros(T, M, N_IN + 1), "n0 = 5"),  # wrong input width
    (torch.zeros(T, M, N_IN, 1), "shape (T, m, n0)"),  # rank 4
    (torch.zeros(N_IN), "shape (T, m, n0)"),  # rank 1
    (torch.zeros(0, M, N_IN), "shape (T, m, n0)"),  # no steps
    ("sequence", "x must be a tensor"),
    (torch.zeros(T, M, N_IN, dtype=torch.complex64), "real"),
])
def test_bad_input_names_x(x, words):
    rmap = cu.from_rnn(make_rnn())
    with pytest.raises((ValueError, TypeError), match="x") as info:
        rmap(x)
    assert words in str(info.value)


@pytest.mark.parametrize("h0, words", [
    (torch.zeros(1, M + 1, HIDDEN), "(1, 3, 7)"),
    (torch.zeros(M, HIDDEN), "(1, 3, 7)"),
    ("zeros", "h0 must be None"),
])
def test_bad_h0(h0, words):
    rmap = cu.from_rnn(make_rnn())
    with pytest.raises((ValueError, TypeError), match="h0") as info:
        rmap(torch.zeros(T, M, N_IN), h0)
    assert words in str(info.value)


def test_bad_schedule_iterations_and_layout():
    rmap = cu.from_rnn(make_rnn())
    x = torch.zeros(T, M, N_IN)
    with pytest.raises(ValueError, match="schedule"):
        rmap(x, schedule="skip")
    with pytest.raises(ValueError, match="iterations"):
        rmap(x, schedule="full", iterations=T - 1)
    with pytest.raises(ValueError, match="iterations"):
        rmap(x, iterations=T + 1)  # the layers set it
    loop = rnn_mask([2, 3, 3])
    loop[2:5, 5:8] = 1.0  # h₁ reads h₂: a loop through two slots
    with pytest.raises(ValueError, match="schedule='full'"):
        RecurrentMap([2, 3, 3], loop)(torch.zeros(4, 1, 2))
    assert RecurrentMap([2, 3, 3], loop)(torch.zeros(4, 1, 2), schedule="full")[0].shape == (4, 1, 3)
    with pytest.raises(TypeError, match="batch_first"):
        RecurrentMap([2, 3], batch_first="yes")
    with pytest.raises(ValueError, match="h0 must be a tuple"):
        RecurrentMap([3, 4, 2])(torch.zeros(5, 2, 3), torch.zeros(2, 2, 4))


# ---------------------------------------------- issue 17: every statement right
@pytest.mark.parametrize("layers", [1, 2])
def test_without_bias_the_parameters_are_the_rnns(layers):
    """An RNN without bias gives a map without trainable bias: frozen zeros, not parameters (as from_sequential)."""
    rnn = make_rnn(bias=False, num_layers=layers)
    rmap = cu.from_rnn(rnn)
    assert sum(p.numel() for p in rmap.parameters()) == sum(p.numel() for p in rnn.parameters())
    x, target = sequences(rnn), torch.randn(M, HIDDEN, generator=torch.Generator().manual_seed(6))
    for model in (rnn, rmap):
        optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            optimiser.zero_grad()
            ((model(x)[1][-1] - target) ** 2).sum().backward()
            optimiser.step()
    assert not rmap.bias.any()
    assert_same(rmap(x)[0].detach(), rnn(x)[0].detach())


def test_bool_x_is_numbers():
    """One rule with IteratedMap: booleans are the numbers 0 and 1."""
    rnn = make_rnn()
    x = sequences(rnn) > 0
    assert_same(cu.from_rnn(rnn)(x)[0].detach(), rnn(x.float())[0].detach())


def test_nan_in_a_list_as_in_a_tensor():
    rnn = make_rnn()
    x = sequences(rnn)
    x[2, 1, 0] = float("nan")
    rmap = cu.from_rnn(rnn)
    torch.testing.assert_close(rmap(x.tolist())[0], rmap(x)[0], equal_nan=True)
    torch.testing.assert_close(rmap(x)[0], rnn(x)[0], equal_nan=True, atol=1e-5, rtol=1e-5)


def test_finer_bias_is_refused_not_rounded():
    with pytest.raises(TypeError, match=r"bias is torch.float64 but .* torch.float32"):
        RecurrentMap([3, 4], bias=torch.zeros(4, dtype=torch.float64))
