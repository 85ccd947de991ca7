"""``make check`` (``python -m tools.check``): the happy path, and broken environments.

The broken environments are made two ways: by replacing one look-up of
``tools.check`` with a stub (a mismatched version, a missing
extension, a missing kernel), and for real where that is cheap: a
labextensions folder holding a stale copy of the widgets extension, a
``page_config.json`` disabling it, a kernelspec whose interpreter lives in
another environment, and a ``course_utils`` that fails to import in the
kernel's folder. Each must exit with status 1 and print, for each problem,
one ``fix:`` line holding one command.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tools import check

PY = shlex.quote(sys.executable)
REAL_PROBE = check.probe_kernel  # the ``env`` fixture replaces the module's
EXTENSION = "@jupyter-widgets/jupyterlab-manager"


# --- a healthy environment, made of stubs -----------------------------------

HEALTHY_VERSIONS = {
    "ipywidgets": "8.1.9", "jupyterlab_widgets": "3.0.17", "jupyterlab": "4.6.6",
    "torch": "2.13.0", "matplotlib": "3.11.2", "nbval": "0.11.0",
}


def healthy_extensions() -> dict:
    return {EXTENSION: {"version": "5.0.16", "path": os.path.join(sys.prefix, "share/jupyter/labextensions", EXTENSION), "enabled": True}}


def healthy_probe(python: str) -> dict:
    return {
        "prefix": sys.prefix, "executable": python, "ipywidgets": HEALTHY_VERSIONS["ipywidgets"],
        "ipykernel": "7.0.0", "course_utils": str(check.PACKAGE / "__init__.py"),
    }


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replace every look-up of the check by a healthy stub; a test then
    breaks one. Returns the stubbed versions (edit them in place)."""
    versions = dict(HEALTHY_VERSIONS)
    monkeypatch.setattr(check, "installed_version", lambda name: versions.get(name))
    monkeypatch.setattr(check, "lab_extensions", healthy_extensions)
    monkeypatch.setattr(check, "kernel_python", lambda name: sys.executable)
    monkeypatch.setattr(check, "probe_kernel", healthy_probe)
    return versions


def run_main(capsys: pytest.CaptureFixture) -> tuple[int, str, list[str]]:
    """Exit status, whole output, and the fix lines of ``check.main([])``."""
    status = check.main([])
    out = capsys.readouterr().out
    fixes = [line.strip()[len("fix: "):] for line in out.splitlines() if line.strip().startswith("fix: ")]
    return status, out, fixes


def assert_one_problem(status: int, out: str, fixes: list[str], *expected_in_fix: str) -> str:
    assert status == 1, out
    assert "All good" not in out
    assert out.count("\nFAIL") == 1 and len(fixes) == 1, out
    for part in expected_in_fix:
        assert part in fixes[0], f"{part!r} not in the fix {fixes[0]!r}"
    return fixes[0]


# --- the happy path ------------------------------------------------------------


def test_this_environment_passes(capsys: pytest.CaptureFixture) -> None:
    """The real environment, nothing stubbed."""
    import ipywidgets
    import matplotlib

    status, out, fixes = run_main(capsys)
    assert status == 0, out
    assert fixes == [] and "FAIL" not in out and out.rstrip().endswith("All good.")
    assert f"Python              {sys.version.split()[0]}" in out
    assert f"ipywidgets          {ipywidgets.__version__}" in out
    assert f"matplotlib          {matplotlib.__version__}" in out
    assert out.count("\nok  ") == 3, out


def test_stubbed_healthy_environment_passes(env: dict, capsys: pytest.CaptureFixture) -> None:
    status, out, fixes = run_main(capsys)
    assert status == 0 and not fixes, out
    assert "jupyterlab_widgets  3.0.17" in out


def test_command_line_exit_status() -> None:
    """``python -m tools.check``, as ``make check`` runs it from the
    repository root, really exits 0 here."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.check"], cwd=check.REPOSITORY, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All good." in done.stdout


# --- versions out of step (stubbed look-up) --------------------------------------


def test_ipywidgets_8_with_jupyterlab_widgets_1(env: dict, capsys: pytest.CaptureFixture) -> None:
    env["jupyterlab_widgets"] = "1.1.7"
    status, out, fixes = run_main(capsys)
    assert "jupyterlab_widgets 1.1.7 does not match ipywidgets 8.1.9" in out
    assert_one_problem(status, out, fixes, PY, '"jupyterlab_widgets>=3,<4"')


def test_ipywidgets_7_with_jupyterlab_widgets_3(env: dict, capsys: pytest.CaptureFixture) -> None:
    env["ipywidgets"] = "7.8.5"
    status, out, fixes = run_main(capsys)
    # the stubbed kernel reports ipywidgets 8.1.9: the check also names that
    assert status == 1
    assert any('"jupyterlab_widgets>=1,<2"' in fix for fix in fixes), out


def test_missing_jupyterlab_widgets(env: dict, capsys: pytest.CaptureFixture) -> None:
    del env["jupyterlab_widgets"]
    status, out, fixes = run_main(capsys)
    assert_one_problem(status, out, fixes, "jupyterlab_widgets>=3,<4")


def test_unknown_ipywidgets_major(env: dict, capsys: pytest.CaptureFixture) -> None:
    env["ipywidgets"] = "9.0.0"
    status, out, fixes = run_main(capsys)
    assert status == 1 and any('"ipywidgets>=8,<9"' in fix for fix in fixes), out


def test_missing_jupyterlab(env: dict, capsys: pytest.CaptureFixture) -> None:
    del env["jupyterlab"]
    status, out, fixes = run_main(capsys)
    assert_one_problem(status, out, fixes, '"jupyterlab>=4"')


# --- the extension: stubbed, then for real ---------------------------------------


def test_missing_extension_stubbed(env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(check, "lab_extensions", lambda: {})
    status, out, fixes = run_main(capsys)
    assert f"{EXTENSION} is not installed" in out
    assert_one_problem(status, out, fixes, "--force-reinstall", "jupyterlab_widgets>=3,<4")


def _labextensions(monkeypatch: pytest.MonkeyPatch, first: Path | None, keep_real: bool) -> None:
    """Make JupyterLab's labextensions path ``[first] + (real path or [])``."""
    import jupyter_core.paths

    real = jupyter_core.paths.jupyter_path

    def path(*subdirs: str) -> list[str]:
        found = real(*subdirs) if keep_real else []
        return ([os.path.join(first, *subdirs)] if first else []) + found

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", path)


def test_real_lookup_agrees_with_labextension_list() -> None:
    """The in-process look-up against ``jupyter labextension list`` (an
    independent reading of the same environment) and the installed modules."""
    import ipywidgets

    found = check.lab_extensions()[EXTENSION]
    assert found["enabled"]
    assert Path(found["path"]).resolve().is_relative_to(Path(sys.prefix).resolve())
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, timeout=300
    )
    text = listed.stdout + listed.stderr
    line = next(line for line in text.splitlines() if EXTENSION in line)
    assert f"v{found['version']}" in line and "enabled" in line and "OK" in line, line
    ipywidgets_major = int(ipywidgets.__version__.split(".")[0])
    assert int(found["version"].split(".")[0]) == check.COMPATIBLE[ipywidgets_major][1]


def test_extension_files_missing_for_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """A labextensions path without the widgets extension (its files deleted)."""
    _labextensions(monkeypatch, tmp_path / "empty", keep_real=False)
    monkeypatch.setattr(check, "probe_kernel", healthy_probe)  # the kernel is not the point here
    status, out, fixes = run_main(capsys)
    assert f"{EXTENSION} is not installed" in out
    assert_one_problem(status, out, fixes, "--force-reinstall", "jupyterlab_widgets>=3,<4")


def test_stale_extension_copy_shadows_the_right_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """An old jupyterlab-manager 3.x left in a folder JupyterLab searches
    first (say ~/.local/share/jupyter): JupyterLab would load it."""
    stale = tmp_path / "share" / "labextensions" / EXTENSION
    stale.mkdir(parents=True)
    (stale / "package.json").write_text(json.dumps({"name": EXTENSION, "version": "3.1.1", "jupyterlab": {"_build": {"load": "static/remoteEntry.js"}}}))
    _labextensions(monkeypatch, tmp_path / "share", keep_real=True)
    monkeypatch.setattr(check, "probe_kernel", healthy_probe)
    status, out, fixes = run_main(capsys)
    assert f"loads {EXTENSION} 3.1.1 from {stale}" in out
    assert_one_problem(status, out, fixes, f"rm -r {shlex.quote(str(stale))}")


def test_disabled_extension(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """``jupyter labextension disable`` writes labconfig/page_config.json."""
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {EXTENSION: True}}))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config))
    monkeypatch.setattr(check, "probe_kernel", healthy_probe)
    status, out, fixes = run_main(capsys)
    assert f"{EXTENSION} is disabled" in out
    assert_one_problem(status, out, fixes, f"labextension enable {EXTENSION}")


# --- the kernel ---------------------------------------------------------------------


def _kernelspec(folder: Path, argv0: str) -> None:
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
    }))


def test_bare_python_in_kernelspec_means_this_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """jupyter_client runs a kernelspec's bare ``python`` with the server's
    own interpreter; the check resolves it the same way."""
    _kernelspec(tmp_path, "python")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert check.kernel_python("python3") == sys.executable
    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec("python3").resource_dir == str(tmp_path / "kernels" / "python3")


def test_kernelspec_pointing_to_another_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """A kernelspec found first whose interpreter belongs to another
    environment: its own stand-in interpreter reports that environment."""
    other = tmp_path / "other-env" / "bin" / "python"
    other.parent.mkdir(parents=True)
    report = {"prefix": str(tmp_path / "other-env"), "executable": str(other), "ipywidgets": "7.8.5", "ipykernel": "6.0", "course_utils": "/elsewhere/course_utils/__init__.py"}
    other.write_text(f"#!/bin/sh\necho '{json.dumps(report)}'\n")
    other.chmod(other.stat().st_mode | stat.S_IXUSR)
    _kernelspec(tmp_path / "jupyter", str(other))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    assert check.kernel_python("python3") == str(other)
    status, out, fixes = run_main(capsys)
    assert f"kernel runs {other}" in out
    fix = assert_one_problem(status, out, fixes, "kernelspec remove -y python3", "ipykernel install --sys-prefix")
    assert "\n" not in fix


def test_kernelspec_interpreter_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    _kernelspec(tmp_path, str(tmp_path / "no-such-python"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    status, out, fixes = run_main(capsys)
    assert "does not run" in out
    assert_one_problem(status, out, fixes, "ipykernel install --sys-prefix")


def test_no_kernelspec(env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(check, "kernel_python", lambda name: None)
    status, out, fixes = run_main(capsys)
    assert_one_problem(status, out, fixes, "ipykernel install --sys-prefix --name python3")


# --- course_utils in the kernel -------------------------------------------------------


def test_course_utils_not_installed(env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def probe(python: str) -> dict:
        found = healthy_probe(python)
        del found["course_utils"]
        found["course_utils_error"] = "ModuleNotFoundError: No module named 'course_utils'"
        return found

    monkeypatch.setattr(check, "probe_kernel", probe)
    status, out, fixes = run_main(capsys)
    assert_one_problem(status, out, fixes, "--no-deps -e", shlex.quote(str(check.REPOSITORY)))


def _fake_course_utils(folder: Path, body: str) -> None:
    (folder / "course_utils").mkdir(parents=True)
    (folder / "course_utils" / "__init__.py").write_text(body)


def test_course_utils_failing_import_in_kernel_folder(tmp_path: Path, env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """For real: the kernel (this Python, started in the notebook's folder)
    meets a course_utils whose import fails."""
    _fake_course_utils(tmp_path, "raise ImportError('broken on purpose')\n")
    monkeypatch.setattr(check, "probe_kernel", lambda python: REAL_PROBE(python, tmp_path))
    status, out, fixes = run_main(capsys)
    assert "course_utils does not import in the kernel: ImportError: broken on purpose" in out
    # the whole set-up again, into this environment (torch's CPU build first, then the lock)
    assert_one_problem(status, out, fixes, f"make -B -C {shlex.quote(str(check.REPOSITORY))} install VENV={shlex.quote(sys.prefix)}")


def test_course_utils_from_another_checkout(tmp_path: Path, env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    _fake_course_utils(tmp_path, "")
    monkeypatch.setattr(check, "probe_kernel", lambda python: REAL_PROBE(python, tmp_path))
    status, out, fixes = run_main(capsys)
    assert f"from {tmp_path / 'course_utils'}, not from this checkout" in out
    assert_one_problem(status, out, fixes, "--no-deps -e", shlex.quote(str(check.REPOSITORY)))


def test_unreadable_extensions_and_kernelspecs(env: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """A broken look-up is reported with its fix, not as a traceback."""

    def broken(*args: object) -> None:
        raise ImportError("cannot import name 'get_federated_extensions'")

    monkeypatch.setattr(check, "lab_extensions", broken)
    monkeypatch.setattr(check, "kernel_python", broken)
    status, out, fixes = run_main(capsys)
    assert status == 1 and len(fixes) == 2, out
    assert '"jupyterlab==4.6.6"' in fixes[0] and '"ipykernel>=6"' in fixes[1]
