"""IteratedMap as a torch module (issue 9): what it owns follows the module.

Bug 1: the activations are submodules (their parameters train, ``.eval()``
reaches them). Bug 2: every tensor the map owns is a parameter or a buffer,
so ``.double()`` and ``.to(device)`` move all of it (the meta device stands in
for a GPU). Bug 4: an input in another floating dtype is refused, not
silently rounded. References: the ``nn.Sequential`` the map is made from.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from course_utils import IteratedMap, from_sequential, mlp_mask
from course_utils.storage import BlockSparse, DenseMasked

KINDS = ["dense", "blocks", "csr"]


def prelu_model() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.PReLU(), nn.Linear(5, 3))
    with torch.no_grad():
        model[1].weight.fill_(-0.7)  # not PReLU's default, so that a fresh PReLU would show
    return model


def partial_mask(sizes):
    """An MLP mask with a partly filled block (``BlockSparse`` keeps a mask for it)."""
    mask = mlp_mask(sizes)
    mask[sizes[0]:sizes[0] + 2, 0:sizes[0]] = 0
    return mask


# ------------------------------------------------------ bug 1: activations
def test_parameter_count_and_state_dict_equal_the_models():
    """With block storage the map holds exactly the model's tensors: W1, W2, b1, b2 and PReLU's weight."""
    model = prelu_model()
    imap = from_sequential(model, kind="blocks")
    mine, theirs = list(imap.parameters()), list(model.parameters())
    assert len(mine) == len(theirs) == 5
    assert sum(p.numel() for p in mine) == sum(p.numel() for p in theirs)
    assert sorted(t.numel() for t in imap.state_dict().values()) == sorted(t.numel() for t in model.state_dict().values())
    assert imap.state_dict()["activations.1.weight"].item() == pytest.approx(-0.7)
    # a state_dict round trip reaches the activation too
    state = imap.state_dict()
    state["activations.1.weight"] = torch.tensor([0.3])
    imap.load_state_dict(state)
    with torch.no_grad():
        model[1].weight.fill_(0.3)
        x = torch.randn(6, 4)
        assert torch.allclose(imap(x), model(x), atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_training_reaches_the_prelu_weight_like_sequential(kind):
    model = prelu_model()
    imap = from_sequential(model, kind=kind)
    x = torch.randn(9, 4, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 3, (9,), generator=torch.Generator().manual_seed(3))
    nn.functional.cross_entropy(model(x), y).backward()
    nn.functional.cross_entropy(imap(x), y).backward()
    prelu = imap.activations["1"]
    assert prelu is not model[1]  # a copy: training the map leaves the model alone
    assert any(p is prelu.weight for p in imap.parameters())
    assert torch.allclose(prelu.weight.grad, model[1].weight.grad, atol=1e-6)
    # and an optimiser of the map's parameters moves it as the model's own optimiser does
    for module in (model, imap):
        torch.optim.SGD(module.parameters(), lr=0.5).step()
    assert torch.allclose(prelu.weight, model[1].weight, atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(imap(x), model(x), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_eval_reaches_rrelu(kind):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.RReLU(0.1, 0.3), nn.Linear(6, 3))
    imap = from_sequential(model, kind=kind)
    x = torch.randn(50, 4)
    with torch.no_grad():
        assert not torch.equal(imap(x), imap(x))  # train mode: a random slope per entry
        imap.eval()
        first, second = imap(x), imap(x)
        assert torch.equal(first, second)
        assert torch.allclose(first, model.eval()(x), atol=1e-6)  # the mean slope, as the model in eval mode


def test_eval_reaches_dropout():
    sizes = [4, 8, 2]
    g = torch.Generator().manual_seed(0)
    U = torch.randn(14, 14, generator=g)
    dropped = IteratedMap(sizes, U=U, activations=[nn.Dropout(0.5), None])
    plain = IteratedMap(sizes, U=U, activations=[None, None])
    x = torch.randn(20, 4, generator=g)
    with torch.no_grad():
        assert not torch.allclose(dropped(x), plain(x))
        dropped.eval()
        assert torch.equal(dropped(x), dropped(x))
        assert torch.allclose(dropped(x), plain(x), atol=1e-6)


# --------------------------------------------------- bug 2: dtype and device
def _loose_tensors(module: nn.Module) -> list[str]:
    """Tensors a module keeps outside its parameters and buffers (which ``.to()`` would not move)."""
    found = []
    for name, sub in module.named_modules():
        for attr, value in vars(sub).items():
            if attr in ("_parameters", "_buffers", "_modules"):
                continue
            values = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, torch.Tensor) for v in values):
                found.append(f"{name}.{attr}")
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_everything_owned_is_a_parameter_or_buffer(kind):
    sizes = [3, 5, 4]
    imap = IteratedMap(sizes, partial_mask(sizes) if kind == "blocks" else None, kind=kind)
    assert _loose_tensors(imap) == []


@pytest.mark.parametrize("kind", KINDS)
def test_double_is_float64_everywhere_and_matches_sequential(kind):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4), nn.PReLU(), nn.Linear(4, 3))
    imap = from_sequential(model, kind=kind).double()
    model = model.double()
    for name in ("Init", "Omega", "U", "matrix"):
        assert getattr(imap, name).dtype == torch.float64, name
    assert all(t.dtype == torch.float64 for t in [*imap.parameters(), *imap.buffers()] if t.is_floating_point())
    x = torch.randn(11, 5, dtype=torch.float64)
    with torch.no_grad():
        out = imap(x)
        assert out.dtype == torch.float64
        assert torch.allclose(out, model(x), atol=1e-12, rtol=0)
        assert all(z.dtype == torch.float64 for z in imap.states(x))


def test_double_moves_block_masks():
    sizes = [3, 5, 4]
    g = torch.Generator().manual_seed(0)
    mask, U, bias = partial_mask(sizes), torch.randn(12, 12, generator=g), torch.randn(9, generator=g)
    blocks = IteratedMap(sizes, mask, U, bias, kind="blocks").double()
    partial = [b for b in blocks.operator.buffers() if b.is_floating_point()]
    assert partial and all(b.dtype == torch.float64 for b in partial)
    reference = IteratedMap(sizes, mask, U.double(), bias.double(), kind="dense", dtype=torch.float64)
    x = torch.randn(7, 3, dtype=torch.float64, generator=g)
    with torch.no_grad():
        assert torch.allclose(blocks(x), reference(x), atol=1e-12, rtol=0)
    assert torch.equal(blocks.Omega, mask.double())


@pytest.mark.parametrize("kind", KINDS)
def test_meta_device(kind):
    sizes = [3, 5, 4, 2]
    imap = IteratedMap(sizes, partial_mask(sizes) if kind == "blocks" else None, kind=kind).to("meta")
    for name in ("Init", "Omega", "U", "matrix"):
        value = getattr(imap, name)
        assert value.device.type == "meta" and value.shape == (14, 14), name
    for schedule in ("full", "skip"):
        out = imap(torch.empty(6, 3, device="meta"), schedule=schedule)
        assert out.device.type == "meta" and out.shape == (6, 2)
    states = imap.states(torch.empty(6, 3, device="meta"))
    assert "depth=3" in repr(imap)
    assert len(states) == 4 and all(z.device.type == "meta" and z.shape == (14, 6) for z in states)


# ------------------------------------------------- bug 4: the input's dtype
def test_float64_input_to_float32_map_is_refused():
    imap = from_sequential(prelu_model())
    x = torch.randn(3, 4, dtype=torch.float64)
    for call in (imap, imap.states):
        with pytest.raises(TypeError) as caught:
            call(x)
        message = str(caught.value)
        for word in ("x", "torch.float64", "torch.float32", "imap.double()", "x.float()"):
            assert word in message, (word, message)
    with torch.no_grad():  # the fix the message names works, and computes in float64
        assert imap.double()(x).dtype == torch.float64


def test_coarser_inputs_are_converted_without_loss():
    """float32 and integer inputs to a float64 map lose nothing: converted, not refused."""
    imap = IteratedMap([3, 4, 2], dtype=torch.float64)
    x = torch.randn(2, 3)
    whole = torch.tensor([[1, 2, 3], [0, -1, 4]])
    with torch.no_grad():
        assert torch.equal(imap(x), imap(x.double()))
        assert torch.equal(imap(whole), imap(whole.double()))
        assert torch.equal(imap(whole.tolist()), imap(whole.double()))


@pytest.mark.parametrize("cls", [DenseMasked, BlockSparse])
def test_storage_refuses_another_float_dtype(cls):
    op = cls([2, 3], mlp_mask([2, 3]))
    with pytest.raises(TypeError, match="float64"):
        op(torch.randn(5, 4, dtype=torch.float64))
    assert op(torch.randn(5, 4)).dtype == torch.float32


def test_from_sequential_shares_nothing_with_the_model():
    model = prelu_model()
    before = copy.deepcopy(model.state_dict())
    imap = from_sequential(model)
    loss = imap(torch.randn(4, 4)).square().sum()
    loss.backward()
    assert all(p.grad is None for p in model.parameters())
    torch.optim.SGD(imap.parameters(), lr=1.0).step()
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
