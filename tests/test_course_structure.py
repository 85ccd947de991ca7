"""The notebooks read as one course (issue 10).

Every lesson notebook (``01_…`` onwards) opens with its title ``# NN · Title``,
a ``**You will be able to**`` block of 3-5 bullets and an ``**Assumes:**``
line that links to what comes before it; every slider is introduced by a
``**Predict, then move.**`` prompt; the notebook ends with ``## What we saw``
(3-6 bullets) and a ``**Next:**`` link to the next notebook (the last one
to the start page). Across all notebooks, every relative ``.ipynb`` link
points to an existing notebook, a mention of "notebook NN" is a link to
notebook NN, and the start page ``00_start_here`` links every notebook.

Every exercise of ``course_utils.exercises`` (issue 11) sits in the notebook its
id names, in course order, as a task (markdown ``**Exercise NN.k**``), a stub
cell (``...`` and the check as its last line, stored output "Not answered
yet") and right after it a solution cell tagged ``solution`` with its source
hidden (folded in JupyterLab), stored output "Correct".

Each check returns the problems it found (an empty list when there are
none); the last tests feed it broken notebooks to show that it can fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils import exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
START = "00_start_here"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if p.stem != START]

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
TITLE = re.compile(r"^# (\d\d) · \S")
BULLET = re.compile(r"^[-*] \S")
MENTION = re.compile(r"\bnotebook (\d\d)\b", re.IGNORECASE)
INTERACT = re.compile(r"(?<![\w.])interact(?:ive|_manual)?\s*\(")
CHECK = re.compile(r'exercises\.check\(\s*"([^"]*)"')


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(nb: dict) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def number(name: str) -> int:
    return int(name[:2])


def bullets_after(text: str, marker: str) -> int | None:
    """How many top-level bullets follow the line that starts with ``marker``
    (continuation lines of a bullet are indented); None without the marker."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(marker)), None)
    if start is None:
        return None
    count = 0
    for line in lines[start + 1 :]:
        if BULLET.match(line):
            count += 1
        elif line.startswith("  ") and count:
            continue  # a bullet's continuation
        elif not line.strip() and count == 0:
            continue  # blank lines before the first bullet
        else:
            break
    return count


def links(text: str) -> list[tuple[str, str]]:
    """(text, target) of every markdown link whose target is a notebook of this folder."""
    return [(t, target) for t, target in LINK.findall(text) if target.split("#")[0].endswith(".ipynb")
            and "://" not in target]


# ---------------------------------------------------------------- the checks
def lesson_problems(nb: dict, name: str, names: list[str]) -> list[str]:
    """What a lesson notebook ``name`` (file stem) lacks; ``names`` are the stems of all notebooks."""
    problems = []
    cells = markdown(nb)
    first = nb["cells"][0] if nb["cells"] else None
    head = source(first) if first and first["cell_type"] == "markdown" else ""
    title = TITLE.match(head)
    if not title:
        problems.append("the first cell is not a markdown title '# NN · Title'")
    elif title.group(1) != name[:2]:
        problems.append(f"the title's number {title.group(1)} is not the file's {name[:2]}")
    objectives = bullets_after(head, "**You will be able to**")
    if objectives is None:
        problems.append("the title cell has no '**You will be able to**' block")
    elif not 3 <= objectives <= 5:
        problems.append(f"the objectives have {objectives} bullets, expected 3 to 5")
    assumes = next((line for line in head.splitlines() if line.startswith("**Assumes:**")), None)
    if assumes is None:
        problems.append("the title cell has no '**Assumes:**' line")
    else:
        # the whole paragraph of the Assumes line: links may sit on its continuation lines
        paragraph = head[head.index("**Assumes:**"):].split("\n\n")[0]
        earlier = [target for _, target in links(paragraph)]
        if not earlier:
            problems.append("the '**Assumes:**' line links no notebook (01 links the start page)")
        for target in earlier:
            if target[:2].isdigit() and number(target) >= number(name):
                problems.append(f"'**Assumes:**' links {target}, which is not an earlier notebook")
    recap = [text for text in cells if re.search(r"^## What we saw\s*$", text, re.MULTILINE)]
    if not recap:
        problems.append("no '## What we saw' section")
    else:
        count = bullets_after(recap[-1], "## What we saw")
        if count is None or not 3 <= count <= 6:
            problems.append(f"'## What we saw' has {count} bullets, expected 3 to 6")
    nexts = [text for text in cells if "**Next:**" in text]
    if not nexts:
        problems.append("no '**Next:**' line")
    else:
        line = nexts[-1][nexts[-1].index("**Next:**"):].split("\n\n")[0]
        targets = [target.split("#")[0][: -len(".ipynb")] for _, target in links(line)]
        later = [n for n in names if n != START and number(n) > number(name)]
        expected = min(later, key=number) if later else START
        if expected not in targets:
            problems.append(f"'**Next:**' does not link {expected}.ipynb (links: {targets})")
    # every slider is introduced by a "Predict, then move." prompt since the previous slider
    prompt_seen = False
    for cell in nb["cells"]:
        text = source(cell)
        if cell["cell_type"] == "markdown" and "**Predict, then move.**" in text:
            prompt_seen = True
        elif cell["cell_type"] == "code" and INTERACT.search(text):
            if not prompt_seen:
                problems.append(f"the slider cell {text.strip()[:60]!r} has no '**Predict, then move.**' prompt before it")
            prompt_seen = False
    return problems


def link_problems(nb: dict, name: str, folder: Path) -> list[str]:
    """Broken notebook links, and mentions of "notebook NN" that are not links to it."""
    problems = []
    for text in markdown(nb):
        for label, target in links(text):
            path = folder / target.split("#")[0]
            if not path.exists():
                problems.append(f"the link [{label}]({target}) points to a notebook that does not exist")
            for mentioned in MENTION.findall(label):
                if not path.name.startswith(f"{mentioned}_"):
                    problems.append(f"the link [{label}]({target}) names notebook {mentioned} but points elsewhere")
        bare = LINK.sub("", text)
        bare = re.sub(r"`[^`]*`", "", bare)  # code is not prose
        for mentioned in MENTION.findall(bare):
            if mentioned != name[:2]:
                problems.append(f"'notebook {mentioned}' is mentioned without a link to it")
    return problems


def start_page_problems(nb: dict, names: list[str]) -> list[str]:
    linked = {target.split("#")[0][: -len(".ipynb")] for text in markdown(nb) for _, target in links(text)}
    return [f"the start page does not link {n}.ipynb" for n in names if n != START and n not in linked]


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def output_text(cell: dict) -> str:
    """What a code cell's stored outputs say as plain text."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "".join(parts).strip()


def exercise_problems(notebooks: dict[str, dict], ids: list[str]) -> list[str]:
    """Where the exercises ``ids`` are missing or misshapen in ``notebooks``
    (file stem -> notebook): each id once, in the notebook its number names,
    in order there; a task, a stub and its folded solution, with the stored
    outputs "Not answered yet" and "Correct"."""
    problems = []
    found: dict[str, list[str]] = {}
    for name, nb in notebooks.items():
        cells = nb["cells"]
        here = []
        for at, cell in enumerate(cells):
            if cell["cell_type"] != "code" or not CHECK.search(source(cell)):
                continue
            if "solution" in tags(cell):
                before = cells[at - 1] if at else None
                stub = before is not None and before["cell_type"] == "code" and "solution" not in tags(before)
                if not (stub and CHECK.search(source(before))):
                    problems.append(f"{name}: a solution cell ({CHECK.findall(source(cell))}) does not follow a stub")
                continue
            calls = CHECK.findall(source(cell))
            id = calls[-1]
            where = f"{name}: exercise {id}"
            found.setdefault(id, []).append(name)
            here.append(id)
            lines = [line for line in source(cell).splitlines() if line.strip()]
            if len(calls) != 1 or not CHECK.match(lines[-1]):
                problems.append(f"{where}: the stub's last line is not its one exercises.check call")
            if "..." not in source(cell):
                problems.append(f"{where}: the stub has no `...` for the learner to replace")
            if not output_text(cell).startswith("Not answered yet"):
                problems.append(f"{where}: the stub's stored output is not 'Not answered yet': "
                                f"{output_text(cell)[:60]!r}")
            task = cells[at - 1] if at else None
            if task is None or task["cell_type"] != "markdown" or not source(task).startswith(f"**Exercise {id}**"):
                problems.append(f"{where}: no task before the stub (a markdown cell starting "
                                f"'**Exercise {id}**')")
            solution = cells[at + 1] if at + 1 < len(cells) else None
            if solution is None or solution["cell_type"] != "code" or "solution" not in tags(solution):
                problems.append(f"{where}: the stub is not followed by a cell tagged solution")
                continue
            if solution.get("metadata", {}).get("jupyter", {}).get("source_hidden") is not True:
                problems.append(f"{where}: the solution's source is not hidden (metadata jupyter.source_hidden)")
            if CHECK.findall(source(solution)) != [id]:
                problems.append(f"{where}: the solution does not check {id} "
                                f"(it checks {CHECK.findall(source(solution))})")
            if not output_text(solution).startswith("Correct"):
                problems.append(f"{where}: the solution's stored output is not 'Correct': "
                                f"{output_text(solution)[:60]!r}")
        for id in here:
            if id[:2] != name[:2]:
                problems.append(f"{name}: exercise {id} belongs in notebook {id[:2]}")
        expected = [id for id in ids if id in here]
        if here != expected:
            problems.append(f"{name}: exercises in the order {here}, not the course order {expected}")
    for id in ids:
        if len(found.get(id, [])) != 1:
            places = found.get(id, [])
            problems.append(f"exercise {id} appears {len(places)} times (in {places}), expected once")
    problems += [f"{names}: exercise {id} is not one of exercises.ids()" for id, names in found.items() if id not in ids]
    return problems


# ---------------------------------------------------------------- the tests
NAMES = [p.stem for p in NOTEBOOKS]


def test_the_course_has_a_start_page_and_lessons() -> None:
    assert (NOTEBOOK_DIR / f"{START}.ipynb").exists(), f"notebooks/{START}.ipynb is missing"
    assert LESSONS, "no lesson notebooks NN_*.ipynb"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_reads_as_part_of_a_course(path: Path) -> None:
    problems = lesson_problems(load(path), path.stem, NAMES)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_links_between_notebooks(path: Path) -> None:
    problems = link_problems(load(path), path.stem, NOTEBOOK_DIR)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_start_page_lists_every_notebook() -> None:
    problems = start_page_problems(load(NOTEBOOK_DIR / f"{START}.ipynb"), NAMES)
    assert not problems, "\n".join(problems)


def test_every_exercise_sits_in_its_notebook_with_its_folded_solution() -> None:
    problems = exercise_problems({p.stem: load(p) for p in NOTEBOOKS}, exercises.ids())
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the checks can fail
GOOD_HEAD = """# 02 · Something

A paragraph.

**You will be able to**

- compute one thing,
  over two lines,
- explain another,
- predict a third.

**Assumes:** [notebook 01](01_a.ipynb) (the operator).
"""
GOOD_END = """## What we saw

- one fact, 1.00,
- two facts, 2.00,
- three facts, 3.00.

**Next:** [03 · Next](03_c.ipynb) — more.
"""


def _notebook(head: str = GOOD_HEAD, end: str = GOOD_END, prompt: bool = True) -> dict:
    cells = [{"cell_type": "markdown", "source": head}, {"cell_type": "code", "source": "lesson.explore_x()"}]
    if prompt:
        cells.append({"cell_type": "markdown", "source": "**Predict, then move.** Which way?"})
    cells += [{"cell_type": "code", "source": "_ = interact(lesson.explore_x, **lesson.explore_x.controls())"},
              {"cell_type": "markdown", "source": end}]
    return {"cells": cells}


NAMES_FAKE = ["00_start_here", "01_a", "02_b", "03_c"]


def test_a_correct_lesson_passes() -> None:
    assert lesson_problems(_notebook(), "02_b", NAMES_FAKE) == []


@pytest.mark.parametrize(
    "broken, found",
    [
        ({"head": GOOD_HEAD.replace("# 02 · Something", "# Something")}, "title"),
        ({"head": GOOD_HEAD.replace("# 02 ·", "# 03 ·")}, "number"),
        ({"head": GOOD_HEAD.replace("**You will be able to**", "You will:")}, "You will be able to"),
        ({"head": GOOD_HEAD.replace("- predict a third.\n", "")}, "2 bullets"),
        ({"head": GOOD_HEAD.replace("**Assumes:**", "Assumes")}, "Assumes"),
        ({"head": GOOD_HEAD.replace("[notebook 01](01_a.ipynb)", "notebook 01")}, "links no notebook"),
        ({"head": GOOD_HEAD.replace("(01_a.ipynb)", "(03_c.ipynb)")}, "not an earlier notebook"),
        ({"end": GOOD_END.replace("## What we saw", "## Summary")}, "What we saw"),
        ({"end": GOOD_END.replace("- three facts, 3.00.\n", "")}, "2 bullets"),
        ({"end": GOOD_END.replace("**Next:**", "Next:")}, "Next"),
        ({"end": GOOD_END.replace("(03_c.ipynb)", "(01_a.ipynb)")}, "does not link 03_c"),
        ({"prompt": False}, "Predict, then move"),
    ],
)
def test_the_lesson_check_finds_each_gap(broken: dict, found: str) -> None:
    problems = lesson_problems(_notebook(**broken), "02_b", NAMES_FAKE)
    assert any(found in p for p in problems), f"expected a problem about {found!r}, got {problems}"


def test_the_last_lesson_points_to_the_start_page() -> None:
    end = GOOD_END.replace("[03 · Next](03_c.ipynb)", "[the start page](00_start_here.ipynb)")
    assert lesson_problems(_notebook(head=GOOD_HEAD.replace("# 02", "# 03"), end=end), "03_c", NAMES_FAKE) == []


def test_the_link_check_finds_broken_and_missing_links(tmp_path: Path) -> None:
    (tmp_path / "01_a.ipynb").write_text("{}")
    ok = {"cells": [{"cell_type": "markdown", "source": "See [notebook 01](01_a.ipynb), and `notebook 05` in code."}]}
    assert link_problems(ok, "02_b", tmp_path) == []
    broken = {"cells": [{"cell_type": "markdown", "source": "See [notebook 01](01_gone.ipynb)."}]}
    assert any("does not exist" in p for p in link_problems(broken, "02_b", tmp_path))
    elsewhere = {"cells": [{"cell_type": "markdown", "source": "See [notebook 03](01_a.ipynb)."}]}
    assert any("points elsewhere" in p for p in link_problems(elsewhere, "02_b", tmp_path))
    bare = {"cells": [{"cell_type": "markdown", "source": "As notebook 01 showed."}]}
    assert any("without a link" in p for p in link_problems(bare, "02_b", tmp_path))


def test_the_start_page_check_finds_a_missing_notebook() -> None:
    page = {"cells": [{"cell_type": "markdown", "source": "[01](01_a.ipynb) [02](02_b.ipynb)"}]}
    assert start_page_problems(page, NAMES_FAKE) == ["the start page does not link 03_c.ipynb"]


def _exercise(id: str, output: str = "Not answered yet. Hint: …", answer: str = "Correct: …",
              hidden: bool | None = True, tag: str = "solution", stub: str = "answer = ...") -> list[dict]:
    meta = {"tags": [tag]} | ({"jupyter": {"source_hidden": hidden}} if hidden is not None else {})
    return [
        {"cell_type": "markdown", "source": f"**Exercise {id}** — a task."},
        {"cell_type": "code", "metadata": {}, "source": f'{stub}\n\nexercises.check("{id}", answer)',
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": output}}]},
        {"cell_type": "code", "metadata": meta, "source": f'answer = 1\n\nexercises.check("{id}", answer)',
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": answer}}]},
    ]


def test_correct_exercises_pass() -> None:
    book = {"01_a": {"cells": _exercise("01.1") + _exercise("01.2")}, "02_b": {"cells": _exercise("02.1")}}
    assert exercise_problems(book, ["01.1", "01.2", "02.1"]) == []


@pytest.mark.parametrize(
    "cells, found",
    [
        (_exercise("01.1", output="Correct: …") + _exercise("01.2"), "stub's stored output"),
        (_exercise("01.1", answer="Not quite: …") + _exercise("01.2"), "solution's stored output"),
        (_exercise("01.1", hidden=False) + _exercise("01.2"), "not hidden"),
        (_exercise("01.1", hidden=None) + _exercise("01.2"), "not hidden"),
        (_exercise("01.1", tag="exercise") + _exercise("01.2"), "not followed by a cell tagged solution"),
        (_exercise("01.1", stub="answer = 0") + _exercise("01.2"), "no `...`"),
        (_exercise("01.1")[1:] + _exercise("01.2"), "no task"),
        (_exercise("01.2") + _exercise("01.1"), "not the course order"),
        (_exercise("01.1"), "01.2 appears 0 times"),
        (_exercise("01.1") + _exercise("01.1") + _exercise("01.2"), "01.1 appears 2 times"),
        (_exercise("01.1") + _exercise("01.2") + _exercise("02.1")[1:], "belongs in notebook 02"),
        (_exercise("01.1") + _exercise("01.2") + _exercise("01.9"), "not one of exercises.ids()"),
        (_exercise("01.1") + _exercise("01.2")[:2] + _exercise("01.2")[::2], "does not follow a stub"),
    ],
)
def test_the_exercise_check_finds_each_gap(cells: list[dict], found: str) -> None:
    book = {"01_a": {"cells": cells}, "02_b": {"cells": _exercise("02.1")}}
    problems = exercise_problems(book, ["01.1", "01.2", "02.1"])
    assert any(found in p for p in problems), f"expected a problem about {found!r}, got {problems}"
