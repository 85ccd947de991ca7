"""Set-up of the browser tests: a JupyterLab server of their own and Chromium.

- ``lab``: a JupyterLab started for this test session only, on 127.0.0.1, a
  free port and a random token, serving a temporary folder (the notebooks are
  copied there under fresh names); its configuration, settings, workspaces
  and runtime files live in temporary folders too, so the user's own
  JupyterLab state is neither read nor changed. It is stopped by its own PID
  at the end, after checking that every copy and kernel session is gone.
- ``browser``: Debian's Chromium driven by Playwright (sync API), headless.
  Each notebook gets a page in a context of its own: JupyterLab pages that
  share a context (its localStorage) compete for their window names.
- ``notebook`` is parametrized with every ``notebooks/*.ipynb`` found at
  collection, so a new notebook is tested without editing anything here
  (``COURSE_E2E_NOTEBOOKS=DIR`` points the suite at another folder).

A missing browser or Playwright fails the tests under ``CI=true`` and skips
them elsewhere, with the command that installs what is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(os.environ.get("COURSE_E2E_NOTEBOOKS", ROOT / "notebooks"))
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"
INSTALL_PLAYWRIGHT = f"{sys.executable} -m pip install -r requirements.lock  (it pins playwright; no browser download is needed)"
SERVER_START_TIMEOUT = 120  # seconds; the first start on a busy machine is slow

# JupyterLab user settings for the test server (written to its own settings
# folder; the user's settings are not read):
LAB_SETTINGS = {
    # every cell stays in the page (Lab 4 otherwise may leave cells that are
    # scrolled out of view unrendered, and the checks look at every cell)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no "official Jupyter news?" pop-up over the notebook, no update check
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}

# JupyterLab page configuration of the test server: no check whether the
# application needs a rebuild at each page load (it runs node twice per page;
# the build is the installed one, whose version the environment check covers)
LAB_PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(what: str, command: str) -> None:
    """Fail under CI, skip elsewhere, naming the install command."""
    message = f"{what}; install it with: {command}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def discover_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The course's notebooks, in order."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "notebook" in metafunc.fixturenames:
        found = discover_notebooks()
        if found:
            metafunc.parametrize("notebook", found, ids=[p.stem for p in found])
        else:  # reported by the test itself (fails under CI)
            metafunc.parametrize("notebook", [None], ids=["no-notebooks"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server and its REST API."""

    def __init__(self, root: Path, state: Path) -> None:
        from tools.lab import lab_command

        self.root = root
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        settings = state / "settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        config = state / "config"
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(LAB_PAGE_CONFIG))
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(state / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("MPLBACKEND", None)  # the kernels keep their inline backend
        # tools.lab's command line, but on exactly this port: with port
        # retries a busy port would silently move the server elsewhere.
        command = [a for a in lab_command(self.port, root) if not a.startswith("--ServerApp.port_retries")]
        command += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}"]
        self.cleanups: list[Future] = []
        self._cleaner = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lab-cleanup")
        self.log = state / "server.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=root)
        self._wait_until_up()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer in {SERVER_START_TIMEOUT} s:\n{self.log_tail()}")
                time.sleep(0.1)  # polling the condition "server answers"

    def api(self, method: str, path: str, timeout: float = 30) -> Any:
        """Call the REST API with the token; returns the decoded JSON (or None)."""
        request = urllib.request.Request(
            self.base + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, name: str, workspace: str) -> str:
        """The page of notebook ``name`` in its own workspace (a workspace is
        where Lab saves its open tabs; a shared one would open every
        notebook of the session in every page)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{urllib.parse.quote(name)}?token={self.token}"

    def delete_notebook(self, name: str) -> None:
        """Shut down the notebook's kernel sessions and delete the file."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == name or session.get("notebook", {}).get("path") == name:
                self.api("DELETE", f"/api/sessions/{session['id']}")
        try:
            self.api("DELETE", f"/api/contents/{urllib.parse.quote(name)}")
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise

    def delete_notebook_soon(self, name: str) -> None:
        """``delete_notebook`` in a background thread (a kernel takes a
        moment to shut down); ``stop`` waits for it and reports failures."""
        self.cleanups.append(self._cleaner.submit(self.delete_notebook, name))

    def cleanup_failures(self) -> list[str]:
        self._cleaner.shutdown(wait=True)
        return [f"{type(f.exception()).__name__}: {f.exception()}" for f in self.cleanups if f.exception()]

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM: it shuts its kernels down)."""
        self._cleaner.shutdown(wait=True)
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log_file.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is missing", INSTALL_PLAYWRIGHT)
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"Chromium is missing ({CHROMIUM} not found)", INSTALL_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Lab]:
    # ``browser`` first: no server is started when the browser is missing
    root = tmp_path_factory.mktemp("lab_root")
    state = tmp_path_factory.mktemp("lab_state")
    server = Lab(root, state)
    try:
        yield server
        failures = server.cleanup_failures()
        left = sorted(p.name for p in root.iterdir() if p.suffix == ".ipynb")
        sessions = server.api("GET", "/api/sessions")
        assert not (failures or left or sessions), (
            f"clean-up failed: {failures}; notebooks left: {left}; sessions left: {[s['path'] for s in sessions]}"
        )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
