"""Re-execute notebooks top to bottom and store their outputs.

    python -m tools.refresh notebooks/            # every notebook (make notebooks)
    python -m tools.refresh notebooks/01_*.ipynb  # some

This is how the stored outputs (the nbval reference) are refreshed, on
purpose, by ``make notebooks``; the test command never writes notebooks.
``execute`` is also used by the tests to run a notebook without saving it.

Not ``jupyter execute --inplace``: that records each cell's execution times
in its metadata (nbclient's ``record_timing``, which the command does not
expose), and would change every stored notebook at every refresh.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["execute", "main"]


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
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
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
