"""A recurrent network is the same iterated map, its input injected (notebook 08).

An Elman RNN (``torch.nn.RNN``) reads a sequence x_1, …, x_T:

    h_t = σ(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh),      h_0 given (default 0).

With notebook 07's slots the state is z = [x; h] and

    S = [[0,    0   ],      b = [0; b_ih + b_hh],
         [W_ih, W_hh]],

and iteration t first sets the input slot to x_t (the input is *injected*, as
the data were in notebook 05), then applies z ← σ(S z + b): after iteration t
the hidden slot holds h_t. The recurrent weights W_hh sit in the diagonal block
h←h, the block that makes the net recurrent; an MLP's mask (notebook 07) has
nothing on the diagonal. ``Init`` is zero: nothing copies the input from one
iteration to the next, the next x_t replaces it, and once the sequence has run
out the input slot is zero, which is what S's zero rows give.

A stack of L layers (``nn.RNN(num_layers=L)``) has one slot per layer, slot l
reading slot l - 1 and itself. Layer l's step t needs layer l - 1's h_t, so slot
l starts one iteration after slot l - 1 and runs its T steps at iterations
l, …, T + l - 1 (schedule "layers"; a one-layer net runs at iterations 1..T).
Schedule "full" updates every slot at every iteration, for any mask (loops
anywhere), for as many iterations as asked.

The loop is ``IteratedMap``'s own (``IteratedMap._iterate``): its ``inject``
hook sets the input slot to x_t before iteration t, zero once the sequence has
run out.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from ._checks import as_tensor, check_int, check_precision, describe
from .mlp import IteratedMap, mlp_mask, slot_depths
from .storage import assemble, check_sizes, slot_slices

__all__ = ["RecurrentMap", "from_rnn", "rnn_mask"]

SCHEDULES = ("layers", "full")


def rnn_mask(sizes: Sequence[int]) -> torch.Tensor:
    """The 0/1 mask Ω of a stack of Elman layers of sizes ``sizes`` (notebook 08).

    Layer l (slot l, l = 1..L) reads the slot before it (block (l, l - 1):
    ``W_ih``) and itself (the diagonal block (l, l): ``W_hh``). With one layer
    and ``sizes = [n0, H]``: Ω = [[0, 0], [1, 1]].

    Args:
        sizes: [n0, n1, …, nL], the input's features first.
    """
    sizes = check_sizes(sizes)
    mask = mlp_mask(sizes)
    for rows in slot_slices(sizes)[1:]:
        mask[rows, rows] = 1.0
    return mask


class RecurrentMap(IteratedMap):
    """``z ← σ(S z + b)`` with the input slot set to x_t before iteration t: an RNN as one matrix (notebook 08).

    Args:
        sizes: [n0, n1, …, nL]: the input slot (n0 features per step), then one
            slot per layer (or a read-out slot).
        mask: Ω (default ``rnn_mask(sizes)``); zero on the input rows.
        U: starting U, n x n (default uniform ±1/√fan-in on the mask).
        bias: starting biases, a vector of length n - n0 (default zeros), or
            False for none, as for ``IteratedMap``.
        activations: one per slot 1..L, as for ``IteratedMap`` (default tanh on
            every slot).
        batch_first: sequences as (m, T, n0) rather than (T, m, n0), as ``nn.RNN``.
        kind, dtype, generator: as for ``IteratedMap``.

    Shape:
        ``rmap(x, h0)`` takes what ``nn.RNN`` takes: x of shape (T, m, n0)
        ((m, T, n0) with ``batch_first``) or one sequence (T, n0); h0 (default
        zeros) of shape (L, m, H) or (L, H), when the L slots have one size H.
        It returns ``(output, h_n)``: the last slot after each step, (T, m, nL)
        ((m, T, nL), or (T, nL) for one sequence), and every slot's last value,
        (L, m, H) or (L, H). Slots of different sizes (a read-out slot) take
        and give h0 and h_n as a tuple of L tensors (m, n_l) or (n_l,).

    Example::

        >>> rmap = RecurrentMap([5, 7])
        >>> output, h_n = rmap(torch.randn(4, 3, 5))     # T = 4 steps, m = 3 sequences
        >>> output.shape, h_n.shape
        (torch.Size([4, 3, 7]), torch.Size([1, 3, 7]))
    """

    def __init__(self, sizes: Sequence[int], mask: Any = None, U: Any = None, bias: Any = None,
                 activations: Sequence[Callable | None] | None = None, *, batch_first: bool = False,
                 kind: str = "auto", dtype: torch.dtype | None = None,
                 generator: torch.Generator | None = None) -> None:
        sizes = check_sizes(sizes)
        if not isinstance(batch_first, (bool, np.bool_)):
            raise TypeError(f"batch_first must be True or False, as for nn.RNN, got {describe(batch_first)}")
        activations = [nn.Tanh() for _ in sizes[1:]] if activations is None else activations
        super().__init__(sizes, rnn_mask(sizes) if mask is None else mask, U, bias, activations,
                         kind=kind, dtype=dtype, generator=generator)
        self.batch_first = bool(batch_first)
        # the iteration at which each slot starts (schedule "layers"): its depth, its own loop left out
        self.lag = slot_depths([[j for j in reads if j != i] for i, reads in enumerate(self.operator.inputs)])

    @property
    def Init(self) -> torch.Tensor:
        """Zero: the input slot is set to x_t at every iteration, nothing carries it over."""
        return self.biases[0].new_zeros((self.n, self.n))

    # ------------------------------------------------------------- iterating
    def _run(self, X: list[torch.Tensor], start: list, schedule: str, iterations: int) -> list[list]:
        """The slots after each iteration 0..iterations, X[t - 1] (n0, m) injected at iteration t.

        Iteration k > T injects zeros. The input slot of each list is the one
        iteration k read.
        """
        T, every = len(X), range(1, len(self.sizes))
        off = X[0].new_zeros(X[0].shape)  # the input slot before and after the sequence
        if schedule == "full":
            plan = [list(every)] * iterations
        else:
            plan = [[i for i in every if self.lag[i] <= k < self.lag[i] + T] for k in range(1, iterations + 1)]
        return self._iterate([off, *X, *[off] * (iterations - T)], start, plan, keep=True)

    def _iterations(self, T: int, schedule: Any, iterations: Any) -> tuple[int, int]:
        """(iterations to run, the first iteration whose last slot is an output)."""
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        if schedule == "full":
            return (T if iterations is None else check_int(iterations, "iterations", minimum=T)), 1
        if self.lag is None:
            raise ValueError("schedule 'layers' needs a mask whose only loops are diagonal blocks "
                             "(a stack of recurrent layers); this mask has a loop through several slots: "
                             "use schedule='full'")
        if iterations is not None:
            raise ValueError("iterations must be None with schedule 'layers' (the layers set it: "
                             "T + L - 1); give it with schedule='full'")
        return T + max(self.lag[1:]) - 1, self.lag[-1]

    def forward(self, x: Any, h0: Any = None, *, schedule: str = "layers",
                iterations: int | None = None) -> tuple[torch.Tensor, Any]:
        """``(output, h_n)`` of the sequences x, as ``nn.RNN`` returns them.

        Args:
            x: (T, m, n0), (m, T, n0) with ``batch_first``, or one sequence (T, n0).
            h0: the slots' starting values (default zeros); see Shape.
            schedule: "layers" (a stack of recurrent layers, as ``nn.RNN``) or
                "full" (every slot at every iteration, any mask).
            iterations: with "full", the number of iterations (>= T; default T):
                after step T the input slot is zero.

        ``output`` holds the last slot after each step ("layers": T of them;
        "full": one per iteration).
        """
        X, one = self._check_sequence(x)
        T, m = len(X), X[0].shape[1]
        iterations, first = self._iterations(T, schedule, iterations)
        runs = self._run(X, self._check_h0(h0, m, one, X[0]), schedule, iterations)
        last = len(runs) - 1 if schedule == "full" else first + T - 1
        output = torch.stack([slots[-1].T for slots in runs[first:last + 1]])  # (steps, m, nL)
        h_n = [z.T for z in runs[-1][1:]]  # (m, n_l) each
        if one:
            output, h_n = output[:, 0], [h[0] for h in h_n]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, torch.stack(h_n) if len(set(self.sizes[1:])) == 1 else tuple(h_n)

    def states(self, x: Any, h0: Any = None, *, schedule: str = "layers",
               iterations: int | None = None) -> list[torch.Tensor]:
        """The states ``[z_0, z_1, …]`` as columns (n, m), without gradients.

        z_0 holds h0 (the input slot zero); z_k holds the slots after iteration k
        and, in the input slot, the x_k that iteration read.
        """
        X, one = self._check_sequence(x)
        iterations, _ = self._iterations(len(X), schedule, iterations)
        with torch.no_grad():
            runs = self._run(X, self._check_h0(h0, X[0].shape[1], one, X[0]), schedule, iterations)
            return [assemble(slots, self.sizes, X[0]) for slots in runs]

    # ---------------------------------------------------------------- checks
    def _check_sequence(self, x: Any) -> tuple[list[torch.Tensor], bool]:
        """x as the input slot of each step, (n0, m) each; and whether x is one sequence."""
        n0 = self.sizes[0]
        layout = "(m, T, n0)" if self.batch_first else "(T, m, n0)"
        x = as_tensor(x, "x", self.dtype, owner="rmap", finite=False,
                      expected=f"a tensor of sequences {layout} (n0 = {n0}), as for nn.RNN")
        if x.ndim not in (2, 3) or x.shape[-1] != n0 or x.numel() == 0:
            raise ValueError(f"x must have shape {layout} with n0 = {n0} features per step, or (T, {n0}) for one "
                             f"sequence, as for nn.RNN; got shape {tuple(x.shape)}")
        x = x.to(self.biases[0].device)
        if x.ndim == 2:
            return [step[:, None] for step in x], True
        return [step.T for step in (x.transpose(0, 1) if self.batch_first else x)], False

    def _check_h0(self, h0: Any, m: int, one: bool, like: torch.Tensor) -> list:
        """h0 as one (n_l, m) column block per slot (None: zero)."""
        layers, sizes = len(self.sizes) - 1, self.sizes[1:]
        if h0 is None:
            return [None] * layers
        if isinstance(h0, torch.Tensor):
            if len(set(sizes)) > 1:
                raise ValueError(f"h0 must be a tuple of {layers} tensors, one per slot: the slots' sizes {sizes} "
                                 "differ, so they do not stack into one tensor")
            expected = (layers, sizes[0]) if one else (layers, m, sizes[0])
            if tuple(h0.shape) != expected:
                raise ValueError(f"h0 must have shape {expected} (layers, {'' if one else 'm, '}hidden), "
                                 f"as for nn.RNN; got shape {tuple(h0.shape)}")
            parts = list(h0.unbind(0))
        elif isinstance(h0, (list, tuple)) and len(h0) == layers and all(isinstance(h, torch.Tensor) for h in h0):
            parts = list(h0)
            for l, (h, size) in enumerate(zip(parts, sizes), start=1):
                if tuple(h.shape) != ((size,) if one else (m, size)):
                    raise ValueError(f"h0[{l - 1}] must have shape {(size,) if one else (m, size)} "
                                     f"(slot {l}), got shape {tuple(h.shape)}")
        else:
            raise TypeError(f"h0 must be None, a tensor (layers, m, hidden) or a tuple of {layers} tensors, "
                            f"got {describe(h0)}")
        for h in parts:
            check_precision(h, "h0", self.dtype, "rmap")
        return [h.to(like).reshape(1 if one else m, -1).T for h in parts]

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, batch_first={self.batch_first}"


#: nn.RNN's nonlinearities and the modules that apply them to a slot
_NONLINEARITIES = {"tanh": nn.Tanh, "relu": nn.ReLU}


def from_rnn(rnn: nn.Module, *, kind: str = "auto") -> RecurrentMap:
    """The iterated map of a ``torch.nn.RNN`` (notebook 08).

    Layer l's ``weight_ih_l{l-1}`` goes into U's block (slot l, slot l - 1),
    its ``weight_hh_l{l-1}`` into the diagonal block (slot l, slot l), its
    ``bias_ih + bias_hh`` into the bias vector; every slot gets the RNN's tanh
    or ReLU. The map shares nothing with the RNN. ``from_rnn(rnn)(x, h0)``
    equals ``rnn(x, h0)`` (output and h_n, to rounding: 1e-5 in float32), for
    any ``batch_first``, and so do the gradients (the map's bias gets the
    gradient of ``bias_ih`` and of ``bias_hh``). The two biases being one, an
    optimiser steps their sum once where it steps each of the RNN's: trained,
    the two drift apart unless the RNN has no bias. An RNN without bias gives a
    map without bias (zeros, not trained, not counted): the map has the RNN's
    parameters, no more.

    Args:
        rnn: a ``torch.nn.RNN``, one direction, no dropout between layers.
        kind: storage of S ("auto" picks blocks: every block is full).
    """
    if isinstance(rnn, (nn.LSTM, nn.GRU)):
        raise TypeError(f"rnn must be a torch.nn.RNN (an Elman network), got an nn.{type(rnn).__name__}: its gates "
                        "multiply slots together, which is not one matrix followed by an activation")
    if not isinstance(rnn, nn.RNN):
        raise TypeError(f"rnn must be a torch.nn.RNN, got {describe(rnn)}")
    if rnn.bidirectional:
        raise ValueError("rnn must run in one direction (bidirectional=False): the backward direction reads the "
                         "sequence from its end, a second map")
    if rnn.num_layers > 1 and rnn.dropout:
        raise ValueError(f"rnn.dropout must be 0 (the map has no dropout between layers), got {rnn.dropout}")
    layers = rnn.num_layers
    sizes = [rnn.input_size] + [rnn.hidden_size] * layers
    weight = rnn.weight_ih_l0
    n, slices = sum(sizes), slot_slices(sizes)
    U = torch.zeros((n, n), dtype=weight.dtype)
    bias = torch.zeros(n, dtype=weight.dtype)
    with torch.no_grad():
        for l in range(1, layers + 1):
            U[slices[l], slices[l - 1]] = getattr(rnn, f"weight_ih_l{l - 1}").detach().cpu()
            U[slices[l], slices[l]] = getattr(rnn, f"weight_hh_l{l - 1}").detach().cpu()
            if rnn.bias:
                bias[slices[l]] = (getattr(rnn, f"bias_ih_l{l - 1}") + getattr(rnn, f"bias_hh_l{l - 1}")).detach().cpu()
    acts = [_NONLINEARITIES[rnn.nonlinearity]() for _ in range(layers)]
    rmap = RecurrentMap(sizes, None, U, bias[sizes[0]:] if rnn.bias else False, acts, batch_first=rnn.batch_first,
                        kind=kind, dtype=weight.dtype)
    return rmap.to(weight.device)
