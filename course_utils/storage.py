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

Each storage applies itself in two ways: ``op(Z)`` is ``S @ Z`` on a whole
state, and ``op.affine(X, bias)`` is what an iterated map needs, the
pre-activations ``(S z + b)_i`` of chosen slots i from a state kept as a list
of slots (None for a slot known to be zero), made once per pass so that what
does not change across iterations (the products with the input slot X) is
computed once.

``make_operator(..., kind="auto")`` picks one by the measured rule of
``choose_kind``: blocks for block-structured masks (every touched block full),
CSR below the measured crossover density ``CSR_CROSSOVER``, dense above it.
All three agree to rounding (``tests/test_storage.py``). The storages'
constructors and ``make_operator`` check their arguments; ``IteratedMap``,
which checks ``sizes`` where they enter, builds its storage with ``_make``,
which checks the mask and U once and the sizes not again.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import torch
from torch import nn

from ._checks import as_matrix, check_dtype, check_generator, check_int, check_mask, check_precision, describe

__all__ = [
    "CSR_CROSSOVER",
    "BlockSparse",
    "CSRSparse",
    "DenseMasked",
    "assemble",
    "check_sizes",
    "choose_kind",
    "make_operator",
    "slot_slices",
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

#: ``pre(slots, targets)``: the pre-activations (S z + b)_i, i in targets, each (n_i, m)
Affine = Callable[[Sequence[torch.Tensor | None], Sequence[int]], list[torch.Tensor]]


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


def assemble(slots: Sequence[torch.Tensor | None], sizes: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """The slots stacked into one state (Σ sizes, m), zeros for a slot given as None.

    ``like`` gives the dtype, the device and m (the input slot X, usually).
    """
    return torch.cat([like.new_zeros((size, like.shape[1])) if z is None else z for z, size in zip(slots, sizes)])


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
        check_precision(U, "U", dtype, "the operator", fix="dtype={dtype}")
        U = as_matrix(U, "U", rows=n, cols=n, dtype=dtype)
    return (U * mask.to(dtype)).detach().clone()


def _checked_mask_and_U(sizes: list[int], mask: Any, U: Any, dtype: torch.dtype | None,
                        generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The one check of an operator's mask and U, for already checked ``sizes``."""
    mask = _check_operator_mask(mask, sizes)
    return mask, _initial_U(U, mask, check_dtype(dtype), check_generator(generator))


# ------------------------------------------------------------ the storages


class _Storage(nn.Module):
    """What the three storages share: the slot layout, the checks, U and Ω as n x n.

    Args:
        sizes: the slots' sizes; the first slot is the input.
        mask: Ω, n x n of 0/1, zero on the input slot's rows.
        U: starting U (n x n; entries off the mask are ignored); default
            uniform in ±1/√fan-in on the mask.
        dtype: floating dtype of U (default torch's default dtype).
        generator: a ``torch.Generator`` for the default U.

    ``op(Z)`` is ``S @ Z`` for a state Z of shape (n, m); ``op.inputs[i]`` are
    the slots that slot i reads (the blocks of Ω with an entry in slot i's
    rows); ``op.entries`` is the number of trainable entries.
    """

    kind = ""

    def __init__(self, sizes: Any, mask: Any, U: Any = None, *, dtype: torch.dtype | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        sizes = check_sizes(sizes)
        self._build(sizes, *_checked_mask_and_U(sizes, mask, U, dtype, generator))

    @classmethod
    def _from_checked(cls, sizes: list[int], mask: torch.Tensor, U: torch.Tensor) -> _Storage:
        """The storage of values already checked (by ``make_operator``), without checking them again."""
        op = cls.__new__(cls)
        nn.Module.__init__(op)
        op._build(sizes, mask, U)
        return op

    def _build(self, sizes: list[int], mask: torch.Tensor, U: torch.Tensor) -> None:
        self.sizes, self.n, self.slices = sizes, sum(sizes), slot_slices(sizes)
        self.inputs = [[j for j, cols in enumerate(self.slices) if bool(mask[rows, cols].any())] for rows in self.slices]
        self.entries = int(mask.sum().item())  # trainable entries (ones of the mask); the mask never changes
        self._store(mask, U)

    def _store(self, mask: torch.Tensor, U: torch.Tensor) -> None:
        raise NotImplementedError

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def _check_state(self, Z: Any) -> torch.Tensor:
        if not isinstance(Z, torch.Tensor):
            return as_matrix(Z, "Z", rows=self.n, dtype=self.dtype)
        if Z.ndim != 2 or Z.shape[0] != self.n:
            raise ValueError(f"Z must be 2-D with {self.n} rows (one column per example), got shape {tuple(Z.shape)}")
        check_precision(Z, "Z", self.dtype, "op")
        return Z.to(self.dtype)

    def affine(self, X: torch.Tensor, bias: Sequence[torch.Tensor] | None = None) -> Affine:
        """``pre(slots, targets)``: the pre-activations ``(S z + b)_i`` of the slots i in ``targets``.

        Args:
            X: the input slot, (n0, m); it is the same in every state of a pass.
            bias: b as one column (n_i, 1) per non-input slot, or None (no bias).

        ``pre`` takes the state as a list of slots, ``slots[0]`` being X and
        None standing for a slot known to be zero, and returns one (n_i, m)
        tensor per target.
        """
        raise NotImplementedError

    def dense_U(self, grad: bool = False) -> torch.Tensor | None:
        """U (or its gradient, ``grad=True``; None before backward) as an n x n tensor, zero off the mask."""
        raise NotImplementedError

    def dense_U_grad(self) -> torch.Tensor | None:
        """The gradient of the loss with respect to U, n x n (None before backward)."""
        return self.dense_U(grad=True)

    def dense_mask(self) -> torch.Tensor:
        """Ω as an n x n bool tensor."""
        raise NotImplementedError

    def nbytes(self) -> int:
        """Bytes held by the operator's tensors (parameters and buffers)."""
        return sum(t.numel() * t.element_size() for t in [*self.parameters(), *self.buffers()])


class DenseMasked(_Storage):
    """``S = Init + Ω ⊙ U`` stored densely: the readable reference (notebook 07).

    Arguments as for every storage (``sizes, mask, U=None, *, dtype, generator``).
    ``op(Z)`` is the literal ``S @ Z``; ``op.affine`` multiplies only the
    non-input rows of S, and their input columns once per pass:
    ``S z = [x; A x + B h]`` with ``A = S[rest, input]``, ``B = S[rest, rest]``.
    """

    kind = "dense"

    def _store(self, mask: torch.Tensor, U: torch.Tensor) -> None:
        n0 = self.sizes[0]
        Init = torch.zeros((self.n, self.n), dtype=U.dtype)
        Init[:n0, :n0] = torch.eye(n0, dtype=U.dtype)
        self.register_buffer("Init", Init)
        self.register_buffer("Omega", mask.to(U.dtype))
        self.U = nn.Parameter(U)

    @property
    def matrix(self) -> torch.Tensor:
        """``Init + Ω ⊙ U`` as a dense n x n tensor."""
        return self.Init + self.Omega * self.U

    def forward(self, Z: Any) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        return self.matrix @ self._check_state(Z)

    def affine(self, X: torch.Tensor, bias: Sequence[torch.Tensor] | None = None) -> Affine:
        n0 = self.sizes[0]
        M = self.Omega[n0:] * self.U[n0:]  # the rows of S below the input's (Init is zero there)
        AX, B = M[:, :n0] @ X, M[:, n0:]
        rows = [None, *slot_slices(self.sizes[1:])]  # slot i's rows among the non-input rows

        def pre(slots: Sequence[torch.Tensor | None], targets: Sequence[int]) -> list[torch.Tensor]:
            if all(z is None for z in slots[1:]):
                P = AX
            else:
                P = torch.addmm(AX, B, assemble(slots[1:], self.sizes[1:], X))
            return [P[rows[i]] if bias is None else P[rows[i]] + bias[i - 1] for i in targets]

        return pre

    def dense_U(self, grad: bool = False) -> torch.Tensor | None:
        value = self.U.grad if grad else self.U.detach()
        return None if value is None else self.Omega * value

    def dense_mask(self) -> torch.Tensor:
        return self.Omega != 0


class BlockSparse(_Storage):
    """``S = Init + Ω ⊙ U`` as one dense matrix per block of the mask.

    Block (i, j) maps slot j into slot i; only blocks where the mask has an
    entry are stored (``op.blocks``, weights ``op.weights``). A block that the
    mask fills completely (every block of an MLP mask) is a plain weight
    matrix; a partly filled one (its index k in ``op.partial``) keeps its block
    of the mask as a buffer ``mask<k>`` and multiplies by it. Arguments as for
    every storage.
    """

    kind = "blocks"

    def _store(self, mask: torch.Tensor, U: torch.Tensor) -> None:
        self.blocks = [(i, j) for i, inputs in enumerate(self.inputs) for j in inputs]  # (row slot, column slot)
        self.weights = nn.ParameterList()
        self.partial: list[int] = []  # the blocks the mask fills only in part
        for k, (i, j) in enumerate(self.blocks):
            rows, cols = self.slices[i], self.slices[j]
            self.weights.append(nn.Parameter(U[rows, cols].clone()))
            block_mask = mask[rows, cols]
            if not bool(block_mask.all()):
                self.partial.append(k)
                self.register_buffer(f"mask{k}", block_mask.to(U.dtype))

    def masked_weights(self) -> list[torch.Tensor]:
        """The blocks of Ω ⊙ U, in the order of ``op.blocks``."""
        weights: list[torch.Tensor] = list(self.weights.parameters())
        for k in self.partial:
            weights[k] = weights[k] * getattr(self, f"mask{k}")
        return weights

    def forward(self, Z: Any) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        slots = list(self._check_state(Z).split(self.sizes))
        return torch.cat([slots[0], *self.affine(slots[0])(slots, range(1, len(self.sizes)))])

    def affine(self, X: torch.Tensor, bias: Sequence[torch.Tensor] | None = None) -> Affine:
        """Per target i: ``b_i + W_i0 X`` once per pass, then ``addmm`` with each other slot it reads."""
        m = X.shape[1]
        L = len(self.sizes)
        if bias is None:
            bias = [X.new_zeros((size, 1)) for size in self.sizes[1:]]
        base: list = [None, *bias]  # b_i + W_i0 X, or b_i
        reads_x = [False] * L
        sources: list[list[tuple[torch.Tensor, int]]] = [[] for _ in range(L)]  # (W_ij, j), j > 0
        for (i, j), W in zip(self.blocks, self.masked_weights()):
            if j == 0:
                base[i], reads_x[i] = torch.addmm(base[i], W, X), True
            else:
                sources[i].append((W, j))

        def pre(slots: Sequence[torch.Tensor | None], targets: Sequence[int]) -> list[torch.Tensor]:
            out = []
            for i in targets:
                total, reached = base[i], reads_x[i]
                for W, j in sources[i]:
                    z = slots[j]
                    if z is not None:  # a slot known to be zero adds nothing
                        total, reached = torch.addmm(total, W, z), True
                out.append(total if reached else total.expand(-1, m))
            return out

        return pre

    def dense_U(self, grad: bool = False) -> torch.Tensor | None:
        values = [W.grad for W in self.weights] if grad else [W.detach() for W in self.masked_weights()]
        if any(v is None for v in values):
            return None
        out = values[0].new_zeros((self.n, self.n))
        for (i, j), value in zip(self.blocks, values):
            out[self.slices[i], self.slices[j]] = value  # a gradient is zero off the mask already
        return out

    def dense_mask(self) -> torch.Tensor:
        out = torch.zeros((self.n, self.n), dtype=torch.bool, device=self.weights[0].device)
        for k, (i, j) in enumerate(self.blocks):
            out[self.slices[i], self.slices[j]] = getattr(self, f"mask{k}") != 0 if k in self.partial else True
        return out


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
    mask's entries: never an n x n dense tensor. On the meta device (shapes
    only, where torch has no sparse kernels) the product is an empty (n, m).
    """

    @staticmethod
    def forward(ctx, values, Z, op):  # type: ignore[override]
        ctx.save_for_backward(values, Z)
        ctx.op = op
        if values.is_meta:
            return Z.new_empty((op.n, Z.shape[1]))
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


class CSRSparse(_Storage):
    """``S = Init + Ω ⊙ U`` with U stored at the mask's entries only (CSR).

    ``op.values`` holds U at the entries of Ω in row-major order. Arguments as
    for every storage. ``op(Z)`` is ``S @ Z``: the input slot is copied
    through, the other rows are the sparse product.
    """

    kind = "csr"

    def _store(self, mask: torch.Tensor, U: torch.Tensor) -> None:
        n = self.n
        rows, cols = mask.nonzero(as_tuple=True)  # row-major order
        self.register_buffer("row", rows)
        self.register_buffer("col", cols)
        self.register_buffer("crow", _offsets(rows, n))
        perm = torch.argsort(cols * n + rows)  # the same entries in column-major order
        self.register_buffer("perm", perm)
        self.register_buffer("tcrow", _offsets(cols, n))
        self.register_buffer("tcol", rows[perm])
        self.values = nn.Parameter(U[rows, cols].clone())

    def forward(self, Z: Any) -> torch.Tensor:
        """``S @ Z``, Z of shape (n, m)."""
        Z = self._check_state(Z)
        n0 = self.sizes[0]
        return torch.cat([Z[:n0], self.sparse_product(Z)[n0:]], dim=0)

    def sparse_product(self, Z: torch.Tensor) -> torch.Tensor:
        """``(Ω ⊙ U) @ Z`` without the input copy (the map adds it)."""
        return _CSRMatmul.apply(self.values, Z, self)

    def affine(self, X: torch.Tensor, bias: Sequence[torch.Tensor] | None = None) -> Affine:
        """The whole sparse product of the assembled state at every call."""

        def pre(slots: Sequence[torch.Tensor | None], targets: Sequence[int]) -> list[torch.Tensor]:
            P = self.sparse_product(assemble(slots, self.sizes, X))
            return [P[self.slices[i]] if bias is None else P[self.slices[i]] + bias[i - 1] for i in targets]

        return pre

    def dense_U(self, grad: bool = False) -> torch.Tensor | None:
        value = self.values.grad if grad else self.values.detach()
        if value is None:
            return None
        out = value.new_zeros((self.n, self.n))
        out[self.row, self.col] = value
        return out

    def dense_mask(self) -> torch.Tensor:
        out = torch.zeros((self.n, self.n), dtype=torch.bool, device=self.values.device)
        out[self.row, self.col] = True
        return out


def _offsets(index: torch.Tensor, n: int) -> torch.Tensor:
    """CSR row offsets of sorted row indices."""
    offsets = torch.zeros(n + 1, dtype=torch.int64)
    offsets[1:] = torch.cumsum(torch.bincount(index, minlength=n), dim=0)
    return offsets


# ------------------------------------------------------------- the choice

STORAGES: dict[str, type[_Storage]] = {"dense": DenseMasked, "blocks": BlockSparse, "csr": CSRSparse}


def _choose(sizes: list[int], mask: torch.Tensor) -> str:
    slices = slot_slices(sizes)
    blocks = [mask[rows, cols] for rows in slices for cols in slices]
    if all(bool(block.all()) or not bool(block.any()) for block in blocks):
        return "blocks"
    density = float(mask.sum().item()) / mask.numel()
    return "csr" if density < CSR_CROSSOVER else "dense"


def choose_kind(sizes: Any, mask: Any) -> str:
    """The representation ``make_operator`` picks for this mask, by measurement.

    * ``"blocks"`` when every block of the slot grid is either empty or full
      (an MLP mask, or an MLP with skip connections): per-block dense matrices
      cost what the layers cost.
    * otherwise ``"csr"`` when the density entries / n² is below
      ``CSR_CROSSOVER`` (measured), ``"dense"`` above it.
    """
    sizes = check_sizes(sizes)
    return _choose(sizes, _check_operator_mask(mask, sizes))


def make_operator(sizes: Any, mask: Any, U: Any = None, *, kind: str = "auto", dtype: torch.dtype | None = None,
                  generator: torch.Generator | None = None) -> _Storage:
    """The operator ``Init + Ω ⊙ U`` in the representation ``kind``.

    Args:
        sizes: the slots' sizes (input slot first).
        mask: Ω (n x n, 0/1, zero on the input rows).
        U: starting U (n x n) or None for the default draw.
        kind: "auto" (``choose_kind``), "dense", "blocks" or "csr".
        dtype: floating dtype (default torch's default dtype).
        generator: a ``torch.Generator`` for the default U.
    """
    return _make(check_sizes(sizes), mask, U, kind, dtype, generator)


def _make(sizes: list[int], mask: Any, U: Any, kind: str, dtype: torch.dtype | None,
          generator: torch.Generator | None) -> _Storage:
    """``make_operator`` for already checked ``sizes`` (``IteratedMap`` checks them where they enter)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    mask, U = _checked_mask_and_U(sizes, mask, U, dtype, generator)
    return STORAGES[_choose(sizes, mask) if kind == "auto" else kind]._from_checked(sizes, mask, U)
