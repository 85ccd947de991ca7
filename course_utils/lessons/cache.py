"""The lessons' one cache: a result computed once, and every caller handed its own copy.

A slider asks for the same run again and again, so the lessons cache their
experiments. ``functools.lru_cache`` alone hands every caller the *same*
object: a caller that appends to a cached ``History`` or writes into a cached
array changes what the next caller gets. ``copied`` keeps one result per
argument tuple and returns ``copy.deepcopy`` of it on every call, the first
one included, so no caller ever holds the cached object itself::

    @copied(maxsize=128)
    def depth_run(init_noise: float = 0.1, iterations: int = 2) -> History: ...

A cached result must be data that ``deepcopy`` copies: tensors without a
graph (detached), arrays, lists, dataclasses.
"""

from __future__ import annotations

import copy
import functools
from typing import Callable, TypeVar

__all__ = ["copied"]

F = TypeVar("F", bound=Callable)


def copied(maxsize: int | None = 128) -> Callable[[F], F]:
    """Cache ``function`` by its (hashable) arguments, as ``lru_cache(maxsize)``; return a deep copy each call.

    The wrapped function keeps ``cache_clear()`` and ``cache_info()``.
    """

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(*args, **kwargs):
            return copy.deepcopy(cached(*args, **kwargs))

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate
