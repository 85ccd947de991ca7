"""Environment check: ``make check``, or ``python -m tools.check`` from the
repository root (``make lab`` runs it first).

Prints the versions that matter, then checks what makes the course's
sliders work in JupyterLab:

- the widgets extension of JupyterLab (``@jupyter-widgets/jupyterlab-manager``,
  shipped by the Python package ``jupyterlab_widgets``) is installed where
  this environment's JupyterLab looks for extensions, is enabled, and belongs
  to the kernel's ipywidgets (8.x needs ``jupyterlab_widgets`` 3.x, whose
  extension is 5.x); a mismatch is what shows "Error displaying widget" or
  the widget's text instead of a slider;
- the ``python3`` kernel (its kernelspec, resolved as JupyterLab resolves it)
  runs this environment's Python;
- ``course_utils`` imports in that kernel, from a notebook's folder, and is
  this checkout's.

Exit status 0 when everything is fine; otherwise 1, after one line per
problem with the command that fixes it. Every look-up is a module-level
function, and ``run_checks`` takes each as an argument, so that tests can
stand in a broken environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

__all__ = ["COMPATIBLE", "Finding", "installed_version", "kernel_python", "lab_extensions", "main", "probe_kernel", "run_checks"]

#: the versions printed: distribution name -> label
VERSIONS = {
    "torch": "torch",
    "ipywidgets": "ipywidgets",
    "jupyterlab_widgets": "jupyterlab_widgets",
    "jupyterlab": "JupyterLab",
    "matplotlib": "matplotlib",
    "nbval": "nbval",
}
#: the JupyterLab extension that renders widgets
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
#: ipywidgets major -> (jupyterlab_widgets major, @jupyter-widgets/jupyterlab-manager major)
COMPATIBLE = {7: (1, 3), 8: (3, 5)}
#: the kernel the notebooks ask for
KERNEL = "python3"
#: this checkout: tools/ (never installed), course_utils/ and notebooks/ sit
#: side by side in it
REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGE = REPOSITORY / "course_utils"
NOTEBOOKS = REPOSITORY / "notebooks"

# Run by the kernel's Python in a notebook folder: what that kernel would see.
PROBE = """
import json, sys
found = {"prefix": sys.prefix, "executable": sys.executable}
try:
    import ipywidgets
    found["ipywidgets"] = ipywidgets.__version__
except Exception as error:
    found["ipywidgets"] = None
try:
    import ipykernel
    found["ipykernel"] = ipykernel.__version__
except Exception as error:
    found["ipykernel"] = None
try:
    import course_utils
    found["course_utils"] = course_utils.__file__
except BaseException as error:
    found["course_utils_error"] = f"{type(error).__name__}: {error}"
print(json.dumps(found))
"""


@dataclass
class Finding:
    """One checked fact: ``ok``, what was found, and (when not ok) the fix:
    one shell command line."""

    ok: bool
    message: str
    fix: str = ""


# --- look-ups (replaceable in tests) -----------------------------------------


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` in this environment, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def lab_extensions() -> dict[str, dict[str, Any]]:
    """The prebuilt extensions this environment's JupyterLab would load:
    name -> {"version", "path", "enabled"} (the first copy found on the
    labextensions path wins, as in JupyterLab)."""
    from jupyter_core.paths import jupyter_path
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.config import get_federated_extensions, get_page_config

    path = jupyter_path("labextensions")
    page_config = get_page_config(path, app_settings_dir=os.path.join(get_app_dir(), "settings"))
    disabled = page_config.get("disabledExtensions", {})
    if isinstance(disabled, list):
        disabled = dict.fromkeys(disabled, True)
    found = {}
    for name, data in get_federated_extensions(path).items():
        off = any(value and (key == name or key.startswith(name + ":")) for key, value in disabled.items())
        found[name] = {"version": data["version"], "path": data["ext_path"], "enabled": not off}
    return found


def kernel_python(kernel: str = KERNEL) -> str | None:
    """The interpreter that JupyterLab's kernel ``kernel`` runs (argv[0] of
    its kernelspec, resolved as jupyter_client does), or None without such a
    kernelspec."""
    import shutil

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        return None
    program = spec.argv[0]
    # jupyter_client replaces a bare python / python3 / python3.X by the
    # server's own interpreter (this one: tools.lab runs the server
    # with sys.executable)
    if program in {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}:
        return sys.executable
    return shutil.which(program) or program


def probe_kernel(python: str, folder: Path = NOTEBOOKS) -> dict[str, Any]:
    """Ask ``python``, started in ``folder`` as a notebook's kernel is, for
    its prefix, ipywidgets and course_utils. {"error": ...} when it fails."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHOME"}
    try:
        done = subprocess.run(
            [python, "-c", PROBE], cwd=folder if folder.is_dir() else None,
            capture_output=True, text=True, timeout=300, env=env,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or f"exit status {done.returncode}"}


# --- the checks --------------------------------------------------------------


def _same_prefix(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _major(version: str) -> int | None:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return None


def run_checks(
    version: Callable[[str], str | None] | None = None,
    extensions: Callable[[], dict[str, dict[str, Any]]] | None = None,
    kernel: Callable[[str], str | None] | None = None,
    probe: Callable[[str], dict[str, Any]] | None = None,
) -> list[Finding]:
    """Every check, in order. Each argument replaces a look-up (default: the
    module's function of that role, looked up when called):

    version     distribution name -> installed version or None
    extensions  () -> {name: {"version", "path", "enabled"}} of JupyterLab
    kernel      kernel name -> the interpreter it runs, or None
    probe       interpreter -> what it sees (see ``probe_kernel``)
    """
    version = version or installed_version
    extensions = extensions or lab_extensions
    kernel = kernel or kernel_python
    probe = probe or probe_kernel
    py = shlex.quote(sys.executable)
    pip = f"{py} -m pip install"
    findings: list[Finding] = []

    # 1. JupyterLab and the widgets extension, in this environment
    ipywidgets = version("ipywidgets")
    lab = version("jupyterlab")
    widgets_py = version("jupyterlab_widgets")
    if lab is None:
        findings.append(Finding(False, "JupyterLab is not installed in this environment", f'{pip} "jupyterlab>=4"'))
    if ipywidgets is None:
        findings.append(Finding(False, "ipywidgets is not installed: the sliders cannot be drawn", f'{pip} "ipywidgets>=8"'))
        wanted = None
    else:
        wanted = COMPATIBLE.get(_major(ipywidgets) or -1)
        if wanted is None:
            findings.append(Finding(False, f"ipywidgets {ipywidgets} is not a version this course knows (7.x or 8.x)", f'{pip} "ipywidgets>=8,<9"'))
    if wanted is not None:
        lab_major, manager_major = wanted
        reinstall = f'{pip} --force-reinstall --no-deps "jupyterlab_widgets>={lab_major},<{lab_major + 1}"'
        if widgets_py is None:
            findings.append(Finding(False, f"jupyterlab_widgets is not installed: JupyterLab cannot show ipywidgets {ipywidgets}", reinstall))
        elif _major(widgets_py) != lab_major:
            findings.append(Finding(
                False,
                f"jupyterlab_widgets {widgets_py} does not match ipywidgets {ipywidgets} (it needs jupyterlab_widgets "
                f"{lab_major}.x): sliders would show 'Error displaying widget'",
                reinstall,
            ))
        elif lab is not None:
            try:
                found = extensions().get(WIDGETS_EXTENSION)
            except Exception as error:  # a broken JupyterLab install
                findings.append(Finding(
                    False, f"JupyterLab's extensions cannot be read ({type(error).__name__}: {error})",
                    f'{pip} --force-reinstall "jupyterlab=={lab}"',
                ))
                found = False
            if found is False:
                pass
            elif found is None:
                findings.append(Finding(
                    False, f"the JupyterLab extension {WIDGETS_EXTENSION} is not installed (its files are missing)", reinstall
                ))
            elif _major(found["version"]) != manager_major:
                stale = not _same_prefix(os.path.commonpath([found["path"], sys.prefix]), sys.prefix)
                findings.append(Finding(
                    False,
                    f"JupyterLab loads {WIDGETS_EXTENSION} {found['version']} from {found['path']}, but ipywidgets "
                    f"{ipywidgets} needs {manager_major}.x",
                    f"rm -r {shlex.quote(found['path'])}" if stale else reinstall,
                ))
            elif not found["enabled"]:
                findings.append(Finding(
                    False, f"the JupyterLab extension {WIDGETS_EXTENSION} is disabled",
                    f"{py} -m jupyter labextension enable {WIDGETS_EXTENSION}",
                ))
            else:
                findings.append(Finding(
                    True, f"widgets extension {WIDGETS_EXTENSION} {found['version']} (jupyterlab_widgets {widgets_py}) "
                    f"is installed, enabled and matches ipywidgets {ipywidgets}",
                ))

    # 2. the kernel: this environment's Python, with course_utils importable
    reset_kernel = f"{py} -m jupyter kernelspec remove -y {KERNEL}; {py} -m ipykernel install --sys-prefix --name {KERNEL}"
    try:
        python = kernel(KERNEL)
    except Exception as error:  # jupyter_client missing or broken
        findings.append(Finding(
            False, f"the kernelspecs cannot be read ({type(error).__name__}: {error})", f'{pip} --force-reinstall "ipykernel>=6"'
        ))
        return findings
    if python is None:
        findings.append(Finding(False, f"JupyterLab has no '{KERNEL}' kernel", f"{py} -m ipykernel install --sys-prefix --name {KERNEL}"))
        return findings
    seen = probe(python)
    if "error" in seen:
        findings.append(Finding(False, f"the '{KERNEL}' kernel's Python {python} does not run: {seen['error']}", reset_kernel))
        return findings
    if not _same_prefix(seen["prefix"], sys.prefix):
        findings.append(Finding(
            False, f"the '{KERNEL}' kernel runs {seen['executable']} (environment {seen['prefix']}), not this "
            f"environment's Python {sys.executable}", reset_kernel,
        ))
        return findings
    findings.append(Finding(True, f"the '{KERNEL}' kernel runs this environment's Python ({sys.executable})"))
    if seen.get("ipykernel") is None:
        findings.append(Finding(False, "ipykernel is not installed: no kernel can start", f'{pip} "ipykernel>=6"'))
    if seen.get("ipywidgets") != ipywidgets:
        findings.append(Finding(
            False, f"the kernel imports ipywidgets {seen.get('ipywidgets')}, the environment has {ipywidgets}", f'{pip} --force-reinstall "ipywidgets=={ipywidgets}"'
        ))
    install_here = f"{pip} --no-deps -e {shlex.quote(str(REPOSITORY))}"
    if "course_utils_error" in seen:
        error = seen["course_utils_error"]
        if "No module named 'course_utils'" in error:
            fix = install_here
        elif (REPOSITORY / "Makefile").is_file():
            # the whole set-up again (torch's CPU build, then the lock), into this environment
            fix = f"make -B -C {shlex.quote(str(REPOSITORY))} install VENV={shlex.quote(sys.prefix)}"
        else:
            fix = install_here
        findings.append(Finding(False, f"course_utils does not import in the kernel: {error}", fix))
    elif not Path(seen["course_utils"]).resolve().is_relative_to(PACKAGE):
        findings.append(Finding(
            False, f"the kernel imports course_utils from {Path(seen['course_utils']).parent}, not from this checkout ({PACKAGE})",
            install_here,
        ))
    else:
        findings.append(Finding(True, f"course_utils imports in the kernel (from {PACKAGE})"))
    return findings


def versions(version: Callable[[str], str | None] | None = None) -> list[tuple[str, str]]:
    """(label, version) of Python and the packages that matter."""
    version = version or installed_version
    rows = [("Python", f"{sys.version.split()[0]}  ({sys.executable})")]
    rows += [(label, version(name) or "not installed") for name, label in VERSIONS.items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the versions and the checks; 0 when all is fine, else 1."""
    parser = argparse.ArgumentParser(prog="python -m tools.check", description=__doc__.splitlines()[0])
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    print("Course environment (make check)")
    for label, found in versions():
        print(f"  {label:<19} {found}")
    findings = run_checks()
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.message}")
        if not finding.ok:
            print(f"      fix: {finding.fix}")
    problems = sum(not f.ok for f in findings)
    if problems:
        print(f"{problems} problem(s): run the fix above, then make check again.")
        return 1
    print("All good.")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
