"""Running a test's code in a thread of its own (``from threads import in_a_new_thread``).

The browser tests leave Playwright's event loop running in the test process's
main thread: there ``asyncio.run`` refuses to start another loop, and code
that asks for "the running loop" finds Playwright's. A new thread has no loop.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


def in_a_new_thread(function: Callable[[], Any], timeout: float = 120) -> Any:
    """``function()`` run in a new thread; its value returned, its exception raised here."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
