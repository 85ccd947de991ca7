"""Activations of the iterated map (notebook 05), with the seed's ``(Z, j)`` signature.

The iterated map is ``Z_j+1 = σ(S Z_j, j)``: after every application of S an
activation σ acts on the state Z (n rows = coordinates, m columns = examples)
and may look at the iteration index j (k stays the number of iterations). Here σ is a small object that can be
combined with others:

- ``Elementwise``: one function on every entry (``cube``, ``tanh``, ``relu``,
  ``identity``);
- ``RowActivation`` / ``per_row``: a function on chosen rows only, the
  identity elsewhere (the seed's cube on the hidden row 1);
- ``Injection``: the data rows clamped to X at every iteration ("putting the
  training data into the activation", read as input injection);
- ``compose`` or ``a >> b``: first a, then b.

Every activation builds a new tensor (``index_copy``), never editing Z in
place: the seed's ``X[1, :] = X[1, :]**3`` would overwrite a tensor that
autograd still needs for the backward pass.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Mapping

import torch

from ._checks import as_matrix, check_activation, describe

Function = Callable[[torch.Tensor], torch.Tensor]


class Activation:
    """Base of the course's activations: ``σ(Z, j) -> new Z`` of the same shape.

    ``a >> b`` is the composition "a, then b": ``(a >> b)(Z, j) = b(a(Z, j), j)``.
    """

    name: str = "activation"

    def __call__(self, Z: torch.Tensor, j: int = 0) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __rshift__(self, other: Callable) -> "Compose":
        return Compose(self, other)

    def __rrshift__(self, other: Callable) -> "Compose":
        return Compose(other, self)

    def __repr__(self) -> str:
        return self.name


def _check_state(Z: Any) -> torch.Tensor:
    if not isinstance(Z, torch.Tensor):
        raise TypeError(f"Z must be a torch.Tensor (the state, n x m), got {describe(Z)}")
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D (n coordinates x m examples), got shape {tuple(Z.shape)}")
    return Z


def _check_function(fn: Any, name: str) -> Function:
    """A one-argument tensor function: a named one ("cube"), an Elementwise or a callable."""
    if isinstance(fn, str):
        if fn not in ELEMENTWISE:
            raise ValueError(f"{name} must be one of {sorted(ELEMENTWISE)} or a callable, got {fn!r}")
        return ELEMENTWISE[fn].fn
    if isinstance(fn, Elementwise):
        return fn.fn
    if not callable(fn):
        raise TypeError(f"{name} must be callable (a function of a tensor) or a name such as 'cube', got {describe(fn)}")
    return fn


def _function_name(fn: Any) -> str:
    if isinstance(fn, str):
        return fn
    if isinstance(fn, Elementwise):
        return fn.name
    return getattr(fn, "__name__", type(fn).__name__)


def _apply(fn: Function, Z: torch.Tensor, name: str) -> torch.Tensor:
    out = fn(Z)
    if not isinstance(out, torch.Tensor) or out.shape != Z.shape:
        got = describe(out)
        raise ValueError(f"{name} must return a tensor of the shape of its input {tuple(Z.shape)}, got {got}")
    return out


class Elementwise(Activation):
    """σ(Z, j) = f(Z) entry by entry, whatever j (notebook 05).

    Args:
        fn: a function of a tensor, applied to every entry (e.g. ``torch.tanh``).
        name: how it prints; the function's name by default.
    """

    def __init__(self, fn: Function, name: str | None = None) -> None:
        if isinstance(fn, Elementwise):
            fn = fn.fn
        if not callable(fn):
            raise TypeError(f"fn must be callable (a function of a tensor), got {describe(fn)}")
        self.fn = fn
        self.name = name if name is not None else _function_name(fn)

    def __call__(self, Z: torch.Tensor, j: int = 0) -> torch.Tensor:
        return _apply(self.fn, _check_state(Z), "fn")


def _cube(z: torch.Tensor) -> torch.Tensor:
    return z * z * z


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


#: z ↦ z³, the seed's nonlinearity (odd, flat at 0: f'(0) = 0)
cube = Elementwise(_cube, "cube")


#: z ↦ tanh z (odd, slope 1 at 0, saturates at ±1)
tanh = Elementwise(torch.tanh, "tanh")


#: z ↦ max(z, 0)
relu = Elementwise(torch.relu, "relu")


#: z ↦ z (the linear case)
identity = Elementwise(_identity, "identity")


#: the named elementwise functions, by name
ELEMENTWISE: dict[str, Elementwise] = {f.name: f for f in (cube, tanh, relu, identity)}


def _check_rows(rows: Any, name: str = "rows") -> tuple[int, ...]:
    """A non-empty tuple of distinct row indices >= 0 (an int counts as one row)."""
    if isinstance(rows, numbers.Integral) and not isinstance(rows, bool):
        rows = (rows,)
    if isinstance(rows, torch.Tensor):
        rows = rows.tolist()
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Iterable):
        raise TypeError(f"{name} must be a row index or a list of row indices, got {describe(rows)}")
    rows = tuple(rows)
    if not rows:
        raise ValueError(f"{name} must name at least one row, got an empty list")
    for r in rows:
        if isinstance(r, bool) or not isinstance(r, numbers.Integral):
            raise TypeError(f"{name} must hold integer row indices, got {describe(r)} in {rows}")
        if r < 0:
            raise ValueError(f"{name} must hold row indices >= 0 (0-based), got {int(r)}")
    rows = tuple(int(r) for r in rows)
    if len(set(rows)) != len(rows):
        raise ValueError(f"{name} must not list a row twice, got {rows}")
    return rows


def _check_in_range(rows: tuple[int, ...], n: int, name: str = "rows") -> None:
    if max(rows) >= n:
        raise ValueError(f"{name} must be row indices of the state (0 to {n - 1} for Z with {n} rows), got {max(rows)}")


class RowActivation(Activation):
    """σ(Z, j): a function on chosen rows of Z, the identity on the others (notebook 05).

    Row i of the result is ``f_i(Z[i])`` when a function is given for row i and
    ``Z[i]`` otherwise. The seed's cube on the hidden row is
    ``RowActivation({1: cube})``; rows are 0-based, so row 1 is the coordinate e2.

    Args:
        functions: a mapping ``{row or tuple of rows: function}``; a function is
            a name from ``ELEMENTWISE`` ("cube", "tanh", "relu", "identity"), an
            ``Elementwise`` or any callable of a tensor.
    """

    def __init__(self, functions: Mapping[Any, Any]) -> None:
        if not isinstance(functions, Mapping) or not functions:
            raise TypeError(f"functions must be a non-empty dict {{row: function}}, got {describe(functions)}")
        groups: list[tuple[tuple[int, ...], Function, str]] = []
        seen: set[int] = set()
        for rows, fn in functions.items():
            rows = _check_rows(rows)
            if seen & set(rows):
                raise ValueError(f"rows must not list a row twice, got row {min(seen & set(rows))} again")
            seen |= set(rows)
            groups.append((rows, _check_function(fn, "fn"), _function_name(fn)))
        self.groups = groups
        parts = [f"{name} on row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}" for rows, _, name in groups]
        self.name = "; ".join(parts)

    @property
    def rows(self) -> tuple[int, ...]:
        """Every row a function acts on, in order."""
        return tuple(sorted(r for rows, _, _ in self.groups for r in rows))

    def __call__(self, Z: torch.Tensor, j: int = 0) -> torch.Tensor:
        Z = _check_state(Z)
        _check_in_range(self.rows, Z.shape[0])
        out = Z
        for rows, fn, _ in self.groups:
            index = torch.tensor(rows, device=Z.device)
            part = Z.index_select(0, index)
            out = out.index_copy(0, index, _apply(fn, part, "fn"))
        return out


def per_row(rows: Any, fn: Any) -> RowActivation:
    """``fn`` on the rows ``rows`` of Z, the identity elsewhere (notebook 05).

    Args:
        rows: a 0-based row index or a list of them.
        fn: a name ("cube", "tanh", "relu", "identity"), an ``Elementwise`` or a
            callable of a tensor.

    ``per_row(1, "cube")`` is the seed's ``X[1, :] = X[1, :]**3``, without the
    in-place edit.
    """
    return RowActivation({_check_rows(rows): fn})


class Injection(Activation):
    """σ(Z, j): the data rows of Z set back to X at every iteration (notebook 05).

    ``σ(Z)[r] = X[r]`` for r in ``rows``, ``σ(Z)[i] = Z[i]`` elsewhere: the input
    is injected again after every application of S, as in deep equilibrium
    models. With S lower triangular below the data rows (an MLP's layout) the
    state stops changing after as many iterations as there are layers.

    Args:
        X: the data, either the full input state (n x m, as given to ``train``;
            its rows ``rows`` are used) or just the data rows (len(rows) x m).
        rows: 0-based indices of the data rows; default the first X.shape[0]
            rows (for X given as data rows only).
    """

    def __init__(self, X: Any, rows: Any = None) -> None:
        # lists and arrays are kept in float64; each call converts to Z's dtype
        X = as_matrix(X, "X", dtype=None if isinstance(X, torch.Tensor) else torch.float64)
        if rows is None:
            rows = tuple(range(X.shape[0]))
        self.rows = _check_rows(rows)
        self.X = X.detach().clone()
        if X.shape[0] != len(self.rows):
            _check_in_range(self.rows, X.shape[0])
        self.name = f"injection of X on row{'s' if len(self.rows) > 1 else ''} {', '.join(map(str, self.rows))}"

    def values(self, Z: torch.Tensor) -> torch.Tensor:
        """The clamped values for a state like Z: len(rows) x m, Z's dtype."""
        X = self.X
        if X.shape[0] != len(self.rows):
            if X.shape[0] != Z.shape[0]:
                raise ValueError(
                    f"X must have len(rows) = {len(self.rows)} rows or as many rows as Z ({Z.shape[0]}), "
                    f"got shape {tuple(X.shape)}"
                )
            X = X[list(self.rows)]
        if X.shape[1] != Z.shape[1]:
            raise ValueError(f"X must have as many columns as Z ({Z.shape[1]} examples), got shape {tuple(self.X.shape)}")
        return X.to(dtype=Z.dtype, device=Z.device)

    def __call__(self, Z: torch.Tensor, j: int = 0) -> torch.Tensor:
        Z = _check_state(Z)
        _check_in_range(self.rows, Z.shape[0])
        index = torch.tensor(self.rows, device=Z.device)
        return Z.index_copy(0, index, self.values(Z))


class Compose(Activation):
    """σ = σ_1 then σ_2 then ...: ``σ(Z, j) = σ_last(...σ_1(Z, j)..., j)`` (notebook 05).

    Args:
        *parts: activations with the ``(Z, j)`` signature (course activations
            or plain functions such as the seed's ``activation(X, iteration)``).
    """

    def __init__(self, *parts: Callable) -> None:
        if not parts:
            raise ValueError("parts must hold at least one activation, got none")
        flat: list[Callable] = []
        for i, part in enumerate(parts):
            check_activation(part, f"parts[{i}]")
            if part is None:
                raise TypeError(f"parts[{i}] must be an activation(Z, j), got None")
            flat.extend(part.parts if isinstance(part, Compose) else [part])
        self.parts = tuple(flat)
        self.name = " >> ".join(getattr(p, "name", getattr(p, "__name__", type(p).__name__)) for p in self.parts)

    def __call__(self, Z: torch.Tensor, j: int = 0) -> torch.Tensor:
        for part in self.parts:
            Z = part(Z, j)
        return Z


def compose(*parts: Callable) -> Compose:
    """The activation "first ``parts[0]``, then ``parts[1]``, ...", same as ``a >> b >> ...``."""
    return Compose(*parts)
