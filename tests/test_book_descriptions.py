"""The book's figures get their descriptions as text alternatives (book/_ext/course_book.py).

A notebook shows each figure's description right after the image, as an
output of its own (``course_utils.plotting.Caption``: ``display_data`` with
``{"course": {"figure_description": true}}`` in its metadata). The book makes
that description the image's ``alt`` (each of several figures of one cell its
own) and keeps it visible under the figure; an image without a description
fails the build (a warning under ``-W``), naming the notebook and the cell.
A folded solution's summary is named by its visible words.
"""

from __future__ import annotations

import base64
import html
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

CONF = '''
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "course_book"]
nb_execution_mode = "off"
nb_ipywidgets_js = {{}}
course_frames_cache = {cache!r}
course_frames_workers = 1
'''


def png(colour: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1], color=colour)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def image(colour: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"image/png": png(colour), "text/plain": "<Figure>"})


def caption(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "display_data",
        data={"text/plain": f"Figure: {text}",
              "text/html": f'<p class="course-figure-description"><em>Figure:</em> {html.escape(text)}</p>'},
        metadata={"course": {"figure_description": True}},
    )


RED = "A red line from (0, 0) to (1, 1): the first of two figures."
BLUE = "A blue line from (0, 0) to (1, 1): the second figure, its own words."


def build(tmp_path: Path, cells: list[nbformat.NotebookNode]) -> tuple[subprocess.CompletedProcess, Path]:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "conf.py").write_text(CONF.format(ext=str(ROOT / "book" / "_ext"), cache=str(tmp_path / "cache")))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A fake notebook"), *cells]
    nbformat.write(nb, notebooks / "01_fake.ipynb")
    (tmp_path / "src").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-c", str(conf), "-D",
         f"course_notebooks={notebooks}", str(tmp_path / "src"), str(tmp_path / "site")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    return result, tmp_path / "site" / "01_fake.html"


def test_each_figure_gets_its_own_description_as_alt(tmp_path: Path) -> None:
    two = nbformat.v4.new_code_cell("draw_two()")
    two.outputs = [image("red"), caption(RED), image("blue"), caption(BLUE)]
    solution = nbformat.v4.new_code_cell("answer = 1", metadata={"tags": ["solution"]})
    result, page = build(tmp_path, [two, solution])
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    text = page.read_text()
    alts = [html.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', text)]
    assert alts == [RED, BLUE], alts
    shown = [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r'<p class="course-figure-description">(.*?)</p>', text)]
    assert shown == [f"Figure: {RED}", f"Figure: {BLUE}"], "the descriptions must stay visible under the figures"
    assert "Show solution" in text and "Toggle hidden content" not in text, "the solution's summary keeps a label it does not show"


def test_a_figure_without_its_description_fails_the_build(tmp_path: Path) -> None:
    described = nbformat.v4.new_code_cell("draw()")
    described.outputs = [image("red"), caption(RED)]
    bare = nbformat.v4.new_code_cell("draw_bare()")
    bare.outputs = [image("blue")]
    result, _ = build(tmp_path, [described, bare])
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the build succeeded:\n{output[-2000:]}"
    assert "01_fake.ipynb, cell 2: a figure without its description" in output, output[-2000:]
    assert "cell 1:" not in output, f"the described figure is reported too:\n{output[-2000:]}"
