"""What the course says agrees with what it prints and with itself (issue 17).

- what the text announces with a colon (a table, a figure) comes next, not
  an exercise in between;
- a number the text quotes for a computation is printed by the notebook;
- one letter, one meaning: k is the number of iterations, never an index
  (in the notebooks, the package and the exercises' messages); L is the loss,
  never a count of layers; the start page's notation announces where the
  loss and Init change, and notebook 07 lists those changes where they happen;
- the course map's times add up to what a learner who did every exercise
  needed (about 7 hours);
- the sentences the review found wrong stay fixed.

Each check returns the problems it found; the last test feeds a broken
notebook to show that the checks can fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils import exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
START = "00_start_here"


def source(cell: dict) -> str:
    return "".join(cell["source"])


def outputs_text(nb: dict) -> str:
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append("".join(output["text"]))
            elif "text/plain" in output.get("data", {}):
                texts.append("".join(output["data"]["text/plain"]))
    return "\n".join(texts)


def markdown_text(nb: dict) -> str:
    return "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


# ---------------------------------------------------------------- the checks
def announcements_not_followed(nb: dict) -> list[str]:
    """Text that ends with ':' announces what comes next (a table, a figure): the next cell must be
    that code, not an exercise of the section before (notebook 04 put Exercise 04.3 in between)."""
    problems, cells = [], nb["cells"]
    for i, cell in enumerate(cells[:-1]):
        following = cells[i + 1]
        if cell["cell_type"] == "markdown" and source(cell).rstrip().endswith(":"):
            if following["cell_type"] != "code" or "exercises.check(" in source(following):
                problems.append(f"cell {i} announces what follows, but cell {i + 1} is not it")
    return problems


INDEX_K = [
    r"iteration \$k\$",  # "at iteration $k$"
    r"\(Z, k\)",  # the activation's signature with k as the index
    r"[zZ]_\(k-1\)",
    r"[zZ]_\{k-1\}",
    r"[zZ]_\{k\+1\}",
    r"σ\(S [zZ]_k, k\)",
]


def k_as_an_index(text: str) -> list[str]:
    return [pattern for pattern in INDEX_K if re.search(pattern, text)]


def map_minutes(nb: dict) -> list[int]:
    table = next(source(c) for c in nb["cells"] if "## The course map" in source(c))
    return [int(m) for m in re.findall(r"\| (\d+) min \|", table)]


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_what_the_text_announces_comes_next(name):
    assert announcements_not_followed(NOTEBOOKS[name]) == []


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_k_is_never_an_iteration_index_in_the_notebooks(name):
    nb = NOTEBOOKS[name]
    text = "\n".join(source(c) for c in nb["cells"]) + "\n" + outputs_text(nb)
    assert k_as_an_index(text) == []


def test_k_is_never_an_iteration_index_in_the_package():
    found = {}
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        hits = k_as_an_index(path.read_text(encoding="utf-8"))
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert not found


def test_l_is_the_loss_not_a_count_of_layers():
    for id in exercises.ids():
        for mistake in exercises.exercise(id).mistakes:
            assert not re.search(r"\b1\s*\.\.\s*L\b|\bL layers\b", mistake.explanation), (id, mistake.name)


def test_the_notation_announces_where_the_loss_and_init_change():
    start = markdown_text(NOTEBOOKS[START])
    loss_row = next(line for line in start.splitlines() if line.startswith("| $L$"))
    assert "nothing else" not in loss_row and "cross-entropy" in loss_row
    init_row = next(line for line in start.splitlines() if line.startswith("| $\\mathrm{Init}$"))
    assert "07" in init_row and "08" in init_row
    departure = next(source(c) for c in NOTEBOOKS["07_mlp_as_sparse_map"]["cells"]
                     if source(c).startswith("## 4. Training on real data"))
    assert "identity block" in departure and "from zero" in departure  # Init and U's start, announced


def test_the_map_times_are_what_a_learner_needed():
    minutes = map_minutes(NOTEBOOKS[START])
    assert len(minutes) == len(NOTEBOOKS) - 1
    assert 6.5 * 60 <= sum(minutes) <= 7.5 * 60, sum(minutes)
    assert minutes[2] == max(minutes)  # notebook 03, the longest, says so


def test_the_gradient_norm_quoted_in_06_is_printed():
    nb = NOTEBOOKS["06_interim_losses_and_fixed_points"]
    text, printed = markdown_text(nb), outputs_text(nb)
    quoted = re.findall(r"\\\|\\nabla L\\\| = (\d+\.\d+)", text)
    assert quoted, "06 quotes no gradient norm"
    for value in quoted:
        assert f"||∇L|| = {value}" in printed, value
    assert "about 6.8" not in text


def test_06_prints_the_loss_of_the_S_it_shows():
    nb = NOTEBOOKS["06_interim_losses_and_fixed_points"]
    printed = outputs_text(nb)
    match = re.search(r"the S below, after the last step: loss (\d+\.\d+)", printed)
    assert match, "the loss of the S shown is not printed"
    assert re.search(r"the last four: (\d+\.\d+ ){3}\d+\.\d+", printed)  # the zig-zag, in numbers


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("03_depth_and_the_saddle", "A tenfold smaller noise starts it ten times\nsmaller"),
        ("03_depth_and_the_saddle", "Give the number unrounded"),
        ("08_recurrent_is_the_same_matrix", "one-layer network"),
        ("08_recurrent_is_the_same_matrix", "it lists what each notebook showed"),
        ("00_start_here", "and nothing else"),
    ],
)
def test_the_sentences_the_review_found_wrong_stay_fixed(name, wrong):
    assert wrong not in markdown_text(NOTEBOOKS[name])


def test_02_says_why_the_third_column_decides():
    assert "multiple of $e_3$" in markdown_text(NOTEBOOKS["02_exact_inverse"])


def test_03_starts_from_the_observation():
    headings = [line for line in markdown_text(NOTEBOOKS["03_depth_and_the_saddle"]).splitlines()
                if line.startswith("## ")]
    assert headings[0] == "## 1. Training from exactly zero never moves", headings


def test_the_checks_can_fail():
    md = lambda text: {"cell_type": "markdown", "metadata": {}, "source": text}  # noqa: E731
    code = lambda text, tags=(): {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text,  # noqa: E731
                                  "outputs": [], "execution_count": None}
    broken = {"cells": [md("## 6. Training\n... without (3,2) it stays at the floor 2:"), md("**Exercise 04.3** — count"),
                        code('exercises.check("04.3", answer)'), code("plot_losses(...)")]}
    assert announcements_not_followed(broken) == ["cell 0 announces what follows, but cell 1 is not it"]
    assert k_as_an_index("at iteration $k$ only") and k_as_an_index("def f(Z, k):")
    assert map_minutes({"cells": [md("## The course map\n| a | 30 min |\n| b | 40 min |")]}) == [30, 40]
