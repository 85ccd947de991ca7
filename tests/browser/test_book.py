"""The book (``make book``) read in headless Chromium, with the network off.

``make book`` runs once for the module (it must succeed with warnings as
errors and leave ``git status`` as it was); ``_build/book/`` is then served
on 127.0.0.1 by ``http.server`` in a thread. Every page (the course map,
one page per notebook, search, index) is opened in a browser context where
every request to another host is aborted, and each must show:

- its math typeset by MathJax (every ``.math`` element holds an
  ``mjx-container``) and no raw TeX (``$$``, ``\\begin{``, ``$...$``) in the
  visible text outside code;
- every image loaded (``naturalWidth > 0``), as many figures as the
  notebook stores (a slider's own output excluded);
- in place of each slider's widget, a player (book/_ext/course_player.py):
  one per ``interact`` cell, its controls labelled with the widgets'
  descriptions in the widgets' order, its figure loaded with a text
  alternative, a polite live status line; and no widget's text fallback in
  any output;
- each exercise's solution folded ("Show solution"), as many as the
  notebooks' cells tagged ``solution``;
- no console error, no uncaught exception, no request to another host;
- every link, script, stylesheet and image of the site it refers to
  answering 200, and every ``#fragment`` of it existing on its page.

Also: previous/next follow the course order, the front page is the course
map of ``00_start_here``, a search for "saddle" lists notebook 03's page, and
a solution opens on click. A full-page screenshot of each page goes to
``screenshots/book/``.

The sliders, offline: on every page, every control of every player is moved
with the keyboard (an arrow key for a range or a select, Space for a
checkbox) and the figure must change to the new setting's frame (loaded,
its text alternative naming the new value, the status line saying so), then
moved back to the start's frame. A setting outside a player's subset shows
the note in the figure's place, not the old figure, and the reset button
brings the start back. A page opened from ``file://`` moves its slider too.

Accessibility (WCAG 2.1 AA): axe-core (``make axe`` fetches it with npm into
``_build/axe``; the build fixture runs ``make axe book``) is injected into
every ``*.html`` page of the site, in the theme's light and dark modes, and
run with the wcag2a, wcag2aa, wcag21a and wcag21aa rules, the slider players
included (in view, then with every slider moved to its end): any violation
fails, listed with its rule, impact and elements (``book_axe.py``, which
also measures from the command line). Every image of every page, a player's
frames included, has a text alternative that describes it (the figure's
description, not a file name or a hash), and every formula has MathJax's
assistive MathML.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from book_axe import MODES, TAGS, audit, pages, report

ROOT = Path(__file__).resolve().parents[2]
# the suite's other folder of notebooks, if set (tests/browser/conftest.py)
NOTEBOOKS = Path(os.environ.get("COURSE_E2E_NOTEBOOKS", ROOT / "notebooks")).resolve()
BOOK = ROOT / "_build" / "book"
SCREENSHOTS = ROOT / "screenshots" / "book"
START_HERE = "00_start_here"
BUILD_TIMEOUT = 600  # s; `make book` may first fetch MathJax with npm
PAGE_TIMEOUT = 30_000  # ms
VIEWPORT = {"width": 1280, "height": 900}
SLIDER_CALL = re.compile(r"\binteract\(")
WIDGET_REPR = re.compile(r"\b(interactive|VBox|HBox|IntSlider|FloatSlider|FloatLogSlider|Dropdown)\(children=|\binteractive\(")


def chapters() -> list[Path]:
    """The notebooks that become chapter pages, in course order."""
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith(".") and p.stem != START_HERE)


def page_names() -> list[str]:
    return ["index", *(p.stem for p in chapters()), "search", "genindex"]


def stored_figures(notebook: Path) -> int:
    """Images the notebook stores, outside its slider cells."""
    nb = nbformat.read(notebook, as_version=4)
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code" and not SLIDER_CALL.search(cell.source)
        for output in cell.outputs
        if any(mime.startswith("image/") for mime in output.get("data", {}))
    )


def tagged(notebook: Path, tag: str) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(1 for cell in nb.cells if tag in cell.metadata.get("tags", []))


def slider_cells(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" and SLIDER_CALL.search(cell.source))


def untracked() -> set[str]:
    """The files ``git status`` lists as untracked (not ignored). The build
    writes no tracked file (``notebooks/`` is checked by tests/conftest.py)."""
    lines = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {line[3:] for line in lines if line.startswith("??")}


# --- the site -------------------------------------------------------------


@pytest.fixture(scope="module")
def book() -> Path:
    before = untracked()
    start = time.monotonic()
    result = subprocess.run(["make", "axe", "book", f"BOOK_NOTEBOOKS={NOTEBOOKS}"], cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    seconds = time.monotonic() - start
    output = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, f"make book failed ({result.returncode}):\n{output}"
    print(f"make book: {seconds:.1f} s")
    new = sorted(untracked() - before)
    assert not new, f"make book left files that git status shows: {new}"
    return BOOK


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(book: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Reader:
    """One page in a browser context of its own, offline but for the site."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.host = urllib.parse.urlsplit(base).netloc
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))
        self.page.on("console", self._console)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != self.host:
            self.problems.append(f"request outside the site: {url}")
            route.abort()
        else:
            route.continue_()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def open(self, name: str) -> Any:
        self.page.goto(f"{self.base}/{name}.html", wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def reader(browser: Any, site: str) -> Iterator[Reader]:
    opened = Reader(browser, site)
    yield opened
    opened.close()


# --- JavaScript run in the page -------------------------------------------

MATH_DONE = """async () => {
  const math = document.querySelectorAll('.math');
  if (!math.length) return {math: 0};
  const deadline = Date.now() + 20000;
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return {math: math.length, loaded: false};
  await MathJax.startup.promise;
  const untypeset = [...math].filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80));
  return {math: math.length, loaded: true, containers: document.querySelectorAll('mjx-container').length, untypeset};
}"""

# the visible text outside code blocks and outside MathJax's own markup
PROSE = """() => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, mjx-container, script, style, .cell_input').forEach(e => e.remove());
  return copy.textContent;
}"""

IMAGES = """() => [...document.images].map(i => ({src: i.getAttribute('src'), complete: i.complete,
  width: i.naturalWidth, inOutput: !!i.closest('.cell_output') && !i.closest('.course-player')}))"""

REFERENCES = """() => {
  const refs = [];
  for (const e of document.querySelectorAll('a[href]')) refs.push(e.href);
  for (const e of document.querySelectorAll('link[href]')) refs.push(e.href);
  for (const e of document.querySelectorAll('script[src], img[src]')) refs.push(e.src);
  return refs;
}"""


# --- helpers --------------------------------------------------------------


ELEMENT_ID = re.compile(r"""\sid=["']([^"']+)["']""")


@functools.lru_cache(maxsize=None)
def fetch(url: str) -> tuple[int, frozenset[str]]:
    """The status of ``url`` and, for a page, the ids of its elements."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, frozenset()
    if urllib.parse.urlsplit(url).path.endswith(".html"):
        return status, frozenset(html.unescape(m) for m in ELEMENT_ID.findall(body.decode("utf-8", "replace")))
    return status, frozenset()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    except Exception as error:  # a screenshot must not hide the real failure
        print(f"screenshot of {name} failed: {error}")


def check_links(reader: Reader, page: Any) -> list[str]:
    """Every reference to the site answers 200 and its #fragment exists."""
    problems = []
    for ref in sorted(set(page.evaluate(REFERENCES))):
        parts = urllib.parse.urlsplit(ref)
        if parts.scheme not in {"http", "https"} or parts.netloc != reader.host:
            continue  # links to papers and the like stay external; mailto: etc.
        status, ids = fetch(urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")))
        if status != 200:
            problems.append(f"{ref} answers {status}")
        elif parts.fragment and parts.path.endswith(".html") and urllib.parse.unquote(parts.fragment) not in ids:
            problems.append(f"{ref}: no element with id {parts.fragment!r}")
    return problems


def explorer_of(source: str) -> Any:
    """The explorer an interact( cell moves, by its name in the source."""
    from course_utils.lessons import explorers

    name = re.search(r"\binteract\(\s*(?:\w+\.)*(\w+)", source).group(1)
    return explorers()[name]


def slider_explorers(notebook: Path) -> list[Any]:
    nb = nbformat.read(notebook, as_version=4)
    return [explorer_of(c.source) for c in nb.cells if c.cell_type == "code" and SLIDER_CALL.search(c.source)]


PLAYERS = """() => [...document.querySelectorAll('.course-player')].map(p => ({
  labels: [...p.querySelectorAll('[data-control]')].map(e => {
    const l = p.querySelector(`label[for="${e.id}"]`); return l ? l.textContent : null; }),
  kinds: [...p.querySelectorAll('[data-control]')].map(e => e.tagName.toLowerCase() + ':' + (e.type || '')),
  alt: (p.querySelector('img.course-player-frame') || {}).alt || '',
  live: (p.querySelector('.course-player-status') || {getAttribute: () => null}).getAttribute('aria-live'),
  ready: p.dataset.ready === 'true'}))"""


def check_players(page: Any, notebook: Path) -> list[str]:
    """One player per interact cell, each control labelled like the notebook's widget, in its order."""
    problems = []
    players = page.evaluate(PLAYERS)
    explorers = slider_explorers(notebook)
    if len(players) != len(explorers):
        return [f"{len(players)} players in the page for {len(explorers)} interact cells"]
    for player, explorer in zip(players, explorers):
        descriptions = [str(w.description) for w in explorer.controls().values()]
        if player["labels"] != descriptions:
            problems.append(f"{explorer.name}: the controls read {player['labels']}, the notebook's widgets {descriptions}")
        if not player["alt"] or not player["ready"] or player["live"] != "polite":
            problems.append(f"{explorer.name}: player without its alt text, its script or its live status: {player}")
    return problems


# --- the tests ------------------------------------------------------------


@pytest.mark.parametrize("name", page_names())
def test_page(reader: Reader, name: str) -> None:
    page = reader.open(name)
    problems: list[str] = []
    try:
        math = page.evaluate(MATH_DONE)
        if math["math"]:
            if not math["loaded"]:
                problems.append(f"MathJax did not load for {math['math']} formulas")
            elif math["untypeset"]:
                problems.append(f"{len(math['untypeset'])} formulas not typeset, e.g. {math['untypeset'][:3]}")
        prose = page.evaluate(PROSE)
        for raw in ("$$", "\\begin{", "\\(", "\\["):
            if raw in prose:
                at = prose.index(raw)
                problems.append(f"raw TeX {raw!r} in the text: ...{prose[max(0, at - 60):at + 60]!r}...")
        inline = re.search(r"\$[^$\n]{1,80}\$", prose)
        if inline:
            problems.append(f"raw $...$ math in the text: {inline.group(0)!r}")
        outputs = "\n".join(page.locator(".cell_output").all_text_contents())
        if WIDGET_REPR.search(outputs):
            problems.append(f"a widget's text fallback in an output: {WIDGET_REPR.search(outputs).group(0)!r}")

        images = page.evaluate(IMAGES)
        broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
        if broken:
            problems.append(f"images not loaded: {broken}")
        notebook = NOTEBOOKS / f"{name}.ipynb"
        if notebook.exists():
            figures = sum(1 for i in images if i["inOutput"])
            if figures != stored_figures(notebook):
                problems.append(f"{figures} figures in the page, {stored_figures(notebook)} stored in {notebook.name}")
            problems += check_players(page, notebook)
            solutions = page.locator("details.hide", has_text="Show solution").count()
            if solutions != tagged(notebook, "solution"):
                problems.append(f"{solutions} folded solutions for {tagged(notebook, 'solution')} cells tagged solution")
            if page.locator(".jupyter-widgets, script[type='application/vnd.jupyter.widget-state+json']").count():
                problems.append("widget markup left in the page")

        problems += check_links(reader, page)
    finally:
        screenshot(page, name)
    problems += reader.problems
    assert not problems, f"{name}.html:\n  " + "\n  ".join(problems)


def test_pages_follow_the_course_order(reader: Reader) -> None:
    order = ["index", *(p.stem for p in chapters())]
    assert len(order) > 1, "no notebooks found"
    for at, name in enumerate(order):
        page = reader.open(name)
        prev = page.locator("a.left-prev")
        nxt = page.locator("a.right-next")
        if at > 0:
            assert prev.get_attribute("href") == f"{order[at - 1]}.html", f"{name}: previous page"
        else:
            assert prev.count() == 0, f"{name}: a previous page before the first"
        if at + 1 < len(order):
            assert nxt.get_attribute("href") == f"{order[at + 1]}.html", f"{name}: next page"
        else:
            assert nxt.count() == 0, f"{name}: a next page after the last"
        if at > 0:
            assert page.locator("nav.page-toc a").count(), f"{name}: no in-page table of contents"
    sidebar = page.locator("nav.bd-docs-nav a.reference.internal")
    hrefs = sidebar.evaluate_all("(es) => es.map(e => e.getAttribute('href'))")
    assert [h.split("#")[0] or f"{order[-1]}.html" for h in hrefs] == [
        f"{n}.html" for n in order
    ], "the sidebar lists the pages in another order"
    assert not reader.problems, reader.problems


def test_front_page_is_the_course_map(reader: Reader) -> None:
    start = NOTEBOOKS / f"{START_HERE}.ipynb"
    assert start.exists(), f"{start.name} is missing: the front page must be its course map"
    nb = nbformat.read(start, as_version=4)
    title = next(
        line[2:].strip() for cell in nb.cells if cell.cell_type == "markdown"
        for line in cell.source.splitlines() if line.startswith("# ")
    )
    page = reader.open("index")
    assert page.locator("main h1").first.inner_text().strip().rstrip("#").strip() == title
    for notebook in chapters():  # the map links every notebook
        assert page.locator(f"main a[href^='{notebook.stem}.html']").count(), f"the course map has no link to {notebook.name}"
    assert not reader.problems, reader.problems


def test_search_finds_the_saddle(reader: Reader) -> None:
    page = reader.open("search")
    page.goto(f"{reader.base}/search.html?q=saddle", wait_until="load")
    hit = page.locator("#search-results a[href^='03_depth_and_the_saddle.html']")
    hit.first.wait_for(state="attached")
    screenshot(page, "search-saddle")
    assert not reader.problems, reader.problems


def test_solution_opens_on_click(reader: Reader) -> None:
    pages = [p.stem for p in chapters() if tagged(p, "solution")]
    assert pages, "no cell tagged solution in any notebook: the book has no solution to fold (exercises, issue 11)"
    page = reader.open(pages[0])
    block = page.locator("details.hide", has_text="Show solution").first
    content = block.locator(".cell_input")
    assert block.evaluate("(e) => e.open") is False
    assert not content.is_visible(), "the solution is visible before the click"
    block.locator("summary").click()
    assert block.evaluate("(e) => e.open") is True
    assert content.is_visible(), "the solution stays hidden after the click"
    assert block.locator(".cell_output").inner_text().strip().startswith("Correct"), "the solution's output is not Correct"
    screenshot(page, f"{pages[0]}-solution-open")
    assert not reader.problems, reader.problems


# --- the sliders ----------------------------------------------------------

SHOWN = "([player, before]) => player.dataset.shown !== before"
FRAME = """(p) => { const i = p.querySelector('img.course-player-frame'), m = p.querySelector('.course-player-missing');
  return {src: i.getAttribute('src'), alt: i.alt, hidden: i.hidden, loaded: i.complete && i.naturalWidth > 0,
          missing: !m.hidden, status: p.querySelector('.course-player-status').textContent}; }"""


def keys_for(control: Any) -> tuple[str, str]:
    """The key that moves ``control`` one position from where it is, and the one that moves it back."""
    kind, value, last = control.evaluate(
        "(e) => [e.type, e.type === 'checkbox' ? 0 : (e.tagName === 'SELECT' ? e.selectedIndex : +e.value),"
        " e.tagName === 'SELECT' ? e.options.length - 1 : +e.max]"
    )
    if kind == "checkbox":
        return "Space", "Space"
    forward, back = ("ArrowDown", "ArrowUp") if kind.startswith("select") else ("ArrowRight", "ArrowLeft")
    return (forward, back) if value < last else (back, forward)


def move(page: Any, player: Any, control: Any, key: str) -> dict:
    """Press ``key`` on ``control`` and wait for the player to show another frame (or its note)."""
    before = player.get_attribute("data-shown")
    control.press(key)
    page.wait_for_function(SHOWN, arg=[player.element_handle(), before], timeout=10_000)
    return player.evaluate(FRAME)


def sliders_page_names() -> list[str]:
    return [p.stem for p in chapters() if slider_cells(p)]


@pytest.mark.parametrize("name", sliders_page_names())
def test_every_control_moves_its_figure(reader: Reader, name: str) -> None:
    page = reader.open(name)
    problems = []
    players = page.locator(".course-player")
    for p in range(players.count()):
        player = players.nth(p)
        explorer = player.get_attribute("data-explorer")
        start = player.evaluate(FRAME)
        controls = player.locator("[data-control]")
        for c in range(controls.count()):
            control = controls.nth(c)
            forward, back = keys_for(control)
            label = control.evaluate("(e) => document.querySelector(`label[for='${e.id}']`).textContent")
            moved = move(page, player, control, forward)
            readout = control.evaluate(
                "(e) => e.type === 'checkbox' ? (e.checked ? 'on' : 'off') : e.tagName === 'SELECT' ?"
                " e.options[e.selectedIndex].text : e.getAttribute('aria-valuetext')")
            if moved["missing"] or moved["hidden"] or not moved["loaded"] or moved["src"] == start["src"]:
                problems.append(f"{explorer}: {label} ({forward}) did not show a new figure: {moved}")
            elif f"{label} {readout}" not in moved["alt"] or f"{label} {readout}" not in moved["status"]:
                problems.append(f"{explorer}: after {label} -> {readout} the figure reads {moved['alt']!r}")
            back_at = move(page, player, control, back)
            if back_at["src"] != start["src"] or back_at["alt"] != start["alt"]:
                problems.append(f"{explorer}: {label} moved back ({back}) does not show the start again: {back_at}")
    screenshot(page, f"{name}-player")
    problems += reader.problems
    assert not problems, f"{name}.html:\n  " + "\n  ".join(problems)


def test_a_setting_outside_the_subset_says_so(reader: Reader) -> None:
    subset = [(n, c) for n in sliders_page_names() for c in [reader.open(n).locator(".course-player-scope").count()] if c]
    if not subset:
        pytest.skip("every player of the book holds every combination of its controls")
    name = subset[0][0]
    page = reader.open(name)
    player = page.locator(".course-player").filter(has=page.locator(".course-player-scope")).first
    start = player.evaluate(FRAME)
    ranges = player.locator("input[type=range]")
    assert ranges.count() >= 2, "a subset player with fewer than two sliders"
    state = {}
    for c in range(2):  # two sliders off their start: outside the star around the defaults
        forward, _ = keys_for(ranges.nth(c))
        state = move(page, player, ranges.nth(c), forward)
    assert state["missing"] and state["hidden"], f"{name}: two controls moved off their start still show a figure: {state}"
    assert "No figure" in state["status"]
    screenshot(page, f"{name}-outside-the-subset")
    before = player.get_attribute("data-shown")
    player.locator(".course-player-reset").click()
    page.wait_for_function(SHOWN, arg=[player.element_handle(), before], timeout=10_000)
    again = player.evaluate(FRAME)
    assert again["src"] == start["src"] and not again["missing"] and again["loaded"], again
    assert not reader.problems, reader.problems


def test_a_slider_moves_from_file_url(book: Path, browser: Any) -> None:
    name = sliders_page_names()[0]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((book / f"{name}.html").as_uri(), wait_until="load")
        player = page.locator(".course-player").first
        control = player.locator("[data-control]").first
        start = player.evaluate(FRAME)
        moved = move(page, player, control, keys_for(control)[0])
        assert moved["loaded"] and moved["src"] != start["src"], moved
        assert not errors, errors
    finally:
        context.close()


# --- accessibility --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_axe_finds_no_violation(book: Path, site: str, browser: Any, mode: str) -> None:
    names = pages(book)
    assert {"index", "search", "genindex", *(p.stem for p in chapters())} <= set(names), names
    records = list(audit(browser, site, names, (mode,)))
    problems = [f"{r['page']}.html: {p}" for r in records for p in r["problems"]]
    problems += [f"{r['page']}.html: the page is in {r['settled']['mode']!r} mode, not {mode!r}"
                 for r in records if r["settled"]["mode"] != mode]
    moved = [r for r in records if r["page"].endswith("(players moved)")]
    if sliders_page_names():
        assert any(r["settled"]["visible"] for r in records), "no slider player visible on any page"
        assert moved and any(r["settled"]["missing"] for r in moved), "no player showed its note outside its subset"
    lines, counts = report(records)
    assert not (lines or problems), (
        f"axe-core ({', '.join(TAGS)}) in {mode} mode: {counts}\n  " + "\n  ".join(lines + problems))


# a text alternative made of a file name or a hash: what Sphinx writes when an image has none
FILE_NAME = re.compile(r"(\.(png|jpe?g|gif|svg|webp)\b)|\b[0-9a-f]{16,}\b|^_images/|^_frames/", re.I)
MIN_ALT = 20  # characters: a description, not a word

TEXT_ALTERNATIVES = """async () => {
  const images = [...document.images].map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt'),
    player: !!i.closest('.course-player'), caption: (() => {
      const next = i.nextElementSibling;  // the description output right after the image's
      const p = next && (next.matches('.course-figure-description') ? next : next.querySelector('.course-figure-description'));
      return p ? p.textContent : null; })()}));
  const players = [...document.querySelectorAll('.course-player')].map(p => {
    const data = JSON.parse(p.querySelector('script.course-player-data').textContent);
    return {explorer: p.dataset.explorer, frames: Object.keys(data.frames), alts: data.alts || {}};
  });
  const math = [...document.querySelectorAll('.math')].map(e => ({tex: e.textContent.slice(0, 60),
    mml: !!e.querySelector('mjx-container mjx-assistive-mml math')}));
  return {images, players, math, mathjax: [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s))};
}"""


def bad_alt(alt: str | None) -> str | None:
    if alt is None or len(alt.strip()) < MIN_ALT:
        return f"no description ({alt!r})"
    if FILE_NAME.search(alt):
        return f"a file name or a hash ({alt[:80]!r})"
    return None


def test_every_figure_and_formula_has_a_text_alternative(reader: Reader, book: Path) -> None:
    problems = []
    for name in pages(book):
        page = reader.open(name)
        page.evaluate(MATH_DONE)
        found = page.evaluate(TEXT_ALTERNATIVES)
        for image in found["images"]:
            why = bad_alt(image["alt"])
            if why:
                problems.append(f"{name}.html: the image {image['src']} has {why}")
            elif not image["player"] and " ".join(image["alt"].split()) not in " ".join((image["caption"] or "").split()):
                problems.append(f"{name}.html: the image {image['src']} is not followed by its description "
                                f"in the page ({image['caption']!r})")
        for player in found["players"]:
            for setting in player["frames"]:
                why = bad_alt(player["alts"].get(setting))
                if why or "Settings: " not in player["alts"][setting]:
                    problems.append(f"{name}.html: {player['explorer']}'s frame at {setting} has "
                                    f"{why or 'only its settings, not the figure description'}")
        missing = [m["tex"] for m in found["math"] if not m["mml"]]
        if missing:
            problems.append(f"{name}.html: {len(missing)} of {len(found['math'])} formulas without assistive "
                            f"MathML, e.g. {missing[:3]}")
        if found["math"] and not all(src.startswith(reader.base) for src in found["mathjax"]):
            problems.append(f"{name}.html: MathJax not served by the site: {found['mathjax']}")
    problems += reader.problems
    assert not problems, "\n  ".join(problems[:40])
