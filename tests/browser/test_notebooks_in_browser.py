"""Every notebook, and every slider in it, in a real JupyterLab and Chromium.

For each notebook of ``notebooks/`` (found at collection):

1. a fresh copy with its outputs cleared is opened under a new name (a
   reopened notebook would reuse its kernel and stored outputs, and the
   "executed" checks would pass without anything running);
2. Run > Run All Cells, then wait until every code cell shows an execution
   count ``[n]:`` and the kernel is idle;
3. no error anywhere: no stderr or traceback output, no "Error displaying
   widget", no widget shown as its text fallback, no page error, no console
   error (see ``BENIGN_CONSOLE``), and every ``interact`` cell shows its
   controls and a figure;
4. every slider of every ``interact`` is moved with the keyboard (End, or
   Home when it starts at its maximum), every dropdown is set to another
   option and every checkbox is clicked: each time the kernel must go idle
   and the figure must change (it is compared once it has stopped changing);
   the control is then put back;
5. a screenshot of the whole notebook goes to ``screenshots/`` (also when a
   check fails); the copy and its kernel session are deleted.

And one exercise as a learner meets it (``test_an_exercise_in_browser``, in
``EXERCISE_NOTEBOOK``): in a fresh copy, run the imports; the solution cell
is folded (a placeholder, no editor), a click unfolds it, Shift+Enter runs it
and its output says "Correct"; in the stub, the ``...`` is replaced by typing
a wrong answer (S transposed), Shift+Enter, and the output names the mistake.

To keep the suite short, the notebooks run in several pages of one browser
at once (``COURSE_E2E_PAGES``, default 8): while one notebook is checked, the
next ones are already executing.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import nbformat
import pytest


Lab = Any  # tests/browser/conftest.py's server, given by the ``lab`` fixture
NOTEBOOKS = Path(os.environ.get("COURSE_E2E_NOTEBOOKS", Path(__file__).resolve().parents[2] / "notebooks"))

PAGES_AHEAD = max(1, int(os.environ.get("COURSE_E2E_PAGES", "8")))
SCALE = float(os.environ.get("COURSE_E2E_TIMEOUT_SCALE", "1"))  # slower machines: > 1
RUN_ALL_TIMEOUT = 180_000 * SCALE  # ms, from opening the page to the last cell done
WIDGET_TIMEOUT = 60_000 * SCALE  # ms, for widgets to appear once the cells ran
MOVE_TIMEOUT = 60_000 * SCALE  # ms, for a figure to follow a control
QUIET_MS = 250  # a figure counts as drawn once unchanged this long with the kernel idle
VIEWPORT = {"width": 1280, "height": 900}

# Console messages of type "error" that are not failures: (text, URL of the
# message's source, reason). Keep each one narrow and justified.
BENIGN_CONSOLE: list[tuple[re.Pattern[str], re.Pattern[str], str]] = [
    (
        re.compile(r"^Failed to load resource: the server responded with a status of 500"),
        re.compile(r"^http://127\.0\.0\.1:\d+/api/kernels(\?\d*)?$"),
        # jupyter_server answers GET /api/kernels with 500 while a kernel is
        # between "started" and its first activity stamp (TraitError on
        # last_activity; enterprise_gateway#1395, notebook#5345): a race of
        # the server that this suite provokes by starting several kernels at
        # once. JupyterLab polls the list again a moment later; the
        # notebook's own kernel is checked by the execution checks.
        "jupyter_server race while kernels start in parallel",
    ),
]

STDERR = 'application/vnd.jupyter.stderr'
# Text fallbacks of widgets: what a cell shows when the widgets' JavaScript
# extension is missing or out of step with the kernel's ipywidgets.
WIDGET_REPR = re.compile(
    r"^\s*(interactive|VBox|HBox|Box|Output|IntSlider|FloatSlider|FloatLogSlider|IntRangeSlider|"
    r"FloatRangeSlider|Dropdown|Checkbox|ToggleButtons|RadioButtons|SelectionSlider)\(",
    re.M,
)

# --- JavaScript run in the page -------------------------------------------

PANEL = "document.querySelector('.jp-NotebookPanel')"

KERNEL_READY = f"""(codeCells) => {{
  const panel = {PANEL};
  if (!panel) return false;
  const name = panel.querySelector('.jp-KernelName');
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!name && !!status && name.innerText.trim() !== 'No Kernel'
    && status.dataset.status === 'idle'
    && panel.querySelectorAll('.jp-Notebook .jp-CodeCell').length === codeCells;
}}"""

# A folded cell (an exercise's solution, its source hidden) shows no prompt
# and no execution count, only a placeholder: it counts as run once it shows
# an output (a solution always does).
RUN_SETTLED = f"""(codeCells) => {{
  const panel = {PANEL};
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const open = cells.filter(c => !c.querySelector('.jp-InputPlaceholder'));
  const prompts = open.map(c => (c.querySelector('.jp-InputPrompt') || {{textContent: ''}}).textContent);
  const foldedDone = cells.filter(c => c.querySelector('.jp-InputPlaceholder'))
    .every(c => c.querySelector('.jp-OutputArea-output'));
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status;
  return cells.length === codeCells && !prompts.some(t => t.includes('*'))
    && prompts.some(t => /\\d/.test(t)) && foldedDone && status === 'idle';
}}"""

CELLS = f"""() => [...{PANEL}.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({{
  prompt: (cell.querySelector('.jp-InputPrompt') || {{textContent: ''}}).textContent.trim(),
  folded: !!cell.querySelector('.jp-InputPlaceholder'),
  stderr: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="{STDERR}"]')].map(e => e.innerText),
  plain: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/plain"]')].map(e => e.innerText),
  text: [...cell.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText).join('\\n'),
  interacts: [...cell.querySelectorAll('.widget-interact')].map(box =>
    !!box.querySelector(':scope > .widget-output img, :scope > .widget-output svg')),
}}))"""

# A hash of what an interact's output shows (its image bytes, as data URL).
SIGNATURE = """(box) => {
  const html = [...box.querySelectorAll(':scope > .widget-output')].map(o => o.innerHTML).join('|');
  let h = 2166136261;
  for (let i = 0; i < html.length; i++) { h ^= html.charCodeAt(i); h = Math.imul(h, 16777619); }
  return html.length + ':' + (h >>> 0).toString(16);
}"""

# Called just before acting on interact ``index``: from now on, count the
# kernel's busy phases (the toolbar's status indicator; a busy phase may come
# and go between two observer calls, hence the old values) and remember what
# the interact shows.
ARM = f"""(index) => {{
  const panel = {PANEL};
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (window.__e2eObserver) window.__e2eObserver.disconnect();
  window.__e2eBusy = 0;
  window.__e2eArmed = ({SIGNATURE})(panel.querySelectorAll('.widget-interact')[index]);
  window.__e2eObserver = new MutationObserver(records => {{
    for (const r of records) if (r.oldValue === 'busy') window.__e2eBusy++;
    if (status.dataset.status === 'busy') window.__e2eBusy++;
  }});
  window.__e2eObserver.observe(status, {{attributes: true, attributeFilter: ['data-status'], attributeOldValue: true}});
}}"""

# True once the kernel has handled the change (it was busy since ``ARM``, or
# the output changed) and is idle, the interact's output shows a figure (or
# an error, reported by the caller), and that output has not changed for
# ``quiet`` ms.
SETTLED = f"""([index, quiet, key]) => {{
  const panel = {PANEL};
  const box = panel.querySelectorAll('.widget-interact')[index];
  const sig = ({SIGNATURE})(box);
  const state = (window.__e2e = window.__e2e || {{}});
  const now = performance.now();
  if (!state[key] || state[key].sig !== sig) state[key] = {{sig, since: now}};
  const idle = panel.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status === 'idle';
  const figure = !!box.querySelector(':scope > .widget-output img, :scope > .widget-output svg');
  const failed = !!box.querySelector(':scope > .widget-output [data-mime-type="{STDERR}"]');
  const handled = window.__e2eBusy > 0 || sig !== window.__e2eArmed;
  return handled && idle && (figure || failed) && now - state[key].since >= quiet;
}}"""


def _short(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + " […]"


class NotebookPage:
    """One notebook copy opened in its own browser page."""

    def __init__(self, lab: Lab, browser: Any, source: Path) -> None:
        self.lab = lab
        self.source = source
        self.name = f"e2e_{uuid.uuid4().hex[:12]}_{source.name}"
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        notebook.metadata.pop("widgets", None)  # no saved widget state either
        nbformat.write(notebook, lab.root / self.name)
        self.code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        # code cells tagged solution: JupyterLab must show them folded
        self.solutions = [i for i, cell in enumerate(c for c in notebook.cells if c.cell_type == "code")
                          if "solution" in cell.metadata.get("tags", [])]
        self.problems: list[str] = []  # page errors and console errors, as they come
        self.started = False
        self.meanwhile: Callable[[], None] = lambda: None  # called between steps (the pipeline's poke)
        self.timings: list[str] = []  # printed by the test (shown by pytest -s or on failure)
        self.page = browser.new_page(viewport=VIEWPORT)  # in a new context
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)
        self.opened_at = time.monotonic()
        self.page.goto(lab.url(self.name, workspace=f"e2e-{uuid.uuid4().hex[:12]}"), wait_until="commit")

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        text, url = message.text, (message.location or {}).get("url", "")
        for text_pattern, url_pattern, _reason in BENIGN_CONSOLE:
            if text_pattern.search(text) and url_pattern.search(url):
                return
        self.problems.append(f"console error: {text} (at {url})" if url else f"console error: {text}")

    # -- running ---------------------------------------------------------

    def kernel_ready(self) -> bool:
        from playwright.sync_api import Error as PlaywrightError

        try:
            return bool(self.page.evaluate(KERNEL_READY, len(self.code)))
        except PlaywrightError:  # still navigating
            return False

    def run_all(self) -> None:
        """Run > Run All Cells, as a learner does (the menu, not an API)."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        self.started = True

    def start(self, timeout: float) -> None:
        """Wait for the kernel, then Run All (clicking earlier opens the
        kernel-selection dialog instead of running)."""
        if not self.started:
            self.page.wait_for_function(KERNEL_READY, arg=len(self.code), timeout=timeout, polling=200)
            self.run_all()

    def wait_executed(self) -> list[dict]:
        """Wait until no cell is queued or running and the kernel is idle
        (in slices, running ``meanwhile`` in between)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = self.opened_at + max(RUN_ALL_TIMEOUT / 1000, time.monotonic() - self.opened_at + 10)
        while True:
            try:
                self.page.wait_for_function(RUN_SETTLED, arg=len(self.code), timeout=2000, polling=200)
                return self.page.evaluate(CELLS)
            except PlaywrightTimeout:
                if time.monotonic() > deadline:
                    self.assert_clean("while running")
                    raise AssertionError(f"Run All did not finish within {RUN_ALL_TIMEOUT / 1000:.0f} s of opening the page") from None
                self.meanwhile()

    # -- checks ----------------------------------------------------------

    def assert_clean(self, when: str) -> None:
        """No error output, no widget error or text fallback, no page or
        console error."""
        failures = list(self.problems)
        for number, cell in enumerate(self.page.evaluate(CELLS), start=1):
            where = f"code cell {number} ({when})"
            for text in cell["stderr"]:
                failures.append(f"{where} wrote to stderr / raised:\n{_short(text)}")
            if "Traceback (most recent call last)" in cell["text"] and not cell["stderr"]:
                failures.append(f"{where} shows a traceback:\n{_short(cell['text'])}")
            if "Error displaying widget" in cell["text"]:
                failures.append(f"{where}: {_short(cell['text'], 300)}")
            for text in cell["plain"]:
                if WIDGET_REPR.search(text):
                    failures.append(f"{where} shows a widget as text (widgets extension missing?): {_short(text, 300)}")
        assert not failures, "\n\n".join(failures)

    def assert_executed(self, cells: list[dict]) -> None:
        assert len(cells) == len(self.code), f"{len(cells)} code cells on the page, {len(self.code)} in the file"
        counts = []
        for number, (cell, source) in enumerate(zip(cells, self.code), start=1):
            if not source.strip():
                continue  # Lab does not execute empty cells
            if number - 1 in self.solutions:  # folded: no prompt, but its output
                assert cell["folded"], f"code cell {number}, a solution, is not folded:\n{_short(source, 300)}"
                assert cell["text"].strip().startswith("Correct"), (
                    f"code cell {number}, a solution, does not show 'Correct': {_short(cell['text'], 300)!r}"
                )
                continue
            assert not cell["folded"], f"code cell {number} is folded but not tagged solution"
            match = re.fullmatch(r"\[(\d+)\]:", cell["prompt"])
            assert match, f"code cell {number} was not executed (prompt {cell['prompt']!r}):\n{_short(source, 300)}"
            counts.append(int(match.group(1)))
        assert counts == sorted(counts) and len(set(counts)) == len(counts), f"execution counts out of order: {counts}"

    def wait_widgets(self) -> None:
        """Every cell calling ``interact`` shows its widget with a figure."""
        expected = [i for i, source in enumerate(self.code) if re.search(r"\binteract(_manual)?\s*\(", source)]
        script = f"""(cells) => {{
          const all = [...{PANEL}.querySelectorAll('.jp-Notebook .jp-CodeCell')];
          if (all.some(c => c.innerText.includes('Error displaying widget'))) return true;
          return cells.every(i => {{ const box = all[i].querySelector('.widget-interact');
            return box && box.querySelector(':scope > .widget-output img, :scope > .widget-output svg'); }});
        }}"""
        try:
            self.page.wait_for_function(script, arg=expected, timeout=WIDGET_TIMEOUT, polling=200)
        except Exception as error:  # report what is missing, not only the timeout
            cells = self.page.evaluate(CELLS)
            missing = [f"code cell {i + 1}: {_short(cells[i]['text'], 300)!r}" for i in expected if not any(cells[i]["interacts"])]
            raise AssertionError("interact cells without a rendered widget and figure:\n" + "\n".join(missing)) from error

    # -- controls --------------------------------------------------------

    def signature(self, index: int) -> str:
        return self.page.locator(".jp-NotebookPanel .widget-interact").nth(index).evaluate(SIGNATURE)

    def arm(self, index: int) -> None:
        """Call just before acting on interact ``index``: ``settle`` then
        waits for the kernel to have handled what comes after this point."""
        self.page.evaluate(ARM, index)

    def settle(self, index: int, what: str) -> str:
        """Wait until the kernel has handled the change and the figure of
        interact ``index`` has stopped changing; return its signature."""
        try:
            self.page.wait_for_function(SETTLED, arg=[index, QUIET_MS, uuid.uuid4().hex], timeout=MOVE_TIMEOUT, polling=100)
        except Exception as error:
            self.assert_clean(what)  # an error is the better message
            raise AssertionError(f"{what}: the kernel did not redraw within {MOVE_TIMEOUT / 1000:.0f} s") from error
        self.assert_clean(what)
        return self.signature(index)

    def exercise_interacts(self) -> int:
        """Move every slider, dropdown and checkbox of every interact; return how many."""
        boxes = self.page.locator(".jp-NotebookPanel .widget-interact")
        moved = 0
        for index in range(boxes.count()):
            box = boxes.nth(index)
            sliders = box.locator(":scope > .widget-slider .noUi-handle")
            dropdowns = box.locator(":scope > .widget-dropdown select")
            checkboxes = box.locator(":scope > .widget-checkbox input[type='checkbox']")
            assert sliders.count() + dropdowns.count() > 0, f"interact {index + 1} has neither slider nor dropdown"
            for j in range(sliders.count()):
                self.move_slider(index, sliders.nth(j))
                moved += 1
                self.meanwhile()
            for j in range(dropdowns.count()):
                self.pick_option(index, dropdowns.nth(j))
                moved += 1
                self.meanwhile()
            for j in range(checkboxes.count()):
                self.toggle(index, checkboxes.nth(j))
                moved += 1
                self.meanwhile()
        return moved

    def move_slider(self, index: int, handle: Any) -> None:
        """End (or Home), with the keyboard; if the figure stays the same (a
        setting past which nothing changes, such as more epochs than needed
        to converge), the other extreme too: one of them must change it."""
        widget = handle.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' widget-slider ')][1]")
        label = widget.locator(".widget-label").first.inner_text().strip() or "(no label)"
        value = lambda: float(handle.get_attribute("aria-valuenow"))  # noqa: E731
        start, low, high = value(), float(handle.get_attribute("aria-valuemin")), float(handle.get_attribute("aria-valuemax"))
        keys = [key for key, end in (("End", high), ("Home", low)) if start != end]
        readout = widget.locator(".widget-readout")
        shown = readout.inner_text() if readout.count() and readout.is_visible() else None
        before = self.signature(index)
        tried = []
        for key in keys:
            was = value()
            what = f"interact {index + 1}, slider {label!r} ({key}: {was:g} -> ?)"
            self.arm(index)
            handle.focus()
            self.page.keyboard.press(key)
            self.page.wait_for_function(
                "([h, v]) => parseFloat(h.getAttribute('aria-valuenow')) !== v",
                arg=[handle.element_handle(), was], timeout=10_000 * SCALE,
            )
            tried.append(f"{key} ({was:g} -> {value():g})")
            after = self.settle(index, what.replace("?", f"{value():g}"))
            if after != before:
                break
        else:
            raise AssertionError(f"interact {index + 1}, slider {label!r}: the figure did not change for {', '.join(tried)}")
        if shown is not None:  # put it back by typing its old value into its readout
            from playwright.sync_api import TimeoutError as PlaywrightTimeout

            moved_to = value()
            self.arm(index)
            readout.focus()
            self.page.keyboard.press("Control+A")
            self.page.keyboard.type(shown)
            self.page.keyboard.press("Enter")
            try:
                self.page.wait_for_function(
                    "([h, v]) => parseFloat(h.getAttribute('aria-valuenow')) !== v",
                    arg=[handle.element_handle(), moved_to], timeout=5_000 * SCALE,
                )
            except PlaywrightTimeout:
                return  # the readout's rounded text is that extreme: nothing was sent
            self.settle(index, f"interact {index + 1}, slider {label!r} put back to {shown}")

    def pick_option(self, index: int, select: Any) -> None:
        label = select.locator("xpath=ancestor::div[contains(@class, 'widget-dropdown')][1]//label").first
        label = (label.inner_text().strip() if label.count() else "") or "(no label)"
        options = select.evaluate("s => [...s.options].map(o => o.value)")
        current = select.input_value()
        assert len(options) > 1, f"interact {index + 1}, dropdown {label!r} has a single option"
        before = self.signature(index)
        for other in [o for o in options if o != current]:
            self.arm(index)
            select.select_option(value=other)
            if self.settle(index, f"interact {index + 1}, dropdown {label!r} ({current!r} -> {other!r})") != before:
                break
        else:
            raise AssertionError(f"interact {index + 1}, dropdown {label!r}: no other option changes the figure")
        self.arm(index)
        select.select_option(value=current)
        self.settle(index, f"interact {index + 1}, dropdown {label!r} put back to {current!r}")

    def toggle(self, index: int, checkbox: Any) -> None:
        """Click the checkbox: the figure must change; click it back."""
        label = checkbox.locator("xpath=ancestor::div[contains(@class, 'widget-checkbox')][1]").inner_text().strip()
        label = label or "(no label)"
        was = checkbox.is_checked()
        before = self.signature(index)
        self.arm(index)
        checkbox.click()
        what = f"interact {index + 1}, checkbox {label!r} ({was} -> {not was})"
        assert checkbox.is_checked() != was, f"{what}: the click did not change it"
        if self.settle(index, what) == before:
            raise AssertionError(f"{what}: the figure did not change")
        self.arm(index)
        checkbox.click()
        self.settle(index, f"interact {index + 1}, checkbox {label!r} put back to {was}")

    # -- the end ---------------------------------------------------------

    def screenshot(self, path: Path) -> None:
        """The whole notebook: the page is made as tall as its content."""
        try:
            height = self.page.evaluate(
                f"() => {{ const o = {PANEL}.querySelector('.jp-WindowedPanel-outer'); return o ? o.scrollHeight : 0; }}"
            )
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": int(min(max(height + 200, 600), 16000))})
            self.page.evaluate(f"() => {{ const o = {PANEL}.querySelector('.jp-WindowedPanel-outer'); if (o) o.scrollTop = 0; }}")
            self.page.screenshot(path=str(path))
        except Exception as error:  # a screenshot must not hide the real failure
            print(f"screenshot {path} failed: {error}")

    def note(self, step: str) -> None:
        self.timings.append(f"{time.monotonic() - self.opened_at:6.1f} s  {step}")

    def close(self) -> None:
        try:
            self.page.close(run_before_unload=False)
        finally:
            self.lab.delete_notebook_soon(self.name)


class Pipeline:
    """Opens the selected notebooks ``PAGES_AHEAD`` at a time, so that the
    next ones execute while one is being checked."""

    def __init__(self, lab: Lab, browser: Any, order: list[Path]) -> None:
        self.lab, self.browser, self.order = lab, browser, order
        self.pages: dict[Path, NotebookPage] = {}
        self.done: set[Path] = set()

    def take(self, notebook: Path) -> NotebookPage:
        """The page of ``notebook``; opens it, and the next ones, if needed."""
        position = self.order.index(notebook) if notebook in self.order else 0
        window = [notebook] + [p for p in self.order[position + 1:] if p not in self.done][: PAGES_AHEAD - 1]
        for path in window:
            if path not in self.pages:
                self.pages[path] = NotebookPage(self.lab, self.browser, path)
                self.pages[path].meanwhile = self.poke
        return self.pages[notebook]

    def poke(self) -> None:
        """Run All in every open page whose kernel has become ready."""
        for page in list(self.pages.values()):
            if not page.started and page.kernel_ready():
                page.run_all()

    def release(self, notebook: Path) -> None:
        self.done.add(notebook)
        page = self.pages.pop(notebook, None)
        if page is not None:
            page.close()

    def close(self) -> None:
        for notebook in list(self.pages):
            self.release(notebook)


@pytest.fixture(scope="session")
def pipeline(request: pytest.FixtureRequest, lab: Lab, browser: Any) -> Any:
    order = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("notebook"), Path):
            if callspec.params["notebook"] not in order:
                order.append(callspec.params["notebook"])
    runner = Pipeline(lab, browser, order)
    yield runner
    runner.close()


def test_notebook_in_browser(notebook: Path | None, request: pytest.FixtureRequest, screenshots: Path) -> None:
    if notebook is None:
        message = f"no notebooks found in {NOTEBOOKS}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    pipeline: Pipeline = request.getfixturevalue("pipeline")  # only now: it starts the server
    passed = False
    page = pipeline.take(notebook)
    try:
        page.start(timeout=RUN_ALL_TIMEOUT)
        pipeline.poke()
        page.note("kernel ready, Run All clicked")
        cells = page.wait_executed()
        page.note("every cell executed")
        page.assert_clean("after Run All")
        page.assert_executed(cells)
        page.wait_widgets()
        page.note("widgets shown")
        page.assert_clean("after the widgets appeared")
        moved = page.exercise_interacts()
        page.note(f"{moved} controls moved and put back")
        page.assert_clean("after moving the controls")
        passed = True
    finally:
        shot = screenshots / f"{notebook.stem}.png"
        failed = screenshots / f"{notebook.stem}.FAILED.png"
        for old in (shot, failed):
            old.unlink(missing_ok=True)
        page.screenshot(shot if passed else failed)
        page.note("screenshot taken")
        pipeline.release(notebook)
        page.note("screenshot taken, copy and session deleted")
        print(f"{notebook.name}, seconds since its page was opened:", *page.timings, sep="\n  ")


# --- one exercise, as a learner meets it ------------------------------------

EXERCISE_NOTEBOOK = "01_linear_operator.ipynb"
EXERCISE = "01.1"
# the stub's line with the `...`, and what the learner types over it: S
# transposed, a mistake the checker names
STUB_LINE = "return ..."
WRONG_LINE = "return (Init + Omega * U).T @ X"
DIAGNOSIS = "transposed"
CELL_TIMEOUT = 60_000 * SCALE  # ms, for one cell's output to show


def exercise_cells(path: Path) -> tuple[int, int, int]:
    """Indexes (among all cells) of the imports cell, the stub of ``EXERCISE``
    and its solution, read from the notebook file."""
    cells = nbformat.read(path, as_version=4).cells
    imports = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "from course_utils import exercises" in c.source)
    stub = next(i for i, c in enumerate(cells) if c.cell_type == "code" and f'exercises.check("{EXERCISE}"' in c.source
                and "solution" not in c.metadata.get("tags", []))
    solution = stub + 1
    assert "solution" in cells[solution].metadata.get("tags", []), f"{path.name}: no solution cell after the stub of {EXERCISE}"
    assert STUB_LINE in cells[stub].source, f"{path.name}: the stub of {EXERCISE} has no line {STUB_LINE!r}"
    return imports, stub, solution


def test_an_exercise_in_browser(lab: Lab, browser: Any, screenshots: Path) -> None:
    source = NOTEBOOKS / EXERCISE_NOTEBOOK
    assert source.exists(), f"{source} is missing: the exercise check runs on it"
    imports, stub, solution = exercise_cells(source)
    page = NotebookPage(lab, browser, source)  # a fresh copy, outputs cleared
    p = page.page
    passed = False
    try:
        p.wait_for_function(KERNEL_READY, arg=len(page.code), timeout=RUN_ALL_TIMEOUT, polling=200)
        cells = p.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")

        def run(index: int, expect: re.Pattern[str], what: str) -> str:
            """Shift+Enter in cell ``index`` (its editor has the focus) and
            wait for an output matching ``expect``; return the output's text."""
            p.keyboard.press("Shift+Enter")
            output = cells.nth(index).locator(".jp-OutputArea-output", has_text=expect)
            try:
                output.first.wait_for(timeout=CELL_TIMEOUT)
            except Exception as error:
                page.assert_clean(what)
                shown = cells.nth(index).locator(".jp-OutputArea").inner_text()
                raise AssertionError(f"{what}: no output matching {expect.pattern!r} (shown: {shown!r})") from error
            return output.first.inner_text()

        cells.nth(imports).locator(".cm-content").click()
        p.keyboard.press("Shift+Enter")
        prompt = cells.nth(imports).locator(".jp-InputPrompt", has_text=re.compile(r"\[\d+\]:"))
        prompt.wait_for(timeout=CELL_TIMEOUT)
        page.assert_clean("after the imports")

        folded = cells.nth(solution)
        assert folded.locator(".jp-InputPlaceholder").is_visible(), "the solution is not folded (no placeholder)"
        assert not folded.locator(".jp-InputArea-editor").is_visible(), "the solution's source shows before the click"
        folded.locator(".jp-InputPlaceholder .jp-Placeholder-content").click()
        editor = folded.locator(".jp-InputArea-editor")
        editor.wait_for(state="visible", timeout=10_000 * SCALE)
        assert "return (Init + Omega * U) @ X" in editor.inner_text(), "the unfolded solution is not the solution"
        editor.locator(".cm-content").click()
        correct = run(solution, re.compile(r"^\s*Correct"), f"the solution of {EXERCISE}")
        page.note(f"solution: {correct[:60]!r}")

        line = cells.nth(stub).locator(".cm-line", has_text=STUB_LINE)
        line.click()
        p.keyboard.press("End")
        p.keyboard.press("Shift+Home")  # back to the end of the indentation
        p.keyboard.type(WRONG_LINE)
        typed = cells.nth(stub).locator(".jp-InputArea-editor").inner_text()
        assert WRONG_LINE in typed and STUB_LINE not in typed, f"typing went wrong: {typed!r}"
        wrong = run(stub, re.compile(DIAGNOSIS), f"the stub of {EXERCISE} with a wrong answer")
        assert wrong.strip().startswith("Not quite"), f"the wrong answer's feedback: {wrong!r}"
        page.note(f"wrong answer: {wrong[:80]!r}")
        page.assert_clean("after the exercise")
        passed = True
    finally:
        name = f"{source.stem}-exercise"
        for old in (screenshots / f"{name}.png", screenshots / f"{name}.FAILED.png"):
            old.unlink(missing_ok=True)
        page.screenshot(screenshots / (f"{name}.png" if passed else f"{name}.FAILED.png"))
        page.close()
        print(f"{source.name}, exercise {EXERCISE}:", *page.timings, sep="\n  ")
