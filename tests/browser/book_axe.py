"""axe-core on every page of the built book, in light and in dark mode.

Used by tests/browser/test_book.py (``test_axe_finds_no_violation``) and, to
measure, from the command line on a book already built::

    make axe book && .venv/bin/python tests/browser/book_axe.py [_build/book]

which serves the folder on 127.0.0.1, opens every ``*.html`` page of it in
headless Chromium with every request to another host aborted, once with the
theme in light mode and once in dark mode (pydata-sphinx-theme reads
``localStorage`` ``mode``/``theme``; an init script sets them), waits for
MathJax and the slider players, injects ``_build/axe/axe.min.js`` (axe-core,
fetched by ``make axe``) and runs it with the WCAG 2.0 and 2.1 A and AA rules;
on a page with players, once more on the players after every slider is moved
to its end (a subset player then shows its "no figure" note).
It prints every violation (rule, impact, page, mode, targets) and the counts.
"""

from __future__ import annotations

import collections
import functools
import http.server
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "_build" / "axe" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MODES = ("light", "dark")
PAGE_TIMEOUT = 30_000  # ms
VIEWPORT = {"width": 1280, "height": 900}

# the theme's colour mode, set before any of the page's scripts runs
MODE_SCRIPT = "(mode) => { try { localStorage.setItem('mode', mode); localStorage.setItem('theme', mode); } catch (e) {} }"

# the page settled: MathJax done (when the page has math), the players ready
SETTLED = """async () => {
  if (document.querySelector('.math')) {
    const deadline = Date.now() + 20000;
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline)
      await new Promise(r => setTimeout(r, 50));
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  const players = [...document.querySelectorAll('.course-player')];
  const deadline = Date.now() + 10000;
  while (players.some(p => p.dataset.ready !== 'true') && Date.now() < deadline)
    await new Promise(r => setTimeout(r, 50));
  for (const img of document.images) if (!img.complete) await img.decode().catch(() => null);
  return {mode: document.documentElement.dataset.mode, theme: document.documentElement.dataset.theme,
          players: players.length, visible: players.filter(p => p.checkVisibility()).length};
}"""

# every player's range inputs moved to their last position (a subset player
# then shows its "no figure" note), waiting for each to show what it shows
MOVE_PLAYERS = """async () => {
  const players = [...document.querySelectorAll('.course-player')];
  await Promise.all(players.map(async (p) => {
    for (const input of p.querySelectorAll('input[type=range]')) {
      if (+input.value === +input.max) continue;
      const before = p.dataset.shown;
      input.value = input.max;
      input.dispatchEvent(new Event('input', {bubbles: true}));
      const deadline = Date.now() + 10000;
      while (p.dataset.shown === before && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
    }
  }));
  return {players: players.length, missing: players.filter(p => !p.querySelector('.course-player-missing').hidden).length};
}"""

RUN = """async ([tags, include]) => {
  const result = await axe.run(include ? {include: [include]} : document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)}))}));
}"""


def pages(book: Path) -> list[str]:
    """Every page of the site: the ``*.html`` files at its top (index, the notebooks, search, genindex...)."""
    return sorted(p.stem for p in Path(book).glob("*.html"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE.is_file():
        raise FileNotFoundError(f"{AXE} is missing; `make axe` fetches axe-core with npm")
    return AXE.read_text(encoding="utf-8")


def audit(browser: Any, base: str, names: list[str], modes: tuple[str, ...] = MODES) -> Iterator[dict[str, Any]]:
    """Run axe on every page ``name`` of the site at ``base`` in each mode;
    yields one record per page and mode: {page, mode, violations, settled, problems}."""
    host = urllib.parse.urlsplit(base).netloc
    for mode in modes:
        context = browser.new_context(viewport=VIEWPORT)
        problems: list[str] = []

        def route(r: Any, problems: list[str] = problems) -> None:
            parts = urllib.parse.urlsplit(r.request.url)
            if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != host:
                problems.append(f"request outside the site: {r.request.url}")
                r.abort()
            else:
                r.continue_()

        context.route("**/*", route)
        context.add_init_script(f"({MODE_SCRIPT})({mode!r})")
        try:
            page = context.new_page()
            page.set_default_timeout(PAGE_TIMEOUT)
            for name in names:
                problems.clear()
                page.goto(f"{base}/{name}.html", wait_until="load")
                settled = page.evaluate(SETTLED)
                page.add_script_tag(content=axe_source())
                violations = page.evaluate(RUN, [TAGS, None])
                yield {"page": name, "mode": mode, "violations": violations, "settled": settled,
                       "problems": list(problems)}
                if settled["players"]:  # the players again, every slider moved to its end
                    moved = page.evaluate(MOVE_PLAYERS)
                    violations = page.evaluate(RUN, [TAGS, ".course-player"])
                    yield {"page": f"{name} (players moved)", "mode": mode, "violations": violations,
                           "settled": {**settled, **moved}, "problems": list(problems)}
        finally:
            context.close()


def report(records: list[dict[str, Any]]) -> tuple[list[str], dict[str, int]]:
    """The lines describing every violation and the counts: per rule (page and
    mode where it fails) and in total, rules and elements."""
    lines = []
    counts: dict[str, int] = collections.Counter()
    for record in records:
        for v in record["violations"]:
            counts[f"rule {v['id']} ({v['impact']})"] += 1
            counts["violations (rule x page x mode)"] += 1
            counts["elements"] += len(v["nodes"])
            targets = "; ".join(n["target"] for n in v["nodes"][:6]) + (" ..." if len(v["nodes"]) > 6 else "")
            lines.append(f"{record['page']}.html [{record['mode']}] {v['id']} ({v['impact']}, "
                         f"{len(v['nodes'])} elements): {targets} -- {v['nodes'][0]['summary'][:200]}")
    return lines, dict(counts)


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import CHROMIUM, CHROMIUM_ARGS

    book = Path(argv[0] if argv else ROOT / "_build" / "book").resolve()
    handler = functools.partial(_Quiet, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    names = pages(book)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            records = list(audit(browser, base, names))
            browser.close()
    finally:
        server.shutdown()
    lines, counts = report(records)
    print("\n".join(lines))
    print(f"axe-core {axe_source()[8:15].strip()} on {len(names)} pages x {len(MODES)} modes, tags {', '.join(TAGS)}:")
    for mode in MODES:
        n = sum(len(r["violations"]) for r in records if r["mode"] == mode and "(" not in r["page"])
        moved = sum(len(r["violations"]) for r in records if r["mode"] == mode and "(" in r["page"])
        e = sum(len(v["nodes"]) for r in records if r["mode"] == mode and "(" not in r["page"] for v in r["violations"])
        print(f"  {mode}: {n} violations (rule x page), {e} elements; {moved} more on the moved players")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    return 1 if counts else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
