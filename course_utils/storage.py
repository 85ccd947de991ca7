"""Three ways to store and apply the masked operator of notebook 07.

    S = Init + Ω ⊙ U,     Init = identity on the input slot (the input persists)

The state is cut into *slots* of sizes ``sizes = [n0, n1, …]`` (for an MLP:
input, hidden layers, output), ``n = Σ sizes``. The rows of the input slot are
not trainable (Ω is zero there) and ``Init`` copies the input through, so the
input stays in the state at every iteration. Data are columns, as everywhere in
the course: a state ``Z`` has shape ``(n, m)``, one column per example.

* ``DenseMasked``: the readable reference, ``(Init + Ω ⊙ U) @ Z`` with a dense
  n x n U. Memory and time grow with n², whatever the mask.
* ``BlockSparse``: one dense matrix per (row slot, column slot) block that the
  mask touches. For an MLP the blocks are its weight matrices, so memory and
  time follow the number of mask entries.
* ``CSRSparse``: the mask's entries only, in compressed sparse rows
  (``torch.sparse_csr_tensor``), with a hand-written backward pass: the
  gradient of the values is a *sampled* product (``torch.sparse.sampled_addmm``)
  that only computes the entries of the mask. For random masks of low density.

``make_operator(..., kind="auto")`` picks one by the measured rule of
``choose_kind``: blocks for block-structured masks (every touched block full),
CSR below the measured crossover density ``CSR_CROSSOVER``, dense above it.
All three agree to rounding (``tests/test_sparse.py``).
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Sequence

import torch
from torch import nn

from ._checks import as_matrix, check_int, check_mask, describe

__all__ = [
    "BlockSparse",
    "CSRSparse",
    "CSR_CROSSOVER",
    "DenseMasked",
    "choose_kind",
    "check_sizes",
    "make_operator",
    "slot_slices",
    "time_operator",
]

#: Density of a random mask (entries / n²) below which ``CSRSparse`` is used
#: instead of ``DenseMasked``. Measured for a forward and backward pass on a
#: 2-core AMD EPYC (AVX-512), n = 1306, 256 examples, float32, one thread: CSR
#: takes about half of dense's time at 12 %, 0.7 at 16 %, and the two cross at
#: about 20 % (``benchmarks/mlp_sparse.py`` prints the sweep). The threshold
#: sits below the crossover on purpose: the iterated map's dense path also
#: skips the input rows and reuses the input columns' product, which CSR does
#: not, so dense wins earlier there (notebook 07's digits net at 12.8 %).
CSR_CROSSOVER = 0.12

KINDS = ("auto", "dense", "blocks", "csr")


# ----------------------------------------------------------------- checks


def check_sizes(sizes: Any, name: str = "sizes") -> list[int]:
    """``sizes`` as a list of at least two positive ints (the slots' sizes)."""
    if isinstance(sizes, torch.Tensor):
        sizes = sizes.tolist()
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"{name} must be a list of layer sizes such as [64, 32, 10], got {describe(sizes)}")
    if len(sizes) < 2:
        raise ValueError(f"{name} must have at least two entries (input and output size), got {list(sizes)}")
    return [check_int(s, f"{name}[{i}]", minimum=1) for i, s in enumerate(sizes)]


def slot_slices(sizes: Sequence[int]) -> list[slice]:
    """The rows of each slot: ``slice(n0 + … + n_{i-1}, n0 + … + n_i)``."""
    starts = [0]
    for s in sizes:
        starts.append(starts[-1] + int(s))
    return [slice(a, b) for a, b in zip(starts[:-1], starts[1:])]


def _check_operator_mask(mask: Any, sizes: list[int]) -> torch.Tensor:
    n = sum(sizes)
    mask = check_mask(mask, "mask", n, dtype=torch.float32)
    if bool(mask[: sizes[0]].any()):
        raise ValueError(
            f"mask must be zero on the rows of the input slot (the first {sizes[0]} rows): "
            "the input is copied through by Init and is not trainable"
        )
    return mask


def _initial_U(U: Any, mask: torch.Tensor, dtype: torch.dtype, generator: torch.Generator | None) -> torch.Tensor:
    """U as a dense n x n tensor, zero off the mask.

    Default: each row's entries uniform in ±1/√(entries in the row), the scale
    ``nn.Linear`` uses for its weights (fan-in = entries of the row).
    """
    n = mask.shape[0]
    if U is None:
        fan_in = mask.sum(dim=1, keepdim=True).clamp(min=1).to(dtype)
        U = (torch.rand((n, n), generator=generator, dtype=dtype) * 2 - 1) / fan_in.sqrt()
    else:
        U = as_matrix(U, "U", rows=n, cols=n, dtype=dtype)
    return (U * mask.to(dtype)).detach().clone()


def _check_state(Z: Any, n: int, dtype: torch.dtype) -> torch.Tensor:
    if not isinstance(Z, torch.Tensor):
        return as_matrix(Z, "Z", rows=n, dtype=dtype)
    if Z.ndim != 2 or Z.shape[0] != n:
        raise ValueError(f"Z must be 2-D with {n} rows (one column per example), got shape {tuple(Z.shape)}")
    return Z.to(dtype)


# ------------------------------------------------------------ the reference


class DenseMasked(nn.Module):
    """``S = Init + Ω ⊙ U`` stored densely: the readable reference (notebook 07).

    Args:
        sizes: the slots' sizes; the first slot is the input.
        mask: Ω, n x n of 0/1, zero on the input slot's rows.
        U: starting U (n x n; entries off the mask are ignored); default
            uniform in ±1/√fan-in on the mask.
        dtype: floating dtype of U (default torch's default dtype).
        generator: a ``torch.Generator`` for the default U.

    ``op(Z)`` is ``S @ Z`` for a state Z of shape (n, m).
    """

    kind = "dense"

    def __init__(self, sizes: Any, mask: Any, U: Any = None, *, dtype: torch.dtype | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        dtype = dtype or torch.get_default_dtype()
        mask = _check_operator_mask(mask, self.sizes)
        n, n0 = sum(self.sizes), self.sizes[0]
        Init = torch.zeros((n, n), dtype=dtype)
        Init[:n0, :n0] = torch.eye(n0, dtype=dtype)
        self.n = n
        self.register_buffer("Init", Init)
        self.register_buffer("Omega", mask.to(dtype))
        self.U = nn.Parameter(_initial_U(U, mask, dtype, generator))

    @property
    def matrix(self) -> torch.Tensor:
        """``Init + Ω ⊙ U`` as a dense n x n tensor."""
        return self.Init + self.Omega * self.U

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        return self.matrix @ _check_state(Z, self.n, self.U.dtype)

    def dense_U(self) -> torch.Tensor:
        """U as an n x n tensor (zero off the mask)."""
        return self.Omega * self.U

    def dense_U_grad(self) -> torch.Tensor | None:
        """The gradient of the loss with respect to U, n x n (None before backward)."""
        return None if self.U.grad is None else self.Omega * self.U.grad

    def dense_mask(self) -> torch.Tensor:
        """Ω as an n x n bool tensor."""
        return self.Omega != 0

    @property
    def entries(self) -> int:
        """Number of trainable entries (ones of the mask)."""
        return int(self.Omega.sum().item())

    def nbytes(self) -> int:
        """Bytes held by the operator's tensors (parameters and buffers)."""
        return sum(t.numel() * t.element_size() for t in [*self.parameters(), *self.buffers()])


# ---------------------------------------------------------- dense blocks


class BlockSparse(nn.Module):
    """``S = Init + Ω ⊙ U`` as one dense matrix per block of the mask.

    Block (i, j) maps slot j into slot i; only blocks where the mask has an
    entry are stored. A block that the mask fills completely (every block of an
    MLP mask) is a plain weight matrix; a partly filled one keeps its block of
    the mask and multiplies by it. Same arguments as ``DenseMasked``.

    ``op(Z)`` is ``S @ Z`` on a full state; ``op.apply_slots(slots, targets)``
    computes only the rows of the slots in ``targets`` from a list of slot
    states, which is what the schedules of ``IteratedMap`` use.
    """

    kind = "blocks"

    def __init__(self, sizes: Any, mask: Any, U: Any = None, *, dtype: torch.dtype | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        dtype = dtype or torch.get_default_dtype()
        mask = _check_operator_mask(mask, self.sizes)
        U = _initial_U(U, mask, dtype, generator)
        self.n = sum(self.sizes)
        self.slices = slot_slices(self.sizes)
        self.blocks: list[tuple[int, int]] = []  # (row slot i, column slot j)
        self.weights = nn.ParameterList()
        self.block_masks: dict[tuple[int, int], torch.Tensor] = {}
        for i, rows in enumerate(self.slices):
            for j, cols in enumerate(self.slices):
                block_mask = mask[rows, cols]
                if not bool(block_mask.any()):
                    continue
                self.blocks.append((i, j))
                self.weights.append(nn.Parameter(U[rows, cols].clone()))
                if not bool(block_mask.all()):
                    self.block_masks[(i, j)] = block_mask.to(dtype)
        self.index = {block: k for k, block in enumerate(self.blocks)}
        self.inputs: dict[int, list[int]] = {i: [j for (r, j) in self.blocks if r == i] for i in range(len(self.sizes))}

    @property
    def full(self) -> bool:
        """True when every stored block is completely inside the mask."""
        return not self.block_masks

    def weight(self, i: int, j: int) -> torch.Tensor:
        """The block (i, j) of Ω ⊙ U."""
        W = self.weights[self.index[(i, j)]]
        block_mask = self.block_masks.get((i, j))
        return W if block_mask is None else W * block_mask

    def apply_slots(self, slots: list[torch.Tensor | None], targets: Sequence[int],
                    cache: dict | None = None) -> dict[int, torch.Tensor | None]:
        """``(S Z)_i = Σ_j W_ij Z_j`` for each slot i in ``targets``.

        ``slots[j]`` is slot j of the state, or None for a slot known to be
        zero (its blocks are skipped). ``cache`` keeps the products with the
        input slot, which never changes across iterations: each is computed
        once per forward pass. A target with no non-zero input gives None.
        """
        out: dict[int, torch.Tensor | None] = {}
        for i in targets:
            total = None
            for j in self.inputs[i]:
                if slots[j] is None:
                    continue
                if j == 0 and cache is not None:
                    if i not in cache:
                        cache[i] = self.weight(i, 0) @ slots[0]
                    term = cache[i]
                else:
                    term = self.weight(i, j) @ slots[j]
                total = term if total is None else total + term
            out[i] = total
        return out

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        Z = _check_state(Z, self.n, self.weights[0].dtype if len(self.weights) else torch.get_default_dtype())
        slots = [Z[s] for s in self.slices]
        rows = self.apply_slots(slots, range(1, len(self.sizes)))
        parts = [slots[0]] + [rows[i] if rows[i] is not None else torch.zeros_like(slots[i])
                              for i in range(1, len(self.sizes))]
        return torch.cat(parts, dim=0)

    def dense_U(self, grad: bool = False) -> torch.Tensor:
        """U (or its gradient, ``grad=True``) as an n x n tensor, zero off the mask."""
        dtype = self.weights[0].dtype
        out = torch.zeros((self.n, self.n), dtype=dtype)
        for (i, j), W in zip(self.blocks, self.weights):
            value = W.grad if grad else W.detach()
            if value is None:
                return None
            block_mask = self.block_masks.get((i, j))
            out[self.slices[i], self.slices[j]] = value if block_mask is None else value * block_mask
        return out

    def dense_U_grad(self) -> torch.Tensor | None:
        """The gradient of the loss with respect to U, n x n (None before backward)."""
        return self.dense_U(grad=True)

    def dense_mask(self) -> torch.Tensor:
        """Ω as an n x n bool tensor."""
        out = torch.zeros((self.n, self.n), dtype=torch.bool)
        for (i, j), W in zip(self.blocks, self.weights):
            block_mask = self.block_masks.get((i, j))
            out[self.slices[i], self.slices[j]] = True if block_mask is None else block_mask != 0
        return out

    @property
    def entries(self) -> int:
        return sum(
            W.numel() if (i, j) not in self.block_masks else int(self.block_masks[(i, j)].sum().item())
            for (i, j), W in zip(self.blocks, self.weights)
        )

    def nbytes(self) -> int:
        tensors = [*self.parameters(), *self.block_masks.values()]
        return sum(t.numel() * t.element_size() for t in tensors)


# ---------------------------------------------------------- sparse rows


def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, n: int) -> torch.Tensor:
    """A CSR tensor from its parts.

    torch announces once per process that CSR support is in beta; the
    announcement is silenced here, where the tensor is made, and nowhere else.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, (n, n), check_invariants=False)


class _CSRMatmul(torch.autograd.Function):
    """``S @ Z`` for S in CSR with values ``v``; backward by sparse products.

    dL/dZ = Sᵀ G (Sᵀ kept as its own CSR pattern), dL/dv = (G Zᵀ) sampled at the
    mask's entries: never an n x n dense tensor.
    """

    @staticmethod
    def forward(ctx, values, Z, op):  # type: ignore[override]
        ctx.save_for_backward(values, Z)
        ctx.op = op
        return _csr(op.crow, op.col, values, op.n) @ Z

    @staticmethod
    def backward(ctx, G):  # type: ignore[override]
        values, Z = ctx.saved_tensors
        op = ctx.op
        grad_values = grad_Z = None
        if ctx.needs_input_grad[1]:
            grad_Z = _csr(op.tcrow, op.tcol, values[op.perm], op.n) @ G
        if ctx.needs_input_grad[0]:
            pattern = _csr(op.crow, op.col, torch.zeros_like(values), op.n)
            grad_values = torch.sparse.sampled_addmm(pattern, G.contiguous(), Z.T, beta=0.0).values()
        return grad_values, grad_Z, None


class CSRSparse(nn.Module):
    """``S = Init + Ω ⊙ U`` with U stored at the mask's entries only (CSR).

    ``op.values`` holds U at the entries of Ω in row-major order. Same
    arguments as ``DenseMasked``. ``op(Z)`` is ``S @ Z``: the input slot is
    copied through, the other rows are the sparse product.
    """

    kind = "csr"

    def __init__(self, sizes: Any, mask: Any, U: Any = None, *, dtype: torch.dtype | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        dtype = dtype or torch.get_default_dtype()
        mask = _check_operator_mask(mask, self.sizes)
        U = _initial_U(U, mask, dtype, generator)
        n = self.n = sum(self.sizes)
        rows, cols = mask.nonzero(as_tuple=True)  # row-major order
        self.register_buffer("row", rows)
        self.register_buffer("col", cols)
        self.register_buffer("crow", _offsets(rows, n))
        perm = torch.argsort(cols * n + rows)  # the same entries in column-major order
        self.register_buffer("perm", perm)
        self.register_buffer("tcrow", _offsets(cols, n))
        self.register_buffer("tcol", rows[perm])
        self.values = nn.Parameter(U[rows, cols].clone())

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        Z = _check_state(Z, self.n, self.values.dtype)
        n0 = self.sizes[0]
        product = _CSRMatmul.apply(self.values, Z, self)
        return torch.cat([Z[:n0], product[n0:]], dim=0)

    def sparse_product(self, Z: torch.Tensor) -> torch.Tensor:
        """``(Ω ⊙ U) @ Z`` without the input copy (the map adds it)."""
        return _CSRMatmul.apply(self.values, Z, self)

    def dense_U(self, grad: bool = False) -> torch.Tensor | None:
        """U (or its gradient, ``grad=True``) as an n x n tensor, zero off the mask."""
        value = self.values.grad if grad else self.values.detach()
        if value is None:
            return None
        out = torch.zeros((self.n, self.n), dtype=self.values.dtype)
        out[self.row, self.col] = value
        return out

    def dense_U_grad(self) -> torch.Tensor | None:
        """The gradient of the loss with respect to U, n x n (None before backward)."""
        return self.dense_U(grad=True)

    def dense_mask(self) -> torch.Tensor:
        """Ω as an n x n bool tensor."""
        out = torch.zeros((self.n, self.n), dtype=torch.bool)
        out[self.row, self.col] = True
        return out

    @property
    def entries(self) -> int:
        return self.values.numel()

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in [*self.parameters(), *self.buffers()])


def _offsets(index: torch.Tensor, n: int) -> torch.Tensor:
    """CSR row offsets of sorted row indices."""
    offsets = torch.zeros(n + 1, dtype=torch.int64)
    offsets[1:] = torch.cumsum(torch.bincount(index, minlength=n), dim=0)
    return offsets


# ------------------------------------------------------------- the choice


def _block_structured(sizes: list[int], mask: torch.Tensor) -> bool:
    slices = slot_slices(sizes)
    for rows in slices:
        for cols in slices:
            block = mask[rows, cols]
            if bool(block.any()) and not bool(block.all()):
                return False
    return True


def choose_kind(sizes: Any, mask: Any) -> str:
    """The representation ``make_operator`` picks for this mask, by measurement.

    * ``"blocks"`` when every block of the slot grid is either empty or full
      (an MLP mask, or an MLP with skip connections): per-block dense matrices
      cost what the layers cost.
    * otherwise ``"csr"`` when the density entries / n² is below
      ``CSR_CROSSOVER`` (measured), ``"dense"`` above it.
    """
    sizes = check_sizes(sizes)
    mask = _check_operator_mask(mask, sizes)
    if _block_structured(sizes, mask):
        return "blocks"
    density = float(mask.sum().item()) / mask.numel()
    return "csr" if density < CSR_CROSSOVER else "dense"


def make_operator(sizes: Any, mask: Any, U: Any = None, *, kind: str = "auto", dtype: torch.dtype | None = None,
                  generator: torch.Generator | None = None) -> nn.Module:
    """The operator ``Init + Ω ⊙ U`` in the representation ``kind``.

    Args:
        sizes: the slots' sizes (input slot first).
        mask: Ω (n x n, 0/1, zero on the input rows).
        U: starting U (n x n) or None for the default draw.
        kind: "auto" (``choose_kind``), "dense", "blocks" or "csr".
        dtype: floating dtype (default torch's default dtype).
        generator: a ``torch.Generator`` for the default U.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "auto":
        kind = choose_kind(sizes, mask)
    cls = {"dense": DenseMasked, "blocks": BlockSparse, "csr": CSRSparse}[kind]
    return cls(sizes, mask, U, dtype=dtype, generator=generator)


def time_operator(op: nn.Module, m: int = 256, repeats: int = 5, generator: torch.Generator | None = None) -> float:
    """Seconds for one forward and backward pass of ``op`` on m random columns.

    The best of ``repeats`` runs (the least disturbed by other programs).
    """
    m = check_int(m, "m", minimum=1)
    repeats = check_int(repeats, "repeats", minimum=1)
    params = list(op.parameters())
    Z = torch.randn((op.n, m), generator=generator, dtype=params[0].dtype).requires_grad_()
    best = float("inf")
    for k in range(repeats + 1):
        start = time.perf_counter()
        op(Z).sum().backward()
        elapsed = time.perf_counter() - start
        if k:  # the first run warms up
            best = min(best, elapsed)
        for p in params:
            p.grad = None
    return best
