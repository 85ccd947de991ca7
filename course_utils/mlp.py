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

import copy
from typing import Any, Callable, Sequence

import torch
from torch import nn

from ._checks import as_tensor, check_dtype, check_generator, check_int, describe
from .storage import _make, assemble, check_sizes, slot_slices
from .training import iteration

__all__ = ["ELEMENTWISE_LAYERS", "Biases", "IteratedMap", "from_sequential", "mlp_mask", "random_mask", "slot_depths"]

#: layers that act on each entry on its own (an activation of a slot)
ELEMENTWISE_LAYERS: tuple[type[nn.Module], ...] = (
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
    return _mlp_mask(check_sizes(sizes))


def _mlp_mask(sizes: list[int]) -> torch.Tensor:
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
    flat[torch.randperm((n - n0) * n, generator=check_generator(generator))[:entries]] = 1.0
    return torch.cat([torch.zeros((n0, n)), flat.reshape(n - n0, n)], dim=0)


class _Function(nn.Module):
    """A plain function as a module, so that every activation sits in one ``nn.ModuleDict``."""

    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)


def _activation_modules(activations: Sequence[Callable | None] | None, layers: int) -> nn.ModuleDict:
    """The activations of slots 1..layers keyed by slot ("1", "2", …); None (identity) is left out."""
    activations = [nn.ReLU() for _ in range(layers - 1)] + [None] if activations is None else list(activations)
    if len(activations) != layers:
        raise ValueError(f"activations must have one entry per slot after the input ({layers}), got {len(activations)}")
    for i, act in enumerate(activations):
        if act is not None and not callable(act):
            raise TypeError(f"activations[{i}] must be callable or None, got {describe(act)}")
    return nn.ModuleDict({str(i): act if isinstance(act, nn.Module) else _Function(act)
                          for i, act in enumerate(activations, start=1) if act is not None})


def slot_depths(inputs: Sequence[Sequence[int]]) -> list[int] | None:
    """Each slot's depth: the iteration at which its value is final, slot i reading the slots ``inputs[i]``.

    The input slot has depth 0; slot i has depth 1 + the largest depth it reads,
    so a slot that reads the input alone, or no slot (its bias alone), has
    depth 1. None if the slots wait for each other in a loop.
    """
    depth = {0: 0}
    while len(depth) < len(inputs):
        ready = [i for i in range(1, len(inputs)) if i not in depth and all(j in depth for j in inputs[i])]
        if not ready:
            return None  # a loop: some slot waits for itself
        depth.update({i: 1 + max((depth[j] for j in inputs[i]), default=0) for i in ready})
    return [depth[i] for i in range(len(inputs))]


class Biases(nn.Module):
    """b = [b_1; …; b_L]: one column (n_i, 1) per non-input slot, ``biases[i - 1]`` for slot i.

    A slot's column is a parameter, or, for a slot without bias (a layer of
    ``nn.Linear(bias=False)``, ``nn.RNN(bias=False)``), zeros kept as a buffer:
    no optimiser sees them, they count neither as parameters nor in the
    ``state_dict``, and ``.to()`` moves them.

    Args:
        bias: the vector b, length Σ sizes.
        sizes: the non-input slots' sizes.
        trainable: per slot, whether it has a bias.
    """

    def __init__(self, bias: torch.Tensor, sizes: Sequence[int], trainable: Sequence[bool]) -> None:
        super().__init__()
        for i, (b, train) in enumerate(zip(bias.split(list(sizes)), trainable)):
            if train:
                self.register_parameter(str(i), nn.Parameter(b[:, None].clone()))
            else:
                self.register_buffer(str(i), torch.zeros_like(b)[:, None], persistent=False)

    def __len__(self) -> int:
        return len(self._parameters) + len(self._buffers)

    def __getitem__(self, i: int) -> torch.Tensor:
        return getattr(self, str(range(len(self))[i]))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def extra_repr(self) -> str:
        return ", ".join(f"b_{i}: {b.shape[0]}" + ("" if isinstance(b, nn.Parameter) else " (no bias)")
                         for i, b in enumerate(self, start=1))


class IteratedMap(nn.Module):
    """``z ← σ(S z + b)`` repeated: an MLP (or any masked net) as one matrix (notebook 07).

    Args:
        sizes: the slots' sizes [n0, n1, …, nL]; slot 0 is the input, slot L
            the output.
        mask: Ω, n x n 0/1 (default ``mlp_mask(sizes)``); zero on input rows.
        U: starting U, n x n (default uniform ±1/√fan-in on the mask).
        bias: starting biases, a vector of length n - n0; None (default) or
            True: zeros, trained; False: no bias, as ``nn.Linear(bias=False)``
            (zeros that stay zero, not parameters).
        activations: one per slot 1..L, each an elementwise module, a function
            or None (identity); default ReLU on hidden slots, identity on the
            output. Each sees its slot as rows (m, n_i), the layout of
            ``nn.Sequential``, so that ``nn.PReLU(num_parameters=n_i)`` has one
            slope per feature. Submodules ``imap.activations["1"]``, …: they
            train, and ``.eval()`` and ``.to()`` reach them.
        kind: storage of S: "auto", "dense", "blocks" or "csr" (see
            ``course_utils.storage``).
        dtype: floating dtype (default torch's default dtype); a tensor U or
            bias finer than it raises a TypeError rather than being rounded.
        generator: a ``torch.Generator`` for the default U.

    Shape:
        ``imap(x)`` takes x of shape (m, n0) (rows, like ``nn.Linear``), no
        finer than the map's dtype, and returns the output slot after ``iterations``
        iterations as (m, nL).

    Example::

        >>> imap = IteratedMap([4, 6, 3])
        >>> imap(torch.randn(8, 4)).shape
        torch.Size([8, 3])
    """

    def __init__(self, sizes: Sequence[int], mask: Any = None, U: Any = None, bias: Any = None,
                 activations: Sequence[Callable | None] | None = None, *, kind: str = "auto",
                 dtype: torch.dtype | None = None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        self.slices = slot_slices(self.sizes)
        self.n, n0, layers = sum(self.sizes), self.sizes[0], len(self.sizes) - 1
        dtype = check_dtype(dtype)
        self.operator = _make(self.sizes, _mlp_mask(self.sizes) if mask is None else mask, U, kind, dtype,
                              check_generator(generator))
        self.biases = Biases(self._check_bias(bias, dtype), self.sizes[1:], [bias is not False] * layers)
        self.activations = _activation_modules(activations, layers)
        self.slot_depth = slot_depths(self.operator.inputs)
        self.depth = None if self.slot_depth is None else max(self.slot_depth)

    def _check_bias(self, bias: Any, dtype: torch.dtype) -> torch.Tensor:
        length = self.n - self.sizes[0]
        if bias is None or isinstance(bias, bool):
            return torch.zeros(length, dtype=dtype)
        bias = as_tensor(bias, "bias", dtype, owner="the map", fix="dtype={dtype}",
                         expected=f"None, False or a vector of length {length}").detach()
        if bias.shape != (length,):
            raise ValueError(f"bias must be a vector of length {length} (the non-input slots), got shape {tuple(bias.shape)}")
        return bias

    # -------------------------------------------------------------- notation
    @property
    def kind(self) -> str:
        """How S is stored: "dense", "blocks" or "csr"."""
        return self.operator.kind

    @property
    def dtype(self) -> torch.dtype:
        return self.biases[0].dtype

    @property
    def Init(self) -> torch.Tensor:
        """The fixed part of S: identity on the input slot, zero elsewhere."""
        Init = self.biases[0].new_zeros((self.n, self.n))
        Init[self.slices[0], self.slices[0]] = torch.eye(self.sizes[0], dtype=Init.dtype, device=Init.device)
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

    @property
    def bias(self) -> torch.Tensor:
        """b, the biases of the non-input slots as one vector of length n - n0."""
        return torch.cat([b[:, 0] for b in self.biases])

    # ------------------------------------------------------------- iterating
    def _iterate(self, inputs: Sequence[torch.Tensor], start: Sequence, plan: Sequence[Sequence[int]],
                 keep: bool) -> list[list]:
        """The loop z ← σ(S z + b), the state a list of slots (None: a slot known to be zero).

        z_0 = ``[inputs[0], *start]``. Iteration k (1..len(plan)) sets the input
        slot to ``inputs[k]``, the injection that tells the maps apart
        (``IteratedMap``: X at every k, what Init's identity block does;
        ``RecurrentMap``: x_k, an RNN), then computes the slots ``plan[k - 1]``
        from that state and keeps the others. Returns z_0..z_K (``keep``) or [z_K].
        """
        op, biases = self.operator, list(self.biases)
        acts = [None] * len(self.sizes)
        for key, act in self.activations.items():
            acts[int(key)] = act
        read = {}  # the input slot and its affine map: the products with an input are made once

        def step(slots: list, k: int) -> list:
            x = inputs[k]
            if read.get("x") is not x:
                read.update(x=x, pre=op.affine(x, biases))
            slots = [x, *slots[1:]]
            for i, p in zip(plan[k - 1], read["pre"](slots, plan[k - 1])):
                slots[i] = p if acts[i] is None else acts[i](p.T).T  # σ on rows (m, n_i), as nn.Sequential
            return slots

        states = [[inputs[0], *start]]
        for slots in iteration(step, states[0], len(plan)):
            if keep:
                states.append(slots)
            else:
                states = [slots]
        return states

    def _run(self, X: torch.Tensor, iterations: int, schedule: str, keep: bool) -> list[list]:
        """The last state (or all, ``keep``) from z = [X; 0; …; 0], X (n0, m), as lists of slots (None: zero).

        "full" updates every slot at every iteration, but a slot that reads no
        slot other than the input keeps its first value (exact: the input never
        changes); "skip" updates slot i only at iteration depth(i), when its inputs are reached.
        """
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        if schedule == "skip" and self.depth is None:
            raise ValueError("schedule 'skip' needs a mask without loops (a feed-forward net); this one has a loop")
        every = list(range(1, len(self.sizes)))
        if schedule == "skip":
            plan = [[i for i in every if self.slot_depth[i] == k] for k in range(1, iterations + 1)]
        else:
            moving = [i for i in every if any(j != 0 for j in self.operator.inputs[i])]
            plan = ([every] + [moving] * (iterations - 1))[:iterations]
        return self._iterate([X] * (iterations + 1), [None] * len(every), plan, keep)

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
        out = self._run(X, self._check_iterations(iterations), schedule, keep=False)[0][-1]
        return X.new_zeros((X.shape[1], self.sizes[-1])) if out is None else out.T

    def states(self, x: Any, iterations: int | None = None, schedule: str = "full") -> list[torch.Tensor]:
        """The states ``[z_0, z_1, …, z_K]`` as columns (n, m), without gradients."""
        X = self._check_x(x).T
        with torch.no_grad():
            runs = self._run(X, self._check_iterations(iterations, minimum=0), schedule, keep=True)
            return [assemble(slots, self.sizes, X) for slots in runs]

    def _check_x(self, x: Any) -> torch.Tensor:
        """x as a tensor (m, n0) of the map's dtype and device (``_checks``' input policy)."""
        n0 = self.sizes[0]
        x = as_tensor(x, "x", self.dtype, owner="imap", finite=False,
                      expected=f"a batch of rows (m, {n0}), as for nn.Linear")
        if x.ndim != 2 or x.shape[1] != n0:
            hint = ": use x[None, :]" if x.shape == (n0,) else ""
            raise ValueError(f"x must be a batch of shape (m, {n0}), rows as for nn.Linear; got shape {tuple(x.shape)}{hint}")
        return x.to(self.biases[0].device)

    def _check_iterations(self, iterations: Any, minimum: int = 1) -> int:
        if iterations is None:
            return self.depth if self.depth is not None else len(self.sizes) - 1
        return check_int(iterations, "iterations", minimum=minimum)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, kind={self.kind!r}, trainable entries={self.operator.entries}, depth={self.depth}"


def from_sequential(model: nn.Module, *, kind: str = "auto") -> IteratedMap:
    """The iterated map of an ``nn.Sequential`` MLP (notebook 07).

    ``model`` must be ``Linear`` layers with elementwise activations between
    and after them (``ELEMENTWISE_LAYERS``; several in a row are applied in
    order), starting with a ``Linear``. The weights go into U's blocks just
    below the diagonal, the biases into the bias vector, copies of the
    activations (with their parameters, e.g. ``PReLU``'s) to the slots: the map
    shares nothing with the model, and lives on the model's device. A layer
    without bias gives a slot without bias (zeros, not trained, not counted):
    the map has the model's parameters, no more. ``from_sequential(model)(x)``
    equals ``model(x)`` for x of shape (m, in_features), to rounding (1e-5 in float32).

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
        elif isinstance(layer, ELEMENTWISE_LAYERS):
            activations[-1].append(copy.deepcopy(layer))
        else:
            raise ValueError(
                f"model[{index}] must be nn.Linear or an elementwise activation "
                f"({', '.join(t.__name__ for t in ELEMENTWISE_LAYERS[:8])}, …), got {type(layer).__name__}"
            )
    devices = {t.device for t in [*model.parameters(), *model.buffers()]}
    if len(devices) > 1:
        raise ValueError(f"model must be on one device, got tensors on {', '.join(sorted(map(str, devices)))}: "
                         "move it with model.to(device) first")
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    dtype = linears[0].weight.dtype
    n, slices = sum(sizes), slot_slices(sizes)
    U = torch.zeros((n, n), dtype=dtype)
    bias = torch.zeros(n, dtype=dtype)
    with torch.no_grad():
        for l, layer in enumerate(linears, start=1):
            U[slices[l], slices[l - 1]] = layer.weight.detach().cpu().to(dtype)
            if layer.bias is not None:
                bias[slices[l]] = layer.bias.detach().cpu().to(dtype)
    acts = [None if not chain else chain[0] if len(chain) == 1 else nn.Sequential(*chain) for chain in activations]
    imap = IteratedMap(sizes, None, U, bias[sizes[0]:], acts, kind=kind, dtype=dtype)
    # a layer without bias stays without: frozen zeros, not parameters (as from_rnn)
    imap.biases = Biases(bias[sizes[0]:], sizes[1:], [layer.bias is not None for layer in linears])
    return imap.to(linears[0].weight.device)  # the copied activations are on it already
