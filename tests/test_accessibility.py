"""Accessible notebooks (issue 19): the parts that do not need a browser.

- one h1 per notebook, and headings in order (no level skipped);
- every figure a notebook shows is followed by its description, a caption
  line "Figure: …" (text, compared by nbval like any printed output);
- the exercise feedback says its verdict in words, not only by the colour of
  its bar, and is announced as a status.

The book's side (axe-core on every page, alt texts) is in tests/browser/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils import exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
HEADING = re.compile(r"^(#{1,6}) \S")


def headings(nb: dict) -> list[int]:
    levels = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("```"):
                fenced = not fenced
            match = HEADING.match(line)
            if match and not fenced:
                levels.append(len(match.group(1)))
    return levels


def heading_problems(levels: list[int]) -> list[str]:
    problems = []
    if levels.count(1) != 1:
        problems.append(f"{levels.count(1)} h1 headings, expected one")
    if levels and levels[0] != 1:
        problems.append("the first heading is not the h1")
    problems += [f"h{a} followed by h{b}" for a, b in zip(levels, levels[1:]) if b > a + 1]
    return problems


def undescribed_figures(nb: dict) -> list[str]:
    """Figures (image outputs) not followed by their description."""
    problems = []
    for number, cell in enumerate(nb["cells"]):
        outputs = cell.get("outputs", [])
        for i, output in enumerate(outputs):
            if "image/png" not in output.get("data", {}):
                continue
            following = outputs[i + 1] if i + 1 < len(outputs) else {}
            text = "".join(following.get("data", {}).get("text/plain", ""))
            if not text.startswith("Figure: ") or len(text) < 30:
                problems.append(f"cell {number}: a figure without its description")
    return problems


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_one_h1_and_headings_in_order(name):
    assert heading_problems(headings(NOTEBOOKS[name])) == []


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_every_figure_is_followed_by_its_description(name):
    assert undescribed_figures(NOTEBOOKS[name]) == []


def test_feedback_says_its_verdict_in_words():
    for answer, word in [(exercises.reference("01.2"), "Correct"), (..., "Not answered yet"), ("x", "Not quite")]:
        feedback = exercises.check("01.2", answer)
        html = feedback._repr_html_()
        assert feedback.message.startswith(word) and f">{word}" in html
        assert 'role="status"' in html


def test_the_checks_can_fail():
    assert heading_problems([2, 1]) == ["the first heading is not the h1"]
    assert heading_problems([1, 3]) == ["h1 followed by h3"]
    assert heading_problems([1, 2, 1]) == ["2 h1 headings, expected one"]
    image = {"output_type": "display_data", "data": {"image/png": "x", "text/plain": "<Figure>"}, "metadata": {}}
    assert undescribed_figures({"cells": [{"cell_type": "code", "outputs": [image]}]}) == [
        "cell 0: a figure without its description"
    ]
