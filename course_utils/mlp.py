"""An MLP is an iterated sparse matrix (notebook 07).

The state stacks the input and every layer's output in *slots*,

    z = [x; h1; …; y],      sizes = [n0, n1, …, nL],      n = Σ sizes,

and one iteration of the map is

    z ← σ(S z + b),     S = Init + Ω ⊙ U,

with ``Init`` the identity on the input slot (the input persists), ``Ω`` the
MLP mask (layer l's weight sits in the block just below the diagonal: rows of
slot l, columns of slot l-1), ``b`` the biases (a vector over the non-input
slots; the input slot gets none) and σ applied slot by slot (identity on the
input). The biases are a vector rather than a constant-1 slot in the state
(which would do the same with one more row and column of S): S then holds
exactly the MLP's weights and nothing else.

Starting from z = [x; 0; …; 0], iteration k fills slot k with layer
k's output; after L iterations the output slot holds ``model(x)``, and further
iterations change nothing (a fixed point).

**Columns and rows.** The course writes data as columns: a state has shape
(n, m), m examples. ``torch.nn`` writes them as rows: ``model(x)`` takes x of
shape (m, n0). ``IteratedMap.__call__`` takes and returns rows, like the model
it replaces, and transposes inside; ``IteratedMap.states`` returns the states
as columns, as the notebook draws them.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch import nn

from ._checks import as_matrix, check_int, describe
from .storage import check_sizes, make_operator, slot_slices

__all__ = ["ELEMENTWISE", "IteratedMap", "from_sequential", "mlp_mask", "random_mask"]

#: layers that act on each entry on its own (an activation of a slot)
ELEMENTWISE: tuple[type[nn.Module], ...] = (
    nn.Identity, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU,
    nn.SiLU, nn.Mish, nn.Tanh, nn.Sigmoid, nn.LogSigmoid, nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish,
    nn.Hardshrink, nn.Softshrink, nn.Tanhshrink, nn.Softsign, nn.Softplus, nn.Threshold,
)

SCHEDULES = ("full", "skip")


def mlp_mask(sizes: Sequence[int]) -> torch.Tensor:
    """The 0/1 mask Ω of an MLP with layer sizes ``sizes`` (notebook 07).

    Ω is n x n with n = Σ sizes; layer l (l = 1..L) owns the block of rows of
    slot l and columns of slot l-1, filled with ones; everything else is 0.
    The input slot's identity block is not in Ω (it is not trained): it lives
    in ``Init``.

    Args:
        sizes: [n0, n1, …, nL], input size first, output size last (>= 2 entries).
    """
    sizes = check_sizes(sizes)
    slices = slot_slices(sizes)
    n = sum(sizes)
    mask = torch.zeros((n, n))
    for l in range(1, len(sizes)):
        mask[slices[l], slices[l - 1]] = 1.0
    return mask


def random_mask(sizes: Sequence[int], entries: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A 0/1 mask with ``entries`` ones at random places of the non-input rows.

    Every entry of the rows of slots 1..L (any column, so loops and skips are
    allowed) is equally likely; the input rows stay zero (the input is not
    trained). Notebook 07 compares it with ``mlp_mask`` at the same count.

    Args:
        sizes: the slots' sizes, input first.
        entries: number of ones (1 <= entries <= (n - n0) * n).
        generator: a ``torch.Generator`` for the draw.
    """
    sizes = check_sizes(sizes)
    n, n0 = sum(sizes), sizes[0]
    entries = check_int(entries, "entries", minimum=1, maximum=(n - n0) * n)
    flat = torch.zeros((n - n0) * n)
    flat[torch.randperm((n - n0) * n, generator=generator)[:entries]] = 1.0
    return torch.cat([torch.zeros((n0, n)), flat.reshape(n - n0, n)], dim=0)


def _check_activation_module(layer: Any, where: str) -> nn.Module:
    if not isinstance(layer, ELEMENTWISE):
        raise ValueError(
            f"{where} must be nn.Linear or an elementwise activation "
            f"({', '.join(t.__name__ for t in ELEMENTWISE[:8])}, …), got {type(layer).__name__}"
        )
    return layer


class IteratedMap(nn.Module):
    """``z ← σ(S z + b)`` repeated: an MLP (or any masked net) as one matrix (notebook 07).

    Args:
        sizes: the slots' sizes [n0, n1, …, nL]; slot 0 is the input, slot L
            the output.
        mask: Ω, n x n 0/1 (default ``mlp_mask(sizes)``); zero on input rows.
        U: starting U, n x n (default uniform ±1/√fan-in on the mask).
        bias: starting biases, a vector of length n - n0 (default zeros).
        activations: one per slot 1..L, each an elementwise module or None
            (identity); default ReLU on hidden slots, identity on the output.
        kind: storage of S: "auto", "dense", "blocks" or "csr" (see
            ``course_utils.storage``).
        dtype: floating dtype (default torch's default dtype).
        generator: a ``torch.Generator`` for the default U.

    ``imap(x)`` takes x of shape (m, n0) (rows, like ``nn.Linear``) and
    returns the output slot after ``iterations`` iterations as (m, nL).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        mask: Any = None,
        U: Any = None,
        bias: Any = None,
        activations: Sequence[Callable | None] | None = None,
        *,
        kind: str = "auto",
        dtype: torch.dtype | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        self.slices = slot_slices(self.sizes)
        n, n0 = sum(self.sizes), self.sizes[0]
        self.n = n
        dtype = dtype or torch.get_default_dtype()
        mask = mlp_mask(self.sizes) if mask is None else mask
        self.operator = make_operator(self.sizes, mask, U, kind=kind, dtype=dtype, generator=generator)
        if bias is None:
            bias = torch.zeros(n - n0, dtype=dtype)
        else:
            bias = torch.as_tensor(bias, dtype=dtype).detach().clone()
            if bias.shape != (n - n0,):
                raise ValueError(f"bias must be a vector of length {n - n0} (the non-input slots), got shape {tuple(bias.shape)}")
        # one column (n_i, 1) per non-input slot: b = [b_1; …; b_L]
        self.biases = nn.ParameterList(
            [nn.Parameter(bias[s.start - n0: s.stop - n0, None].clone()) for s in self.slices[1:]]
        )
        layers = len(self.sizes) - 1
        if activations is None:
            activations = [nn.ReLU()] * (layers - 1) + [None]
        activations = list(activations)
        if len(activations) != layers:
            raise ValueError(f"activations must have one entry per slot after the input ({layers}), got {len(activations)}")
        for i, act in enumerate(activations):
            if act is not None and not callable(act):
                raise TypeError(f"activations[{i}] must be callable or None, got {describe(act)}")
        self.activations = [None] + activations  # slot 0, the input, has none
        self.depth = self._depth()

    # -------------------------------------------------------------- notation
    @property
    def kind(self) -> str:
        """How S is stored: "dense", "blocks" or "csr"."""
        return self.operator.kind

    @property
    def Init(self) -> torch.Tensor:
        """The fixed part of S: identity on the input slot, zero elsewhere."""
        Init = torch.zeros((self.n, self.n), dtype=self.dtype)
        Init[self.slices[0], self.slices[0]] = torch.eye(self.sizes[0], dtype=self.dtype)
        return Init

    @property
    def Omega(self) -> torch.Tensor:
        """The mask Ω as a dense n x n tensor."""
        return self.operator.dense_mask().to(self.dtype)

    @property
    def U(self) -> torch.Tensor:
        """U as a dense n x n tensor (zero off the mask), detached."""
        return self.operator.dense_U().detach()

    @property
    def matrix(self) -> torch.Tensor:
        """S = Init + Ω ⊙ U as a dense n x n tensor, detached."""
        return self.Init + self.U

    def _depth(self) -> int | None:
        """Longest path from the input slot in the graph of blocks; None if it has a loop."""
        mask = self.operator.dense_mask()
        present = {
            (i, j)
            for i, rows in enumerate(self.slices)
            for j, cols in enumerate(self.slices)
            if bool(mask[rows, cols].any())
        }
        depth = {0: 0}
        self.slot_depth: dict[int, int] = {}
        remaining = set(range(1, len(self.sizes)))
        while remaining:
            ready = [i for i in remaining if all(j in depth for (r, j) in present if r == i)]
            if not ready:
                return None  # a loop: some slot waits for itself
            for i in ready:
                depth[i] = 1 + max((depth[j] for (r, j) in present if r == i), default=-1)
                remaining.discard(i)
        self.slot_depth = depth
        return max(depth.values())

    # ------------------------------------------------------------- iterating
    def _bias(self, i: int) -> torch.Tensor:
        """The biases of slot i as a column (n_i, 1)."""
        return self.biases[i - 1]

    @property
    def bias(self) -> torch.Tensor:
        """b, the biases of the non-input slots as one vector of length n - n0."""
        return torch.cat([b[:, 0] for b in self.biases])

    @property
    def dtype(self) -> torch.dtype:
        return self.biases[0].dtype

    def _activate(self, i: int, pre: torch.Tensor) -> torch.Tensor:
        act = self.activations[i]
        return pre if act is None else act(pre)

    def _targets(self, k: int, schedule: str) -> list[int]:
        """Slots updated at iteration k: all of them, or those at depth k."""
        if schedule == "full":
            return list(range(1, len(self.sizes)))
        return [i for i in range(1, len(self.sizes)) if self.slot_depth[i] == k]

    def _slot_update(self, i: int, slots: list[torch.Tensor | None], m: int, weights: dict, biases: list) -> torch.Tensor:
        """σ_i(Σ_j W_ij z_j + b_i) from the blocks of slot i (blocks storage)."""
        pre = None
        for j in self.operator.inputs[i]:
            if slots[j] is None:  # a slot known to be zero: its block adds nothing
                continue
            pre = torch.addmm(biases[i] if pre is None else pre, weights[(i, j)], slots[j])
        if pre is None:
            pre = biases[i].expand(-1, m)
        return self._activate(i, pre)

    def _run_slots(self, X: torch.Tensor, iterations: int, schedule: str, keep: bool) -> list[list]:
        """The blocks storage: the state as a list of slots, never assembled.

        A slot fed by the input slot alone gets the same value at every
        iteration (the input never changes), so it is computed once and
        reused: exact, and it saves recomputing an MLP's first layer.
        """
        m = X.shape[1]
        op = self.operator
        weights = {block: op.weight(*block) for block in op.blocks}  # looked up once per pass
        biases = [None, *self.biases]
        slots: list = [X] + [None if schedule == "skip" else X.new_zeros((s, m)) for s in self.sizes[1:]]
        history = [slots] if keep else []
        invariant: dict[int, torch.Tensor] = {}
        for k in range(1, iterations + 1):
            new = list(slots)
            for i in self._targets(k, schedule):
                if i in invariant:
                    new[i] = invariant[i]
                    continue
                new[i] = self._slot_update(i, slots, m, weights, biases)
                if op.inputs[i] == [0]:
                    invariant[i] = new[i]
            slots = new
            if keep:
                history.append(slots)
        return history if keep else [slots]

    def _run_whole(self, X: torch.Tensor, iterations: int, schedule: str, keep: bool) -> list[torch.Tensor]:
        """The dense and CSR storages: z ← σ(S z + b) on the whole state.

        Dense: the input rows of S are [I 0] (they copy x), so only the other
        rows are multiplied, and their product with the input columns, which
        never change, is computed once: S z = [x; A x + B h] with
        A = S[rest, input] and B = S[rest, rest]. CSR: the whole product.
        """
        m, L, n0 = X.shape[1], len(self.sizes), self.sizes[0]
        H = X.new_zeros((self.n - n0, m))  # the non-input slots, zero at the start
        if self.kind == "dense":
            M = self.operator.matrix
            AX, B = M[n0:, :n0] @ X, M[n0:, n0:]
        states = [torch.cat([X, H])] if keep else []
        for k in range(1, iterations + 1):
            if self.kind == "dense":
                P = torch.addmm(AX, B, H)
            else:
                P = self.operator(torch.cat([X, H]))[n0:]  # S z: Init copies the input slot through
            targets = self._targets(k, schedule)
            rows = [slice(s.start - n0, s.stop - n0) for s in self.slices]
            H = torch.cat([
                self._activate(i, P[rows[i]] + self._bias(i)) if i in targets else H[rows[i]]
                for i in range(1, L)
            ])
            if keep:
                states.append(torch.cat([X, H]))
        return states if keep else [torch.cat([X, H])]

    def run(self, X: torch.Tensor, iterations: int, schedule: str = "full", keep: bool = False) -> list[torch.Tensor]:
        """Iterate from z = [X; 0; …; 0], X of shape (n0, m) (columns).

        Returns ``[z_K]``, or every state ``[z_0, …, z_K]`` when ``keep``,
        each (n, m). ``schedule="full"`` updates every slot at every
        iteration; ``"skip"`` updates slot i only at iteration depth(i), when
        all its inputs have been reached; until then it stays 0.
        """
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        if schedule == "skip" and self.depth is None:
            raise ValueError("schedule 'skip' needs a mask without loops (a feed-forward net); this one has a loop")
        if self.kind != "blocks":
            return self._run_whole(X, iterations, schedule, keep)
        m = X.shape[1]
        assembled = []
        for slots in self._run_slots(X, iterations, schedule, keep):
            assembled.append(torch.cat([s if s is not None else X.new_zeros((size, m))
                                        for s, size in zip(slots, self.sizes)]))
        return assembled

    def forward(self, x: Any, iterations: int | None = None, schedule: str = "full") -> torch.Tensor:
        """The output slot after ``iterations`` iterations, for x of shape (m, n0).

        Args:
            x: a batch as rows, (m, n0), as ``nn.Sequential`` takes it.
            iterations: default the depth (number of layers of an MLP).
            schedule: "full" (every block every iteration) or "skip" (each
                slot computed once, when its inputs are reached: the MLP's own
                cost). Both give the same output once iterations >= depth.

        Returns the output slot as rows, (m, nL).
        """
        X = self._check_x(x).T
        iterations = self._check_iterations(iterations)
        if self.kind == "blocks" and schedule in SCHEDULES and not (schedule == "skip" and self.depth is None):
            out = self._run_slots(X, iterations, schedule, keep=False)[0][-1]
            if out is None:  # skip schedule stopped before the output was reached
                out = X.new_zeros((self.sizes[-1], X.shape[1]))
            return out.T
        Z = self.run(X, iterations, schedule)[0]
        return Z[self.slices[-1]].T

    def states(self, x: Any, iterations: int | None = None, schedule: str = "full") -> list[torch.Tensor]:
        """The states ``[z_0, z_1, …, z_K]`` as columns (n, m), without gradients."""
        X = self._check_x(x).T
        iterations = self._check_iterations(iterations, minimum=0)
        with torch.no_grad():
            return self.run(X, iterations, schedule, keep=True)

    def _check_x(self, x: Any) -> torch.Tensor:
        dtype = self.dtype
        if isinstance(x, torch.Tensor) and x.ndim == 2 and x.shape[1] == self.sizes[0]:
            return x.to(dtype)
        if isinstance(x, torch.Tensor) and x.ndim == 1 and x.shape[0] == self.sizes[0]:
            raise ValueError(f"x must be a batch of shape (m, {self.sizes[0]}), rows as for nn.Linear; "
                             f"got one vector of shape {tuple(x.shape)}: use x[None, :]")
        return as_matrix(x, "x", cols=self.sizes[0], dtype=dtype)

    def _check_iterations(self, iterations: Any, minimum: int = 1) -> int:
        if iterations is None:
            return self.depth if self.depth is not None else len(self.sizes) - 1
        return check_int(iterations, "iterations", minimum=minimum)

    def parameter_bytes(self) -> int:
        """Bytes of the operator's tensors and the biases."""
        return self.operator.nbytes() + sum(b.numel() * b.element_size() for b in self.biases)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, kind={self.kind!r}, trainable entries={self.operator.entries}, depth={self.depth}"


def from_sequential(model: nn.Module, *, kind: str = "auto") -> IteratedMap:
    """The iterated map of an ``nn.Sequential`` MLP (notebook 07).

    ``model`` must be ``Linear`` layers with elementwise activations between
    and after them (``ELEMENTWISE``; several in a row are applied in order),
    starting with a ``Linear``. The weights go into U's blocks just below the
    diagonal, the biases into the bias vector, the activations to the slots.
    ``from_sequential(model)(x)`` equals ``model(x)`` for x of shape
    (m, in_features), to rounding (1e-5 in float32).

    Args:
        model: an ``nn.Sequential`` of ``nn.Linear`` and elementwise layers.
        kind: storage of S ("auto" picks per-layer blocks for an MLP).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be a torch.nn.Sequential, got {describe(model)}")
    layers = list(model)
    if not layers or not isinstance(layers[0], nn.Linear):
        first = type(layers[0]).__name__ if layers else "nothing"
        raise ValueError(f"model must start with an nn.Linear layer, got {first}")
    linears: list[nn.Linear] = []
    activations: list[list[nn.Module]] = []
    for index, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            if linears and layer.in_features != linears[-1].out_features:
                raise ValueError(
                    f"model[{index}] takes {layer.in_features} features but the layer before it gives "
                    f"{linears[-1].out_features}: mismatched layer shapes"
                )
            linears.append(layer)
            activations.append([])
        else:
            activations[-1].append(_check_activation_module(layer, f"model[{index}]"))
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    dtype = linears[0].weight.dtype
    n = sum(sizes)
    slices = slot_slices(sizes)
    U = torch.zeros((n, n), dtype=dtype)
    bias = torch.zeros(n - sizes[0], dtype=dtype)
    with torch.no_grad():
        for l, layer in enumerate(linears, start=1):
            U[slices[l], slices[l - 1]] = layer.weight.detach().to(dtype)
            if layer.bias is not None:
                bias[slices[l].start - sizes[0]: slices[l].stop - sizes[0]] = layer.bias.detach().to(dtype)
    acts = [None if not chain else chain[0] if len(chain) == 1 else nn.Sequential(*chain) for chain in activations]
    return IteratedMap(sizes, mlp_mask(sizes), U, bias, acts, kind=kind, dtype=dtype)
