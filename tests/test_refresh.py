"""tools.refresh reads kernel messages through WakefulChannel.

The failure it guards against: jupyter_client's asyncio channel waits for a
message with one ``poll(timeout)``; here that poll sometimes sleeps through a
message that has arrived and returns at the end of its timeout (nbclient's
cell timeout, 300 s: seen as a notebook that ran 306 s and then passed). The
tests below make the poll miss every wake-up, as it did then, and check that
the message is read within a fraction of a second all the same, while the
upstream channel, given the same socket, waits out its whole timeout.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session
from threads import in_a_new_thread

from tools import refresh


def sleepy(socket: zmq.asyncio.Socket) -> None:
    """Make ``socket.poll`` miss every wake-up: it sleeps its whole timeout and reports nothing."""

    async def poll(timeout=None, flags=zmq.POLLIN):
        await asyncio.sleep((timeout or 0) / 1000)
        return 0

    socket.poll = poll


async def timed_get(channel_class, timeout: float, send: bool = True, send_after: float = 0.0):
    context = zmq.asyncio.Context()
    session = Session(key=b"secret")
    pull, push = context.socket(zmq.PULL), context.socket(zmq.PUSH)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push.connect(f"tcp://127.0.0.1:{port}")
    try:
        sleepy(pull)
        channel = channel_class(pull, session)

        async def sender():
            await asyncio.sleep(send_after)
            session.send(push, "execute_reply", {"status": "ok"})

        if send:
            task = asyncio.ensure_future(sender())
            if not send_after:
                await task
                await asyncio.sleep(0.1)  # the message is in the receiving socket
        start = time.monotonic()
        try:
            msg = await channel.get_msg(timeout=timeout)
        except Empty:
            msg = None
        return msg, time.monotonic() - start
    finally:
        pull.close(linger=0)
        push.close(linger=0)
        context.term()


def test_a_waiting_message_is_read_though_the_wake_up_was_missed() -> None:
    msg, seconds = in_a_new_thread(lambda: asyncio.run(timed_get(refresh.WakefulChannel, timeout=20)))
    assert msg is not None and msg["msg_type"] == "execute_reply" and msg["content"] == {"status": "ok"}
    assert seconds < 1.5, f"the waiting message took {seconds:.2f} s to be read"


def test_the_upstream_channel_sleeps_through_it() -> None:
    """The control: the same missed wake-ups make the upstream channel wait its whole timeout."""
    msg, seconds = in_a_new_thread(lambda: asyncio.run(timed_get(AsyncZMQSocketChannel, timeout=2)))
    assert msg is None and seconds >= 1.9


def test_a_message_sent_later_is_read_soon_after() -> None:
    msg, seconds = in_a_new_thread(lambda: asyncio.run(timed_get(refresh.WakefulChannel, timeout=20, send_after=0.6)))
    assert msg is not None and 0.5 < seconds < 0.6 + 1.0, seconds


@pytest.mark.parametrize("timeout", [0.0, 0.6])
def test_no_message_means_empty_after_the_timeout(timeout: float) -> None:
    msg, seconds = in_a_new_thread(lambda: asyncio.run(timed_get(refresh.WakefulChannel, timeout=timeout, send=False)))
    assert msg is None
    assert timeout - 0.05 <= seconds < timeout + 0.5, seconds


def test_execute_uses_it_on_every_message_channel() -> None:
    client = refresh.WakefulKernelManager(kernel_name="python3").client()
    try:
        channels = [client.shell_channel, client.iopub_channel, client.stdin_channel, client.control_channel]
        assert all(isinstance(c, refresh.WakefulChannel) for c in channels)
    finally:
        client.stop_channels()


def test_execute_hands_it_to_nbclient(monkeypatch, tmp_path) -> None:
    import nbclient
    import nbformat

    seen = []
    monkeypatch.setattr(nbclient.NotebookClient, "execute", lambda self, **kw: seen.append(self.kernel_manager_class))
    path = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    refresh.execute(path)
    assert seen == [refresh.WakefulKernelManager]
