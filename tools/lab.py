"""Open the course in JupyterLab, safely: ``make lab``, or from the
repository root ``python -m tools.lab``.

Runs the environment check (``tools.check``) first, then starts JupyterLab
bound to 127.0.0.1 with token authentication on (the default random token;
the URL with it is printed) and XSRF protection untouched, serving the
``notebooks/`` folder of this repository. Options that would weaken any of
this are refused.

    python -m tools.lab [--port N] [--skip-check] [extra JupyterLab options]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["NOTEBOOKS", "lab_command", "main"]

#: the course's notebooks folder (tools/ sits beside it in the checkout)
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lab_command(port: int = 8888, root_dir: str | Path = NOTEBOOKS, extra: list[str] | None = None) -> list[str]:
    """The JupyterLab command line ``main`` runs."""
    return [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=50",
        f"--ServerApp.root_dir={root_dir}",
        # containers, Binder-like hosts and CI run as root; without this the server refuses to start
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *(extra or []),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lab", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8888)))
    parser.add_argument("--skip-check", action="store_true", help="do not run the environment check first")
    args, extra = parser.parse_known_args(argv)
    for option in extra:
        lowered = option.lower()
        # the trait named, whatever the class (ServerApp, NotebookApp, LabApp, IdentityProvider pass it on)
        trait = lowered.lstrip("-").split("=", 1)[0].rsplit(".", 1)[-1]
        if "disable_check_xsrf" in lowered or trait in {"ip", "token"}:
            parser.error(f"{option} would weaken the server's safety (bind address, token or XSRF); not allowed here")
    if not args.skip_check:
        from . import check

        if check.main([]) != 0:
            return 1
    command = lab_command(args.port, extra=extra)
    sys.stdout.flush()
    os.execv(command[0], command)  # the server takes this process's PID
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
