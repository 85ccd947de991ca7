"""The three storages of S = Init + Ω ⊙ U agree (notebook 07).

The dense masked operator is the reference; it is itself checked against a
NumPy product. The sparse ones must give the same S Z, the same gradient of
U (mapped back to n x n) and of Z, to 1e-5; CSR's hand-written backward pass
is also checked by finite differences (``torch.autograd.gradcheck``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from course_utils import mlp_mask, random_mask
from course_utils.storage import (
    CSR_CROSSOVER,
    BlockSparse,
    CSRSparse,
    DenseMasked,
    choose_kind,
    make_operator,
)

CASES = {
    "mlp": ([8, 16, 16, 4], lambda sizes, g: mlp_mask(sizes)),
    "random-2%": ([8, 30, 30, 4], lambda sizes, g: random_mask(sizes, 60, g)),
    "random-30%": ([6, 10, 10, 4], lambda sizes, g: random_mask(sizes, 270, g)),
    "mlp+partial": ([5, 7, 3], lambda sizes, g: _partial(sizes)),
}


def _partial(sizes):
    """An MLP mask with one block only partly filled (BlockSparse keeps its mask)."""
    mask = mlp_mask(sizes)
    mask[12:15, 5:12] = torch.tensor([[1, 0, 1, 0, 1, 0, 1]] * 3, dtype=mask.dtype)
    return mask


def build(case, dtype=torch.float32):
    sizes, make_mask = CASES[case]
    g = torch.Generator().manual_seed(0)
    mask = make_mask(sizes, g)
    n = sum(sizes)
    U = torch.randn(n, n, generator=g, dtype=dtype)
    ops = {cls.kind: cls(sizes, mask, U, dtype=dtype) for cls in (DenseMasked, BlockSparse, CSRSparse)}
    Z = torch.randn(n, 13, generator=g, dtype=dtype)
    return sizes, mask, U, Z, ops


@pytest.mark.parametrize("case", list(CASES))
def test_dense_reference_is_the_numpy_product(case):
    sizes, mask, U, Z, ops = build(case, torch.float64)
    n0 = sizes[0]
    S = np.zeros(mask.shape)
    S[:n0, :n0] = np.eye(n0)
    S = S + mask.numpy() * U.numpy()
    with torch.no_grad():
        assert np.allclose(ops["dense"](Z).numpy(), S @ Z.numpy(), atol=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_sparse_outputs_and_gradients_equal_dense(case):
    sizes, mask, U, Z, ops = build(case)
    W = torch.randn(Z.shape, generator=torch.Generator().manual_seed(1))  # a random linear loss
    results = {}
    for kind, op in ops.items():
        Zk = Z.clone().requires_grad_()
        out = op(Zk)
        # two applications, so that the gradient also flows through S Z
        (op(torch.tanh(out)) * W).sum().backward()
        results[kind] = (out.detach(), op.dense_U_grad(), Zk.grad)
    reference = results["dense"]
    for kind in ("blocks", "csr"):
        for got, want, what in zip(results[kind], reference, ["S Z", "dL/dU", "dL/dZ"]):
            assert got.shape == want.shape
            assert torch.allclose(got, want, atol=1e-5, rtol=1e-5), f"{kind}: {what} differs by {(got - want).abs().max()}"
    # gradient of U vanishes off the mask for every storage
    for kind, (_, grad_U, _) in results.items():
        assert not grad_U[mask == 0].any(), kind


@pytest.mark.parametrize("case", list(CASES))
def test_dense_U_round_trip(case):
    sizes, mask, U, Z, ops = build(case)
    for op in ops.values():
        assert torch.equal(op.dense_U(), U * mask)
        assert torch.equal(op.dense_mask(), mask != 0)
        assert op.entries == int(mask.sum())


def test_csr_backward_by_finite_differences():
    sizes, mask, U, Z, ops = build("random-2%", torch.float64)
    op = ops["csr"]
    Z = Z[:, :3].clone().requires_grad_()
    values = op.values.detach().clone().requires_grad_()

    def product(v, z):
        with torch.no_grad():
            op.values.copy_(v)
        from course_utils.storage import _CSRMatmul

        return _CSRMatmul.apply(v, z, op)

    assert torch.autograd.gradcheck(product, (values, Z), eps=1e-6, atol=1e-6)


def test_memory_follows_the_entries():
    sizes = [64, 128, 128, 10]
    n = sum(sizes)
    mask = mlp_mask(sizes)
    dense, blocks = DenseMasked(sizes, mask), BlockSparse(sizes, mask)
    assert blocks.nbytes() == int(mask.sum()) * 4  # float32 weights, nothing else
    assert dense.nbytes() == 3 * n * n * 4  # Init, Ω and U
    low = random_mask(sizes, n * n // 100, torch.Generator().manual_seed(0))
    csr = CSRSparse(sizes, low)
    # values (4 bytes) and four int64 index arrays of the entries, two of n + 1
    assert csr.nbytes() == csr.entries * (4 + 4 * 8) + 2 * (n + 1) * 8
    assert csr.nbytes() < dense.nbytes() / 5


def test_choose_kind_by_structure_and_density():
    sizes = [16, 32, 32, 8]
    n = sum(sizes)
    assert choose_kind(sizes, mlp_mask(sizes)) == "blocks"
    g = torch.Generator().manual_seed(0)
    low = random_mask(sizes, int(0.5 * CSR_CROSSOVER * n * n), g)
    high = random_mask(sizes, int(min(2 * CSR_CROSSOVER, 0.8) * n * n), g)
    assert choose_kind(sizes, low) == "csr"
    assert choose_kind(sizes, high) == "dense"
    assert isinstance(make_operator(sizes, low), CSRSparse)
    assert isinstance(make_operator(sizes, mlp_mask(sizes), kind="dense"), DenseMasked)


def test_no_warnings_from_sparse_storage():
    """A fresh interpreter (torch warns once per process) with every warning
    turned into an error: CSR forward and backward stay silent."""
    code = textwrap.dedent(
        """
        import warnings
        warnings.simplefilter("error")
        import torch
        from course_utils import IteratedMap, random_mask
        sizes = [8, 20, 20, 4]
        imap = IteratedMap(sizes, random_mask(sizes, 40, torch.Generator().manual_seed(0)), kind="csr")
        loss = imap(torch.randn(5, 8)).square().sum()
        loss.backward()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            imap(torch.randn(5, 8)).sum().backward()
        assert not caught, [str(w.message) for w in caught]
        print("silent")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "silent"
    assert done.stderr == ""


def test_bad_operator_input():
    sizes = [2, 3]
    with pytest.raises(ValueError, match="kind"):
        make_operator(sizes, mlp_mask(sizes), kind="coo")
    with pytest.raises(ValueError, match="mask"):
        DenseMasked(sizes, torch.ones(5, 5))
    with pytest.raises(ValueError, match="mask"):
        CSRSparse(sizes, torch.ones(4, 4))
    with pytest.raises(ValueError, match="Z"):
        BlockSparse(sizes, mlp_mask(sizes))(torch.ones(4, 2))
    with pytest.raises(ValueError, match="U"):
        BlockSparse(sizes, mlp_mask(sizes), U=torch.ones(3, 3))
