"""Every committed notebook is clean: what a reader downloads and nbval compares.

Per notebook: stored outputs; execution counts 1, 2, 3, … in order (run
top to bottom); no error and no stderr outputs; no absolute paths or user
names in outputs or metadata; the standard ``python3`` kernelspec; under
1 MB; at least one ``interact`` cell, each tagged ``nbval-ignore-output``.
"""

from __future__ import annotations

import getpass
import json
import os
import pwd
import re
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: the course map (00_start_here) is the one notebook without a slider
LESSONS = [p for p in NOTEBOOKS if p.stem != "00_start_here"]
MAX_BYTES = 1_000_000

ABSOLUTE = re.compile(r"(/home/|/root/|/tmp/|/Users/|/var/folders/|\b[A-Za-z]:\\)")
TEXT_MIME = ("text/", "application/json", "application/javascript")


def _user_names() -> set[str]:
    names = {getpass.getuser()}
    names |= {os.environ[k] for k in ("USER", "LOGNAME", "USERNAME") if os.environ.get(k)}
    names |= {p.pw_name for p in pwd.getpwall() if 1000 <= p.pw_uid < 65534}
    return {n for n in names if n}


USER_NAMES = _user_names()
HOST = socket.gethostname().split(".")[0]


def user_name_found(text: str) -> str | None:
    """A user name (or this machine's name) as it appears in paths and prompts."""
    for name in USER_NAMES:
        n = re.escape(name)
        if re.search(rf"(?<![\w.-]){n}@|[/\\]{n}(?:[/\\]|$)|\b(?:home|Users)[/\\]+{n}\b", text):
            return name
        # a rare name anywhere as a word (not 'root', which is also an English word)
        if name not in {"root", "user", "admin", "jovyan"} and len(name) >= 4 and re.search(rf"\b{n}\b", text):
            return name
    if len(HOST) >= 6 and re.search(rf"\b{re.escape(HOST)}\b", text):
        return HOST
    return None


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def output_texts(out: dict) -> Iterator[str]:
    """Every text a reader sees in one output (pictures left out)."""
    if "text" in out:
        yield "".join(out["text"])
    for mime, value in out.get("data", {}).items():
        if mime.startswith(TEXT_MIME):
            yield value if isinstance(value, str) else "".join(value) if isinstance(value, list) else json.dumps(value)
    if out.get("output_type") == "error":
        yield out.get("evalue", "")
        yield "\n".join(out.get("traceback", []))


def strings(value: Any) -> Iterator[str]:
    """Every string (keys too) inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


ids = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_size_and_kernelspec(path: Path) -> None:
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size} bytes, over 1 MB (smaller figures, fewer of them, or lower dpi)"
    kernelspec = load(path).get("metadata", {}).get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{path.name}: kernelspec {kernelspec!r}, expected name 'python3'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_outputs_and_execution_counts(path: Path) -> None:
    cells = [c for c in code_cells(load(path)) if "".join(c["source"]).strip()]
    assert cells, f"{path.name} has no code"
    assert any(c.get("outputs") for c in cells), f"{path.name} has no stored outputs: nbval would compare nothing"
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts}, expected 1..{len(cells)} (run it top to bottom: make notebooks)"
    )
    for count, cell in zip(counts, cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "execute_result":
                assert out.get("execution_count") == count, f"{path.name} cell [{count}]: result numbered {out.get('execution_count')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_errors_or_warnings_stored(path: Path) -> None:
    for cell in code_cells(load(path)):
        where = f"{path.name} cell [{cell.get('execution_count')}]"
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{where}: stored error {out.get('ename')}: {out.get('evalue')}"
            if out.get("output_type") == "stream":
                text = "".join(out.get("text", ""))
                assert out.get("name") != "stderr", f"{where}: stored stderr output: {text[:300]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_absolute_paths_or_user_names(path: Path) -> None:
    nb = load(path)
    places: list[tuple[str, str]] = [("notebook metadata", s) for s in strings(nb.get("metadata", {}))]
    for i, cell in enumerate(nb["cells"], 1):
        places += [(f"cell {i} metadata", s) for s in strings(cell.get("metadata", {}))]
        places += [(f"cell {i} attachments", s) for s in strings(list(cell.get("attachments", {})))]
        for out in cell.get("outputs", []):
            places += [(f"cell {i} output", s) for s in output_texts(out)]
            places += [(f"cell {i} output metadata", s) for s in strings(out.get("metadata", {}))]
    for where, text in places:
        found = ABSOLUTE.search(text)
        assert found is None, f"{path.name} {where}: absolute path {text[max(0, found.start() - 40):found.end() + 40]!r}"
        name = user_name_found(text)
        assert name is None, f"{path.name} {where}: names the user or machine {name!r}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_interact_cells_are_tagged(path: Path) -> None:
    interact = re.compile(r"(?<![\w.])(?:\w+\.)?interact(?:ive|_manual)?\s*\(")
    cells = [c for c in code_cells(load(path)) if interact.search("".join(c["source"]))]
    assert cells, f"{path.name} has no interact cell (every notebook ends its sections with sliders)"
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        assert "nbval-ignore-output" in tags, (
            f"{path.name} cell [{cell.get('execution_count')}]: interact cell without the nbval-ignore-output tag"
        )


def test_checks_catch_what_they_should() -> None:
    """The patterns above do find what they look for (and leave prose alone)."""
    assert ABSOLUTE.search('File "/tmp/ipykernel_123/45.py", line 1')
    assert ABSOLUTE.search(r"C:\Users\ann\course")
    assert ABSOLUTE.search("/home/ann/course/notebooks")
    assert not ABSOLUTE.search("the square root of 2 is 1.4142, see notebooks/02")
    user = sorted(USER_NAMES)[0]
    assert user_name_found(f"{user}@{HOST}:~$") == user
    assert user_name_found(f"/srv/{user}/course") == user
    assert user_name_found("the square root of the loss") is None
