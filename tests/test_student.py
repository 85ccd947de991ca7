"""``make student``: the notebooks to hand out, without solutions or outputs (issue 11).

The test runs the Makefile's ``student`` target into a temporary folder, with
this interpreter and without the target's install step (``STAMP=``), and
checks the copy: every notebook of ``notebooks/`` is there; no cell tagged
``solution``, no output, no execution count and no saved widget state are
left; every other cell is there, in order, with its source unchanged. Then it
executes every copy in a fresh kernel (``tools.refresh.execute``, nbclient,
which raises on the first cell that fails; two notebooks at a time) and finds
no error and no stderr output, and exactly one ``exercises.check`` per
exercise id, each saying "Not answered yet".
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course_utils import exercises
from tools.refresh import execute

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECK = re.compile(r'exercises\.check\(\s*"([^"]*)"')
PARALLEL = 2  # kernels at once: the notebooks are small, the machine may be too


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


def is_solution(cell: dict) -> bool:
    return "solution" in cell.get("metadata", {}).get("tags", [])


def plain_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "".join(parts).strip()


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    make = shutil.which("make")
    assert make, "make is not installed: `make student` cannot run"
    folder = tmp_path_factory.mktemp("student")
    done = subprocess.run(
        [make, "--no-print-directory", "student", "STAMP=", f"PY={sys.executable}", f"STUDENT_DIR={folder}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"make student failed:\n{done.stdout}\n{done.stderr}"
    return folder


def test_the_copy_has_no_solution_and_no_output(student: Path) -> None:
    assert NOTEBOOKS, "no notebooks in notebooks/"
    assert sorted(p.name for p in student.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    solutions = 0
    for original in NOTEBOOKS:
        nb, copy = load(original), load(student / original.name)
        kept = [c for c in nb["cells"] if not is_solution(c)]
        solutions += len(nb["cells"]) - len(kept)
        assert [(c["cell_type"], source(c)) for c in copy["cells"]] == [(c["cell_type"], source(c)) for c in kept], (
            f"{original.name}: the copy's cells are not the notebook's cells without its solutions"
        )
        assert not any(is_solution(c) for c in copy["cells"]), f"{original.name}: a solution cell is left"
        for cell in copy["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, (
                    f"{original.name}: outputs left in {source(cell)[:60]!r}"
                )
        assert "widgets" not in copy["metadata"], f"{original.name}: the saved widget state (the sliders' figures) is left"
        assert copy["metadata"].get("kernelspec", {}).get("name") == "python3", f"{original.name}: kernelspec lost"
    assert solutions == len(exercises.ids()), f"{solutions} solution cells removed for {len(exercises.ids())} exercises"


def test_the_copy_runs_and_every_check_is_not_answered_yet(student: Path) -> None:
    copies = sorted(student.glob("*.ipynb"))
    assert copies, "make student wrote no notebook"
    # nbclient raises CellExecutionError (naming the cell) on the first error
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        executed = dict(zip(copies, pool.map(execute, copies)))
    checked = []
    for path, nb in executed.items():
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for out in cell.outputs:
                assert not (out.output_type == "stream" and out.name == "stderr"), (
                    f"{path.name}: stderr in {cell.source[:60]!r}: {out.text[:300]}"
                )
            ids = CHECK.findall(cell.source)
            if ids:
                checked += ids
                assert plain_text(cell).startswith("Not answered yet"), (
                    f"{path.name}, exercise {ids}: the check says {plain_text(cell)[:120]!r}"
                )
    assert sorted(checked) == sorted(exercises.ids()), f"checks run: {checked}"


def test_the_target_is_phony_and_its_folder_git_ignored() -> None:
    """The target is declared .PHONY (a folder named student must not stop it)
    and writes into a git-ignored folder by default."""
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony and "student" in phony.group(1).split()
    default = re.search(r"^STUDENT_DIR \?= (\S+)$", makefile, re.MULTILINE)
    assert default, "STUDENT_DIR has no default"
    ignored = subprocess.run(["git", "check-ignore", "-q", f"{default.group(1)}/x.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0, f"{default.group(1)} is not git-ignored"
