"""The lab command starts a safe server: loopback only, token on, XSRF on.

``python -m tools.lab`` (what ``make lab`` runs) is started for real on a
free port, from the repository root. The tests read the URL with its token
from the server's log, then check against the running server:

- every listening socket of the server's process is on 127.0.0.1 or ::1, and
  connecting through the machine's other addresses fails;
- ``/api/status`` and ``/api/contents`` answer 401/403 without the token and
  200 with it;
- a browser-style (cookie) POST without the XSRF token is refused, the same
  POST with it gets past that check;
- the launcher refuses options that would turn any of this off;
- the lab it serves does not greet a learner with "get notified about
  official Jupyter news?" (the setting ``make install`` writes reaches the
  server's settings API).

The server is stopped by its own PID (the launcher execs it in place).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-zA-Z]+)")
START_TIMEOUT = 120
LOOPBACK = {"127.0.0.1", "::1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launcher_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_TOKEN", "JUPYTER_PASSWORD"))}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")  # its connection files stay out of the home folder
    # JupyterLab's user settings and workspaces too: the server shows the
    # environment's defaults, whatever the user of this machine chose
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp / "workspaces")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stop(process: subprocess.Popen) -> None:
    """Stop the server by its PID: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    log = (tmp / "stdout.txt").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.lab", "--port", str(free_port()), "--skip-check"],
        cwd=ROOT, env=launcher_env(tmp), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    found = None
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while found is None and time.monotonic() < deadline and process.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            found = URL.search(line)
        if found is None:
            pytest.fail(f"no URL with a token within {START_TIMEOUT} s; the server said:\n{''.join(seen)[-3000:]}")
        port, token = int(found.group(1)), found.group(2)
        _wait_until_answering(port)
        yield {"process": process, "port": port, "token": token, "log": seen}
    finally:
        stop(process)
        log.close()


def _wait_until_answering(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None, method: str | None = None,
        opener: urllib.request.OpenerDirector | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_server_process_is_the_launcher(server) -> None:
    """The launcher execs JupyterLab in place: its PID is the server's."""
    command = " ".join(psutil.Process(server["process"].pid).cmdline())
    assert "jupyterlab" in command and "--ServerApp.ip=127.0.0.1" in command, command


def test_listens_on_loopback_only(server) -> None:
    process = psutil.Process(server["process"].pid)
    family = process.net_connections if hasattr(process, "net_connections") else process.connections
    listening = [c for c in family(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert any(c.laddr.port == server["port"] for c in listening), f"not listening on {server['port']}: {listening}"
    exposed = [c.laddr for c in listening if c.laddr.ip not in LOOPBACK]
    assert not exposed, f"the server listens beyond the loopback interface: {exposed}"


def test_other_addresses_are_refused(server) -> None:
    addresses = [
        a.address for entries in psutil.net_if_addrs().values() for a in entries
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    for address in addresses:
        with pytest.raises(OSError):
            with socket.create_connection((address, server["port"]), timeout=3):
                pass


@pytest.mark.parametrize("path", ["/api/status", "/api/contents", "/api/kernels"])
def test_token_is_required(server, path: str) -> None:
    url = f"http://127.0.0.1:{server['port']}{path}"
    status, _ = get(url)
    assert status in (401, 403), f"GET {path} without the token answered {status}"
    status, _ = get(url, headers={"Authorization": "token wrong-token"})
    assert status in (401, 403), f"GET {path} with a wrong token answered {status}"
    status, body = get(url, headers={"Authorization": f"token {server['token']}"})
    assert status == 200, f"GET {path} with the token answered {status}"
    json.loads(body)


def test_xsrf_protection_is_on(server) -> None:
    """A cookie-authenticated POST needs the XSRF token (the request targets
    a folder that does not exist, so nothing is created either way)."""
    base = f"http://127.0.0.1:{server['port']}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _ = get(f"{base}/lab?token={server['token']}", opener=browser)
    assert status == 200
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), None)
    assert xsrf, f"no _xsrf cookie set: {[c.name for c in jar]}"
    target = f"{base}/api/contents/no-such-folder-for-tests"
    body = json.dumps({"type": "file", "ext": ".txt"}).encode()
    status, text = get(target, data=body, method="POST", opener=browser, headers={"Content-Type": "application/json"})
    assert status == 403, f"a cookie POST without the XSRF token answered {status}: {text[:200]!r}"
    status, text = get(target, data=body, method="POST", opener=browser,
                       headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
    assert status not in (401, 403) and status < 500, f"the same POST with the XSRF token answered {status}: {text[:200]!r}"


def test_lab_does_not_ask_about_jupyter_news(server) -> None:
    """JupyterLab asks "Would you like to get notified about official Jupyter
    news?" at start while the setting ``fetchNews`` is "none", its schema's
    default. The environment's defaults (tools/lab-overrides.json, copied by
    ``make install``) make it "false" and turn the update check off. The
    page takes a setting's value from the user's settings, else from the
    schema's default, both served by the settings API: read them there."""
    from jupyterlab.commands import get_app_dir

    plugin = "@jupyterlab/apputils-extension:notification"
    shipped = json.loads((Path(get_app_dir()) / "schemas" / plugin.replace(":", "/")).with_suffix(".json").read_text())
    assert shipped["properties"]["fetchNews"]["default"] == "none"  # JupyterLab's own default: the page would ask
    status, body = get(f"http://127.0.0.1:{server['port']}/lab/api/settings/{plugin}",
                       headers={"Authorization": f"token {server['token']}"})
    assert status == 200, body[:300]
    served = json.loads(body)
    assert served["settings"] == {}, served["settings"]  # no user setting in play
    defaults = {name: spec.get("default") for name, spec in served["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults


UNSAFE = [
    ["--ServerApp.disable_check_xsrf=True"],
    ["--ServerApp.token="],
    ["--ServerApp.token", ""],
    ["--IdentityProvider.token="],
    ["--ServerApp.ip=0.0.0.0"],
    ["--ip=0.0.0.0"],
    ["--NotebookApp.token="],  # jupyter_server passes NotebookApp options on to ServerApp
    ["--LabApp.token="],
    ["--NotebookApp.ip=0.0.0.0"],
    ["--ServerApp.tornado_settings={'disable_check_xsrf': True}"],
]


@pytest.mark.parametrize("options", UNSAFE, ids=lambda o: " ".join(o))
def test_launcher_refuses_unsafe_options(options: list[str], monkeypatch, capsys) -> None:
    """In-process: ``main`` must refuse before it would exec the server."""
    from tools import lab

    started = []

    def execv(path, argv):  # stands in for the server; never replaces pytest
        started.append(argv)
        raise RuntimeError("the launcher went on to start the server")

    monkeypatch.setattr(lab.os, "execv", execv)
    with pytest.raises(SystemExit) as stopped:
        lab.main(["--port", "8888", "--skip-check", *options])
    assert stopped.value.code not in (0, None) and not started
    err = capsys.readouterr().err
    assert "not allowed" in err or "weaken" in err, f"no reason given for refusing {options}: {err}"


def test_launcher_starts_with_safe_options(monkeypatch) -> None:
    """The same in-process check lets ordinary options through (it tests something)."""
    from tools import lab

    started = []
    monkeypatch.setattr(lab.os, "execv", lambda path, argv: started.append(argv))
    lab.main(["--port", "8899", "--skip-check", "--ServerApp.shutdown_no_activity_timeout=60"])
    assert started and "--ServerApp.ip=127.0.0.1" in started[0] and "--ServerApp.port=8899" in started[0]


@pytest.mark.parametrize("options", UNSAFE[:2], ids=lambda o: " ".join(o))
def test_launcher_command_refuses(options: list[str], tmp_path: Path) -> None:
    """The real command line, as ``make lab`` runs it, refuses too."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.lab", "--port", str(free_port()), "--skip-check", *options],
        cwd=ROOT, env=launcher_env(tmp_path), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop(process)
        pytest.fail(f"the launcher accepted {options} and started a server")
    assert process.returncode != 0, f"the launcher accepted {options}: {err[-2000:]}"
    assert "not allowed" in err or "weaken" in err, f"no reason given for refusing {options}: {err[-2000:]}"
