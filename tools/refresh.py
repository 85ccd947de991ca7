"""Re-execute notebooks top to bottom and store their outputs.

    python -m tools.refresh notebooks/            # every notebook (make notebooks)
    python -m tools.refresh notebooks/01_*.ipynb  # some

This is how the stored outputs (the nbval reference) are refreshed, on
purpose, by ``make notebooks``; the test command never writes notebooks.
``execute`` is also used by the tests to run a notebook without saving it.

Not ``jupyter execute --inplace``: that records each cell's execution times
in its metadata (nbclient's ``record_timing``, which the command does not
expose), and would change every stored notebook at every refresh.

The kernel's messages are read through ``WakefulChannel``, not
jupyter_client's asyncio channel as it is: that one waits for a message in one
``poll(timeout)``, and on this stack (pyzmq 27.3, libzmq 4.3.5) such a poll
now and then sleeps through a message that has arrived and returns only when
its timeout ends. nbclient waits for a cell's reply with the cell timeout, so
one notebook in about sixty, at a random cell, waited the whole 300 s and
then passed. (nbval is not affected: its client is the blocking one.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type, default

__all__ = ["WakefulChannel", "execute", "main"]

#: seconds between two looks for a waiting message
LOOK_EVERY = 0.25


class WakefulChannel(AsyncZMQSocketChannel):
    """An asyncio kernel channel whose ``get_msg(timeout)`` looks for a waiting
    message at least every ``LOOK_EVERY`` seconds, with libzmq's own poll,
    instead of trusting one wake-up for the whole timeout."""

    async def get_msg(self, timeout: float | None = None) -> dict:
        assert self.socket is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = LOOK_EVERY if left is None else min(LOOK_EVERY, left)
            if await self.socket.poll(int(step * 1000)) or self._waiting():
                return await self._recv()
            if left is not None and left <= step:
                raise Empty

    def _waiting(self) -> bool:
        """A message is waiting, by libzmq's (level-triggered) poll of the same socket."""
        return bool(zmq.Socket.shadow(self.socket.underlying).poll(0))


class WakefulKernelClient(AsyncKernelClient):
    """nbclient's kernel client, every channel but the heartbeat a ``WakefulChannel``."""

    shell_channel_class = Type(WakefulChannel)
    iopub_channel_class = Type(WakefulChannel)
    stdin_channel_class = Type(WakefulChannel)
    control_channel_class = Type(WakefulChannel)


class WakefulKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, handing out ``WakefulKernelClient``s."""

    @default("client_factory")
    def _client_factory_default(self) -> type:
        return WakefulKernelClient


def execute(path: str | Path, timeout: int = 300):
    """Run the notebook at ``path`` in a fresh ``python3`` kernel started in
    its folder; return the executed ``nbformat`` notebook (not saved).
    ``timeout`` bounds each cell, in seconds."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False, kernel_manager_class=WakefulKernelManager,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    import nbformat

    args = sys.argv[1:] if argv is None else argv
    paths: list[Path] = []
    for arg in args or ["notebooks"]:
        p = Path(arg)
        paths.extend(sorted(p.glob("*.ipynb")) if p.is_dir() else [p])
    for path in paths:
        print(f"executing {path}", flush=True)
        nbformat.write(execute(path), path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
