"""An MLP as an iterated map (notebook 07): equivalence with nn.Sequential,
the fixed point, the skipping schedule, bad input.

References are independent of the implementation: ``nn.Sequential`` itself,
its own autograd gradients, and a NumPy construction of the mask.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import IteratedMap, from_sequential, mlp_mask, random_mask

KINDS = ["dense", "blocks", "csr"]


def make_model(sizes, activations, seed=0, bias=True, dtype=torch.float32):
    torch.manual_seed(seed)
    layers = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias, dtype=dtype))
        if l < len(activations) and activations[l] is not None:
            layers.append(activations[l])
    return nn.Sequential(*layers)


MODELS = {
    "relu": ([5, 7, 4, 3], [nn.ReLU(), nn.ReLU()]),
    "tanh-gelu": ([6, 8, 8, 8, 2], [nn.Tanh(), nn.GELU(), nn.Sigmoid()]),
    "one-layer": ([4, 3], []),
    "final-activation": ([3, 9, 5], [nn.LeakyReLU(0.1), nn.Sigmoid()]),
    "wide": ([64, 128, 128, 10], [nn.ReLU(), nn.ReLU()]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(MODELS))
def test_equals_sequential(name, kind):
    sizes, activations = MODELS[name]
    model = make_model(sizes, activations)
    imap = from_sequential(model, kind=kind)
    x = torch.randn(17, sizes[0], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x)
        for schedule in ["full", "skip"]:
            got = imap(x, schedule=schedule)
            assert got.shape == expected.shape
            assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5), (got - expected).abs().max()


def test_chained_activations_and_no_bias():
    model = nn.Sequential(nn.Linear(4, 6, bias=False), nn.ReLU(), nn.Tanh(), nn.Linear(6, 2), nn.ELU())
    imap = from_sequential(model)
    x = torch.randn(9, 4)
    with torch.no_grad():
        assert torch.allclose(imap(x), model(x), atol=1e-6)


def test_float64_model_gives_float64_map():
    model = make_model([3, 5, 2], [nn.ReLU()], dtype=torch.float64)
    imap = from_sequential(model)
    x = torch.randn(4, 3, dtype=torch.float64)
    assert imap(x).dtype == torch.float64
    with torch.no_grad():
        assert torch.allclose(imap(x), model(x), atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_equal_sequential(kind):
    """dL/dU on the blocks is dL/dW of each layer; dL/db is dL/d(bias)."""
    sizes = [5, 6, 4, 3]
    model = make_model(sizes, [nn.Tanh(), nn.ReLU()])
    imap = from_sequential(model, kind=kind)
    x = torch.randn(11, 5)
    target = torch.randint(0, 3, (11,))
    nn.functional.cross_entropy(model(x), target).backward()
    nn.functional.cross_entropy(imap(x), target).backward()
    grad_U = imap.operator.dense_U_grad()
    grad_b = torch.cat([b.grad[:, 0] for b in imap.biases])
    starts = np.cumsum([0] + sizes)
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for l, layer in enumerate(linears, start=1):
        block = grad_U[starts[l]:starts[l + 1], starts[l - 1]:starts[l]]
        assert torch.allclose(block, layer.weight.grad, atol=1e-6)
        assert torch.allclose(grad_b[starts[l] - sizes[0]:starts[l + 1] - sizes[0]], layer.bias.grad, atol=1e-6)


def test_mask_matches_numpy_construction():
    sizes = [3, 4, 2]
    expected = np.zeros((9, 9))
    expected[3:7, 0:3] = 1  # layer 1: h1 <- x
    expected[7:9, 3:7] = 1  # layer 2: y <- h1
    assert np.array_equal(mlp_mask(sizes).numpy(), expected)
    assert int(mlp_mask([64, 128, 128, 10]).sum()) == 64 * 128 + 128 * 128 + 128 * 10


def test_init_and_matrix_notation():
    model = make_model([2, 3, 1], [nn.ReLU()])
    imap = from_sequential(model, kind="dense")
    Init = torch.zeros(6, 6)
    Init[:2, :2] = torch.eye(2)
    assert torch.equal(imap.Init, Init)
    assert torch.equal(imap.Omega, mlp_mask([2, 3, 1]))
    assert torch.allclose(imap.matrix[2:5, 0:2], model[0].weight)
    assert torch.allclose(imap.matrix, Init + imap.Omega * imap.U)


@pytest.mark.parametrize("kind", KINDS)
def test_each_iteration_fills_one_layer_then_fixed_point(kind):
    sizes = [4, 5, 3, 2]
    model = make_model(sizes, [nn.Tanh(), nn.Tanh()])
    imap = from_sequential(model, kind=kind)
    x = torch.randn(6, 4)
    states = imap.states(x, 6)
    starts = np.cumsum([0] + sizes)
    with torch.no_grad():
        outputs = [x]  # the input, then each layer's output after its activation
        for layer in model:
            if isinstance(layer, nn.Linear):
                outputs.append(layer(outputs[-1]))
            else:
                outputs[-1] = layer(outputs[-1])
    # slot k holds layer k's output from iteration k on
    for k in range(1, 4):
        for slot in range(1, k + 1):
            got = states[k][starts[slot]:starts[slot + 1]].T
            assert torch.allclose(got, outputs[slot], atol=1e-6), (k, slot)
    # the input persists, and past the depth nothing changes
    for state in states:
        assert torch.equal(state[:4], x.T)
    for k in range(4, 7):
        assert torch.equal(states[k], states[3])


def test_skip_schedule_exact_with_skip_connection():
    """A feed-forward block mask that is no MLP (x feeds h2 and y directly)."""
    sizes = [3, 4, 4, 2]
    mask = mlp_mask(sizes)
    mask[7:11, 0:3] = 1  # x -> h2
    mask[11:13, 0:3] = 1  # x -> y
    g = torch.Generator().manual_seed(3)
    bias = torch.rand(10, generator=g)
    for kind in KINDS:
        imap = IteratedMap(sizes, mask, bias=bias, activations=[nn.Tanh(), nn.ReLU(), None], kind=kind,
                           generator=torch.Generator().manual_seed(4))
        assert imap.depth == 3
        x = torch.randn(5, 3, generator=g)
        full = imap.states(x, 3)
        skip = imap.states(x, 3, schedule="skip")
        starts = np.cumsum([0] + sizes)
        for k in range(4):
            reached = starts[k + 1]  # slots 0..k are reached after k iterations
            assert torch.allclose(full[k][:reached], skip[k][:reached], atol=1e-6), (kind, k)
            assert torch.equal(skip[k][reached:], torch.zeros_like(skip[k][reached:]))
        assert torch.allclose(full[3], skip[3], atol=1e-6)
        assert torch.allclose(imap(x), imap(x, schedule="skip"), atol=1e-6)


def test_skip_schedule_equals_full_at_every_iteration_without_bias():
    """With zero biases and σ(0) = 0 the full schedule's unreached slots stay 0 too."""
    sizes = [4, 6, 5, 3]
    imap = IteratedMap(sizes, activations=[nn.ReLU(), nn.Tanh(), None], generator=torch.Generator().manual_seed(0))
    x = torch.randn(7, 4)
    full, skip = imap.states(x, 5), imap.states(x, 5, schedule="skip")
    for a, b in zip(full, skip):
        assert torch.allclose(a, b, atol=1e-6)


def test_skip_schedule_gradients_equal_full():
    sizes = [6, 8, 8, 4]
    target = torch.randint(0, 4, (10,))
    x = torch.randn(10, 6)
    grads = []
    for schedule in ["full", "skip"]:
        imap = IteratedMap(sizes, generator=torch.Generator().manual_seed(1))
        nn.functional.cross_entropy(imap(x, schedule=schedule), target).backward()
        grads.append([p.grad.clone() for p in imap.parameters()])
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-6)


def test_skip_schedule_refuses_loops():
    sizes = [3, 4, 2]
    mask = mlp_mask(sizes)
    mask[3:7, 3:7] = 1  # h1 -> h1, a loop
    imap = IteratedMap(sizes, mask)
    assert imap.depth is None
    imap(torch.randn(2, 3))  # the full schedule is fine
    with pytest.raises(ValueError, match="loop"):
        imap(torch.randn(2, 3), schedule="skip")


def test_random_mask():
    sizes = [5, 6, 3]
    mask = random_mask(sizes, 20, torch.Generator().manual_seed(0))
    assert mask.shape == (14, 14)
    assert int(mask.sum()) == 20
    assert not mask[:5].any()
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    again = random_mask(sizes, 20, torch.Generator().manual_seed(0))
    assert torch.equal(mask, again)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "model, words",
    [
        (nn.Sequential(nn.Linear(3, 4), nn.Conv1d(1, 1, 1), nn.Linear(4, 2)), ["model[1]", "Conv1d"]),
        (nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=1), nn.Linear(4, 2)), ["model[1]", "Softmax"]),
        (nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2)), ["model[1]", "Dropout"]),
        (nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)), ["model[1]", "LayerNorm"]),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)), ["model[2]", "mismatched"]),
        (nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), ["model", "nn.Linear"]),
        (nn.Sequential(), ["model", "nn.Linear"]),
    ],
)
def test_bad_models(model, words):
    with pytest.raises(ValueError) as caught:
        from_sequential(model)
    for word in words:
        assert word in str(caught.value)


def test_not_a_sequential():
    with pytest.raises(TypeError, match="model"):
        from_sequential(nn.Linear(3, 2))


@pytest.mark.parametrize("sizes", [[], [5], (3,)])
def test_too_few_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        mlp_mask(sizes)
    with pytest.raises(ValueError, match="sizes"):
        IteratedMap(sizes)


@pytest.mark.parametrize("sizes, error", [([3, 0, 2], ValueError), ([3, 2.5], TypeError), ("32", TypeError), (None, TypeError)])
def test_bad_sizes(sizes, error):
    with pytest.raises(error, match="sizes"):
        mlp_mask(sizes)


def test_bad_x_and_iterations():
    imap = IteratedMap([3, 4, 2])
    with pytest.raises(ValueError, match="x"):
        imap(torch.randn(5, 4))
    with pytest.raises(ValueError, match="x"):
        imap(torch.randn(3))
    with pytest.raises(ValueError, match="iterations"):
        imap(torch.randn(5, 3), iterations=0)
    with pytest.raises(ValueError, match="schedule"):
        imap(torch.randn(5, 3), schedule="sometimes")
    assert imap([[0.0, 1.0, 2.0]]).shape == (1, 2)  # nested lists are rows too


def test_bad_mask_and_bias():
    with pytest.raises(ValueError, match="mask"):
        IteratedMap([2, 2], mask=torch.ones(4, 4))  # trainable input rows
    with pytest.raises(ValueError, match="mask"):
        IteratedMap([2, 2], mask=torch.full((4, 4), 0.5))
    with pytest.raises(ValueError, match="bias"):
        IteratedMap([2, 2], bias=torch.zeros(3))
    with pytest.raises(ValueError, match="activations"):
        IteratedMap([2, 2, 2], activations=[None])
    with pytest.raises(ValueError, match="entries"):
        random_mask([2, 2], 100)


# ---------------------------------------------- issue 17: every statement right
@pytest.mark.parametrize("batch", [6, 5])
def test_prelu_per_feature_equals_sequential(batch):
    """PReLU(num_parameters=6) has one slope per feature: torch's channel axis is dim 1 of the rows (m, 6).
    On the column layout it would take the batch for the channels (wrong for m = 6, an error for m = 5)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.PReLU(num_parameters=6), nn.Linear(6, 3))
    with torch.no_grad():
        model[1].weight.copy_(torch.linspace(-1.0, 1.0, 6))
    imap = from_sequential(model)
    x = torch.randn(batch, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x)
        for schedule in ["full", "skip"]:
            assert torch.allclose(imap(x, schedule=schedule), expected, atol=1e-5)


def dense_fixed_point(imap, x, activations, iterations=50):
    """The plain dense loop z ← σ(S z + b) from z = [x; 0; …; 0], iterated until it stops changing."""
    sizes, S = imap.sizes, imap.matrix
    b = torch.cat([torch.zeros(sizes[0]), imap.bias.detach()])[:, None]
    z = torch.cat([x.T, torch.zeros(sum(sizes[1:]), x.shape[0])])
    for _ in range(iterations):
        p = S @ z + b
        parts = list(p.split(sizes))
        new = torch.cat([parts[0]] + [q if f is None else f(q) for q, f in zip(parts[1:], activations)])
        if torch.equal(new, z):
            break
        z = new
    else:
        raise AssertionError("the dense loop did not settle")
    return z[-sizes[-1]:].T


def test_a_slot_that_reads_only_its_bias_has_depth_one():
    """Slot 1 reads no slot (z_1 = tanh(b_1)), slot 2 reads slot 1, slot 3 reads slot 2: depth 3, not 2."""
    sizes = [4, 3, 3, 2]
    mask = mlp_mask(sizes)
    mask[4:7, 0:4] = 0  # slot 1 reads nothing
    g = torch.Generator().manual_seed(0)
    acts = [torch.tanh, torch.tanh, None]
    imap = IteratedMap(sizes, mask, bias=torch.randn(8, generator=g), activations=acts, generator=g)
    assert imap.slot_depth[1:] == [1, 2, 3] and imap.depth == 3
    x = torch.randn(5, 4, generator=g)
    expected = dense_fixed_point(imap, x, acts)
    with torch.no_grad():
        for schedule in ["full", "skip"]:
            assert torch.allclose(imap(x, schedule=schedule), expected, atol=1e-6), schedule


def test_random_masks_equal_the_dense_fixed_point():
    """random_mask can leave a slot reading nothing (seed 86 for [4, 3, 3, 2] with 8 entries: slot 3 reads only its bias)."""
    sizes = [4, 3, 3, 2]
    acts = [torch.tanh, torch.tanh, None]
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(5))
    for seed in range(200):
        g = torch.Generator().manual_seed(seed)
        imap = IteratedMap(sizes, random_mask(sizes, 8, g), bias=torch.randn(8, generator=g), activations=acts,
                           generator=g)
        if imap.depth is None:
            continue
        expected = dense_fixed_point(imap, x, acts)
        with torch.no_grad():
            for schedule in ["full", "skip"]:
                assert torch.allclose(imap(x, schedule=schedule), expected, atol=1e-6), (seed, schedule)


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_layers_without_bias_have_no_trainable_bias():
    """A layer without bias stays without: frozen zeros, not parameters; the counts equal the model's."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6, bias=False), nn.Tanh(), nn.Linear(6, 3))
    imap = from_sequential(model)
    assert count(imap) == count(model) == 4 * 6 + 6 * 3 + 3
    x, y = torch.randn(9, 4), torch.randn(9, 3)
    for net in (model, imap):
        optimiser = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(5):
            optimiser.zero_grad()
            ((net(x) - y) ** 2).sum().backward()
            optimiser.step()
    assert not imap.bias[:6].any()  # the first layer's slot
    assert torch.allclose(imap.bias[6:], model[2].bias.detach(), atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(imap(x), model(x), atol=1e-5)


def test_from_sequential_refuses_a_model_on_several_devices():
    """The map lives on one device: its copied activations follow it (a PReLU left on 'meta' would not)."""
    model = nn.Sequential(nn.Linear(4, 5), nn.PReLU().to("meta"), nn.Linear(5, 3))
    with pytest.raises(ValueError, match="model.*device"):
        from_sequential(model)


def test_from_sequential_map_moves_as_a_whole():
    model = nn.Sequential(nn.Linear(4, 5), nn.PReLU(), nn.Linear(5, 3))
    imap = from_sequential(model).to("meta")
    assert {t.device.type for t in [*imap.parameters(), *imap.buffers()]} == {"meta"}


def test_lists_and_tensors_with_nan_get_one_answer():
    """One rule: a map's forward lets NaN through, as nn.Sequential does, in a list as in a tensor."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    imap = from_sequential(model)
    x = [[float("nan"), 0.0, 1.0], [1.0, 2.0, 3.0]]
    with torch.no_grad():
        expected = model(torch.tensor(x))
        for given in (x, torch.tensor(x), np.array(x)):
            torch.testing.assert_close(imap(given), expected, equal_nan=True)


def test_bool_x_is_numbers():
    """One rule: booleans are the numbers 0 and 1, for IteratedMap as for RecurrentMap."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    imap = from_sequential(model)
    x = torch.tensor([[True, False, True]])
    with torch.no_grad():
        assert torch.allclose(imap(x), model(x.float()), atol=1e-6)


@pytest.mark.parametrize("argument", ["U", "bias"])
def test_finer_U_or_bias_is_refused_not_rounded(argument):
    value = torch.zeros(9, 9, dtype=torch.float64) if argument == "U" else torch.zeros(6, dtype=torch.float64)
    with pytest.raises(TypeError, match=rf"{argument} is torch.float64 but .* torch.float32"):
        IteratedMap([3, 4, 2], **{argument: value}, dtype=torch.float32)
    IteratedMap([3, 4, 2], **{argument: value}, dtype=torch.float64)  # the same dtype: fine
    IteratedMap([3, 4, 2], **{argument: value.tolist()}, dtype=torch.float32)  # lists are the caller's numbers
