"""What protects a check from the learner's code: a time limit and a cap on what it prints.

A learner's function may loop forever, print megabytes, or call ``sys.exit()``.
``limited(seconds)`` raises ``TimeLimit`` inside the running code once the
time is up: through ``SIGALRM`` in the main thread (where a Jupyter kernel
runs cells), through an asynchronous exception from a watchdog thread
elsewhere (other threads, Windows). ``TimeLimit`` derives from
``BaseException``, so a learner's ``except Exception`` does not swallow it, and
Ctrl-C (``KeyboardInterrupt``) still interrupts a check. ``captured(limit)``
collects what the code prints to stdout and stderr; ``Printed.show()`` prints
its first ``limit`` characters and says how many more were left out.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import signal
import sys
import threading
import time
from typing import Iterator


class TimeLimit(BaseException):
    """The check's time is up (raised inside the learner's code, caught by the checker)."""


def _raise_time_limit(signum, frame):  # the SIGALRM handler
    raise TimeLimit


@contextlib.contextmanager
def limited(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimit`` in this thread's code if it runs longer than ``seconds``."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGALRM, _raise_time_limit)
        outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds)  # an outer timer (pytest-timeout) is kept
        start = time.monotonic()
        try:
            try:
                yield
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)
            if outer > 0:
                signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3), interval)
        return
    target, done = threading.get_ident(), threading.Event()

    def watchdog() -> None:
        if not done.wait(seconds):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(TimeLimit))

    thread = threading.Thread(target=watchdog, name="exercise-time-limit", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()  # a TimeLimit sent at the last moment arrives here, still inside the check


class Printed(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters written to it and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit, self.kept, self.total = limit, [], 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - min(self.total, self.limit)
        if room > 0:
            self.kept.append(text[:room])
        self.total += len(text)
        return len(text)

    @property
    def text(self) -> str:
        return "".join(self.kept)

    def show(self, stream=None) -> None:
        """Print what was kept, and a line saying how much was left out."""
        if not self.total:
            return
        stream = stream or sys.stdout
        stream.write(self.text)
        if self.total > self.limit:
            stream.write(
                f"\n[your function printed {self.total:,} characters; the checker shows the first {self.limit:,}]\n"
            )
        elif not self.text.endswith("\n"):
            stream.write("\n")


@contextlib.contextmanager
def captured(limit: int) -> Iterator[Printed]:
    """Collect what is printed to stdout and stderr (both) in a ``Printed`` of ``limit`` characters."""
    printed = Printed(limit)
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        yield printed
