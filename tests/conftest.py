"""Shared set-up of the unit tests.

- Figures are drawn with matplotlib's non-interactive Agg backend.
- The marker ``slow`` tags the tests that re-run every notebook in
  subprocesses (minutes); they run in the default test command too, and
  ``pytest -m "not slow"`` leaves them out while editing.
- The test command must never write to ``notebooks/``: the state of that
  folder (every file's content, and ``git status`` of it) is recorded when
  the session starts and compared when it finishes; a difference fails the
  session.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import matplotlib  # noqa: E402

# In this process only: an MPLBACKEND variable would be inherited by the
# notebook kernels of nbval and replace their inline backend.
matplotlib.use("Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: re-runs every notebook in subprocesses (minutes); part of the default test command",
    )


def notebooks_state(folder: Path = NOTEBOOKS) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> SHA-256 of its bytes),
    plus the folder's ``git status --porcelain`` lines when git is there."""
    state: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                state[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", str(folder)],
            cwd=folder.parent, capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        status = None
    if status is not None and status.returncode == 0:
        state["<git status>"] = status.stdout
    return state


def state_difference(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two ``notebooks_state`` results."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append(f"new: {name}")
        elif name not in after:
            lines.append(f"removed: {name}")
        elif before[name] != after[name]:
            lines.append(f"changed: {name}" + (f"\n{after[name]}" if name == "<git status>" else ""))
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._notebooks_state = notebooks_state()  # type: ignore[attr-defined]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = getattr(session.config, "_notebooks_state", None)
    if before is None:
        return
    changes = state_difference(before, notebooks_state())
    if changes:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the test command wrote to notebooks/ (it must leave it untouched):\n  " + "\n  ".join(changes)
        if reporter is not None:
            reporter.write_sep("=", "notebooks/ changed during the tests", red=True)
            reporter.write_line(message)
        else:
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
