"""Stored outputs do not depend on threads, CPU code path, or the run.

Each test works on a temporary copy of ``notebooks/`` (with the project's
``nbval_sanitize.cfg``), so nothing here can write to the repository.

- nbval (strict, the options of the test command) passes on every notebook
  in fresh pytest subprocesses, one after the other: with
  ``OMP_NUM_THREADS=1``; with ``OMP_NUM_THREADS=2``; and with 2 threads
  again plus ``ATEN_CPU_CAPABILITY=default`` (torch's plain, non-vectorised
  CPU kernels). So 2 threads pass twice in a row (the second time on the
  other code path too); the test command's own nbval run over
  ``notebooks/`` (default thread count) is one more run.
- Each notebook is executed twice with ``OMP_NUM_THREADS=2`` by
  ``tools.refresh.execute`` (what ``make notebooks`` uses to store
  outputs; the two runs side by side in two kernels). Once sanitized with
  ``nbval_sanitize.cfg``, the text outputs of the two executions are
  identical, and identical to the stored ones.
- After each nbval run the copied folder is byte for byte what it was:
  nbval writes nothing into the notebooks and no notebook writes files
  beside itself. (``tests/conftest.py`` checks the same of the real
  ``notebooks/`` over the whole test session, ``git status`` included.)

These tests are marked ``slow`` (together they execute every notebook
five times) and are part of the default test command.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SANITIZE = ROOT / "nbval_sanitize.cfg"
RUN_TIMEOUT = 1200  # seconds for one nbval run over every notebook

pytestmark = pytest.mark.slow


def folder_state(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of notebooks/ and the sanitize file, with a pytest.ini of the
    test command's nbval options."""
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    work = tmp_path_factory.mktemp("reproducible")
    shutil.copytree(NOTEBOOK_DIR, work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copy(SANITIZE, work / SANITIZE.name)
    (work / "pytest.ini").write_text(
        "[pytest]\n"
        "addopts = -p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg\n"
        "timeout = 600\n"
    )
    return work


RUNS = {
    "omp1": {"OMP_NUM_THREADS": "1"},
    "omp2": {"OMP_NUM_THREADS": "2"},
    "omp2-aten-default": {"OMP_NUM_THREADS": "2", "ATEN_CPU_CAPABILITY": "default"},
}
#: the environment of the two executions compared with each other
EXECUTE_ENV = {"OMP_NUM_THREADS": "2"}
DROP = {"PYTEST_ADDOPTS", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MPLBACKEND"}


def environment(changes: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env.update(changes)
    return env


@pytest.mark.timeout(RUN_TIMEOUT + 60)
@pytest.mark.parametrize("name", list(RUNS))
def test_nbval_passes(workdir: Path, name: str) -> None:
    env = environment(RUNS[name])
    before = folder_state(workdir / "notebooks")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "--rootdir", ".", "-v", "-p", "no:randomly", "notebooks"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )
    failures = result.stdout.find("= FAILURES =")
    first = result.stdout[failures:failures + 4000] + "\n...\n" if failures >= 0 else ""
    report = first + result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"nbval failed with {RUNS[name]}:\n{report}"
    for path in NOTEBOOKS:
        lines = [line for line in result.stdout.splitlines() if path.stem in line and "::Cell" in line]
        assert any("PASSED" in line for line in lines), f"{path.name} did not run under nbval:\n{report}"
        assert not any("FAILED" in line or "ERROR" in line for line in lines), f"{path.name}:\n{report}"
    assert folder_state(workdir / "notebooks") == before, "the nbval run changed or added files in the notebooks folder"


# ---------------------------------------------------------------- executing twice
def sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser()
    config.read(SANITIZE)
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


TEXT_MIME = ("text/plain", "text/latex", "text/markdown")


def sanitized_outputs(nb) -> list[tuple[int, list]]:
    """Per code cell not tagged nbval-ignore-output: its outputs' kinds and sanitized texts."""
    rules = sanitizers()

    def clean(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    cells = []
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                outputs.append((out["name"], clean(out["text"])))
            elif out["output_type"] in ("execute_result", "display_data"):
                data = out.get("data", {})
                outputs.append((out["output_type"], sorted(data), {m: clean(data[m]) for m in TEXT_MIME if m in data}))
            else:
                outputs.append((out["output_type"], out.get("ename"), clean(out.get("evalue", ""))))
        cells.append((index + 1, outputs))
    return cells


def _merge_streams(cells: list[tuple[int, list]]) -> list[tuple[int, list]]:
    """Consecutive stream outputs of one name are one text (the split is timing)."""
    merged = []
    for index, outputs in cells:
        joined: list = []
        for out in outputs:
            if joined and out[0] in ("stdout", "stderr") and joined[-1][0] == out[0]:
                joined[-1] = (out[0], joined[-1][1] + out[1])
            else:
                joined.append(out)
        merged.append((index, joined))
    return merged


EXECUTE = (
    "import sys, nbformat\n"
    f"sys.path.insert(0, {str(ROOT)!r})  # tools/ lives in the checkout, not installed\n"
    "from tools.refresh import execute\n"
    "nbformat.write(execute(sys.argv[1]), sys.argv[2])\n"
)


def execute_twice(copy: Path, out: Path) -> tuple[Path, Path]:
    """Two executions of ``copy`` at the same time (two kernels, one per core),
    each saved to its own file under ``out``."""
    targets = (out / f"{copy.stem}.first.ipynb", out / f"{copy.stem}.second.ipynb")
    processes = [
        subprocess.Popen([sys.executable, "-c", EXECUTE, str(copy), str(target)], env=environment(EXECUTE_ENV),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for target in targets
    ]
    for process in processes:
        _, err = process.communicate(timeout=RUN_TIMEOUT)
        assert process.returncode == 0, f"executing {copy.name} failed:\n{err[-3000:]}"
    return targets


@pytest.mark.timeout(RUN_TIMEOUT)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_executing_twice_gives_the_same_outputs(workdir: Path, tmp_path: Path, path: Path) -> None:
    import nbformat

    copy = workdir / "notebooks" / path.name
    first_path, second_path = execute_twice(copy, tmp_path)
    stored = _merge_streams(sanitized_outputs(nbformat.read(copy, as_version=4)))
    first = _merge_streams(sanitized_outputs(nbformat.read(first_path, as_version=4)))
    second = _merge_streams(sanitized_outputs(nbformat.read(second_path, as_version=4)))
    problems = []
    for label, a, b in (("first and second execution", first, second), ("stored outputs and execution", stored, first)):
        assert len(a) == len(b), f"{path.name}: {label} have different numbers of cells"
        for (cell, out_a), (_, out_b) in zip(a, b):
            if out_a != out_b:
                problems.append(f"code cell {cell}, {label} differ:\n  {out_a!r}\n  {out_b!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(p[:1500] for p in problems)


def test_comparison_sees_differences_but_not_addresses() -> None:
    """The sanitized comparison above: a changed number differs, a memory
    address or a kernel path does not, and ignored cells are left out."""
    import nbformat

    def notebook(text: str, ignored: str = "widget") -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        printed = nbformat.v4.new_code_cell("print(x)")
        printed.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        slider = nbformat.v4.new_code_cell("_ = interact(f)", metadata={"tags": ["nbval-ignore-output"]})
        slider.outputs = [nbformat.v4.new_output("stream", name="stdout", text=ignored)]
        nb.cells = [printed, slider]
        return nb

    base = sanitized_outputs(notebook("loss 0.1234 at <object at 0x7f00aa> in /tmp/ipykernel_12/3456.py"))
    assert base == sanitized_outputs(notebook("loss 0.1234 at <object at 0x55bb01> in /tmp/ipykernel_99/1.py", "other"))
    assert base != sanitized_outputs(notebook("loss 0.1235 at <object at 0x7f00aa> in /tmp/ipykernel_12/3456.py"))
