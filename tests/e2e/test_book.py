"""The built book in a real browser, page by page (``make e2e``).

Each page is loaded once, with every off-host request blocked; the tests
below then check what was recorded:

* every page: no console error or warning, no uncaught exception, no failed or blocked request,
  MathJax loaded, no raw TeX left in the text (``$$``, ``\\(``, ``\\[``, single-dollar math,
  TeX commands), no code or output line clipped on screen or in the print layout;
* every chapter: every interactive figure shows another frame when its slider moves; every
  exercise's solution is folded behind a working "Show solution" toggle (or absent, when the
  book is built with ``solutions: omit``); the download button serves the student version
  (no solution, the install cell first); launch buttons only with a real repository, and then
  opening the student branch.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import pytest

from _browser import OUT, ROOT, book_pages, chosen, chromium, is_local, serve
from mlcourse.grading.notebook import BEGIN, END, cell_source, cell_tags, exercise_id_of

pytestmark = pytest.mark.e2e

ROOT_PAGE, PAGES = book_pages()
CHAPTERS = chosen([p for p in PAGES if p.startswith("notebooks/")])
SITE_PAGES = ["index", *[p for p in PAGES if not p.startswith("notebooks/")], *CHAPTERS,
              "search", "genindex"]
INSTALL_TAG = "mlcourse-install"

_TEXT_OUTSIDE_CODE = """() => {
  const root = document.querySelector('article') || document.body;
  const copy = root.cloneNode(true);
  copy.querySelectorAll('pre, code, kbd, samp, script, style, mjx-container, mjx-assistive-mml,'
                        + ' .cell_input, .headerlink').forEach(e => e.remove());
  return copy.textContent;
}"""
RAW_TEX = [
    ("$$", re.compile(r"\$\$")),
    ("\\( or \\[", re.compile(r"\\[(\[]")),
    ("a TeX command", re.compile(r"\\[A-Za-z]{2,}")),
    ("single-dollar math", re.compile(r"(?<![\w$\\])\$[^$\s](?:[^$\n]{0,120}?[^$\s\\])?\$(?![\w$])")),
]
_CLIPPED = """() => Array.from(document.querySelectorAll('article pre'))
  .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
  .map(p => p.textContent.trim().split('\\n')
              .reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 100))"""
# Typeset, fonts loaded, every image decoded: the page has made all the requests it will make.
_SETTLED = """() => document.readyState === 'complete'
  && Array.from(document.images).every(i => i.complete)
  && document.fonts.status === 'loaded'"""
_VISIBLE_FRAME = """(root) => {
  const img = Array.from(root.querySelectorAll('img[data-mlc-frame]'))
                   .find(i => getComputedStyle(i).display !== 'none');
  return img ? img.getAttribute('data-mlc-frame') : null;
}"""


def raw_tex(text: str) -> list[str]:
    """The kinds of raw TeX in ``text``, each with an example."""
    found = []
    for name, pattern in RAW_TEX:
        match = pattern.search(text)
        if match:
            start = max(match.start() - 30, 0)
            found.append(f"{name}: ...{text[start:match.end() + 30]!r}")
    return found


def test_raw_tex_detector():
    assert raw_tex("the rate $O(1/k^2)$ of Nesterov")
    assert raw_tex("with $x$ and more")
    assert raw_tex("a \\frac{1}{2} left") and raw_tex("$$x$$") and raw_tex("see \\(x\\)")
    assert not raw_tex("it costs $5 and $6 per hour; 100 % sure")
    assert not raw_tex("plain text, no math")


@dataclass
class PageReport:
    """What one page did in the browser."""

    entry: str
    console: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    mathjax: bool = False
    raw_tex: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    clipped_print: list[str] = field(default_factory=list)
    print_chrome: list[str] = field(default_factory=list)
    figures: list[tuple[str | None, str | None]] = field(default_factory=list)
    exercises: int = 0
    toggles: list[dict[str, Any]] = field(default_factory=list)
    exercise_sources: list[str] = field(default_factory=list)
    download_href: str | None = None
    download: dict[str, Any] | None = None
    launch_links: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Site:
    """The served book in one browser; each page is visited once, on demand."""

    def __init__(self, base: str, context: Any, blocked: list[str], info: dict) -> None:
        self.base, self.context, self.blocked, self.info = base, context, blocked, info
        self.reports: dict[str, PageReport] = {}

    def report(self, entry: str) -> PageReport:
        if entry not in self.reports:
            self.reports[entry] = self.visit(entry)
        return self.reports[entry]

    def visit(self, entry: str) -> PageReport:
        html = self.info["html"]
        if not (html / f"{entry}.html").exists():
            pytest.fail(f"{entry}.html is not in the built book: run `make book`")
        report = PageReport(entry)
        page = self.context.new_page()
        blocked_before = len(self.blocked)
        page.on("console", lambda m: report.console.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: report.console.append(f"uncaught: {exc}"))
        page.on("requestfailed", lambda r: report.failed_requests.append(f"{r.url} ({r.failure})")
                if is_local(r.url) else None)
        page.on("response", lambda r: report.failed_requests.append(f"{r.url} (HTTP {r.status})")
                if r.status >= 400 else None)
        start = time.perf_counter()
        page.goto(f"{self.base}/{entry}.html", wait_until="load")
        if entry == "index":  # the start page forwards to the first page of the book
            page.wait_for_url(f"**/{ROOT_PAGE}.html")
            page.wait_for_load_state("load")
        report.mathjax = bool(page.evaluate(
            "() => !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"))
        if report.mathjax:
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        page.wait_for_function(_SETTLED, polling=250)
        if entry not in ("search", "genindex", "index"):
            report.raw_tex = raw_tex(page.evaluate(_TEXT_OUTSIDE_CODE))
        if entry.startswith("notebooks/"):
            self.chapter_checks(page, report)
        report.clipped = page.evaluate(_CLIPPED)
        page.emulate_media(media="print")
        report.clipped_print = page.evaluate(_CLIPPED)
        report.print_chrome = page.evaluate("""() => ['.bd-sidebar-primary', '.bd-header',
            '.bd-sidebar-secondary', '.prev-next-area']
            .filter(s => Array.from(document.querySelectorAll(s)).some(e => e.offsetParent !== null))""")
        if entry == (CHAPTERS[0] if CHAPTERS else None):
            page.pdf(path=str(OUT / f"print-{entry.split('/')[-1]}.pdf"), print_background=False)
        page.emulate_media(media="screen")
        page.wait_for_timeout(100)
        report.seconds = time.perf_counter() - start
        report.failed_requests += [f"{u} (blocked: not on 127.0.0.1)" for u in self.blocked[blocked_before:]]
        page.close()
        return report

    def chapter_checks(self, page: Any, report: PageReport) -> None:
        name = report.entry.split("/")[-1]
        page.screenshot(path=str(OUT / f"book-{name}.png"))
        for index in range(page.locator(".mlcourse-interactive").count()):
            figure = page.locator(".mlcourse-interactive").nth(index)
            figure.scroll_into_view_if_needed()
            before = figure.evaluate(_VISIBLE_FRAME)
            slider = figure.locator("input[type=range]").first
            if slider.count():
                slider.focus()
                page.keyboard.press("End")
                if figure.evaluate(_VISIBLE_FRAME) == before:
                    page.keyboard.press("Home")
            elif figure.locator("select").count():
                select = figure.locator("select").first
                select.select_option(index=select.locator("option").count() - 1)
                if figure.evaluate(_VISIBLE_FRAME) == before:
                    select.select_option(index=0)
            page.wait_for_timeout(50)
            report.figures.append((before, figure.evaluate(_VISIBLE_FRAME)))
            if index == 0:
                figure.screenshot(path=str(OUT / f"book-{name}-figure.png"))
        exercises = page.locator(".cell.tag_exercise")
        report.exercises = exercises.count()
        for index in range(report.exercises):
            cell = exercises.nth(index)
            toggle = cell.locator("details").first
            if not toggle.count():
                report.toggles.append({"present": False})
                report.exercise_sources.append(cell.inner_text())
                continue
            toggle.scroll_into_view_if_needed()
            state = {"present": True, "closed": not toggle.evaluate("d => d.open"),
                     "hidden": not toggle.locator(".cell_input").is_visible(),
                     "label": toggle.locator("summary").inner_text()}
            toggle.locator("summary").click()
            page.wait_for_timeout(50)
            state["opened"] = toggle.evaluate("d => d.open")
            state["shown"] = toggle.locator(".cell_input").is_visible()
            report.toggles.append(state)
            report.exercise_sources.append(toggle.locator(".cell_input").inner_text())
        link = page.locator("a.btn-download-source-button")
        if link.count():
            report.download_href = link.first.get_attribute("href")
            response = self.context.request.get(urljoin(page.url, report.download_href))
            report.download = json.loads(response.text()) if response.ok else {"status": response.status}
        report.launch_links = page.evaluate("""() => Array.from(document.querySelectorAll('a'))
            .map(a => a.href).filter(h => /mybinder|binder\\/v2|colab\\.research|hub\\/user-redirect/.test(h))""")


@pytest.fixture(scope="module")
def site(built_book):
    blocked: list[str] = []
    with serve(built_book["html"]) as base, chromium(blocked) as context:
        yield Site(base, context, blocked, built_book)


def test_the_book_has_chapters():
    assert CHAPTERS, "no chapter notebook exists: nothing to test"


@pytest.mark.parametrize("entry", SITE_PAGES)
def test_no_console_error_or_warning(site, entry):
    report = site.report(entry)
    assert not report.console, f"{entry}: {report.console[:5]}"


@pytest.mark.parametrize("entry", SITE_PAGES)
def test_no_failed_or_blocked_request(site, entry):
    report = site.report(entry)
    assert not report.failed_requests, f"{entry}: {report.failed_requests[:5]}"


@pytest.mark.parametrize("entry", SITE_PAGES)
def test_mathjax_on_every_page_and_no_raw_tex(site, entry):
    report = site.report(entry)
    assert report.mathjax or entry == "index", f"{entry}: MathJax is not loaded"
    assert not report.raw_tex, f"{entry}: raw TeX left in the text: {report.raw_tex}"


@pytest.mark.parametrize("entry", SITE_PAGES)
def test_no_line_clipped_on_screen_or_in_print(site, entry):
    report = site.report(entry)
    assert not report.clipped, f"{entry}: clipped on screen: {report.clipped[:3]}"
    assert not report.clipped_print, f"{entry}: clipped in print: {report.clipped_print[:3]}"
    assert not report.print_chrome, f"{entry}: printed with {report.print_chrome}"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_interactive_figures_change_with_their_slider(site, entry):
    report = site.report(entry)
    stuck = [i for i, (before, after) in enumerate(report.figures)
             if before is None or after is None or before == after]
    assert not stuck, (f"{entry}: figures {stuck} of {len(report.figures)} show the same frame "
                       f"after their slider moved: {[report.figures[i] for i in stuck]}")


@pytest.mark.parametrize("entry", CHAPTERS)
def test_solutions_follow_the_configuration(site, built_book, entry):
    report = site.report(entry)
    notebook = json.loads((ROOT / f"{entry}.ipynb").read_text(encoding="utf-8"))
    expected = sum(exercise_id_of(c) is not None for c in notebook["cells"])
    assert report.exercises == expected, f"{entry}: {report.exercises} exercise cells shown, {expected} in the notebook"
    if built_book["solutions"] == "collapse":
        bad = [(i, t) for i, t in enumerate(report.toggles)
               if not (t["present"] and t["closed"] and t["hidden"] and t["opened"] and t["shown"]
                       and "solution" in t["label"].lower())]
        assert not bad, f"{entry}: solution toggles not folded, not labelled or not opening: {bad}"
    else:
        leaked = [i for i, source in enumerate(report.exercise_sources)
                  if "NotImplementedError" not in source]
        assert not leaked, f"{entry}: exercises {leaked} show code that is not the student stub"


def _solution_lines(source: str) -> set[str]:
    inside, lines, outside = False, set(), set()
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            inside = True
        elif stripped.startswith(END):
            inside = False
        elif stripped:
            (lines if inside else outside).add(stripped)
    return lines - outside


@pytest.mark.parametrize("entry", CHAPTERS)
def test_download_is_the_student_version(site, entry):
    report = site.report(entry)
    assert report.download_href and report.download_href.endswith(".ipynb"), f"{entry}: no .ipynb download"
    download = report.download
    assert download and "cells" in download, f"{entry}: the download is not a notebook: {download}"
    instructor = json.loads((ROOT / f"{entry}.ipynb").read_text(encoding="utf-8"))
    solutions = {exercise_id_of(c): _solution_lines(cell_source(c)) for c in instructor["cells"]
                 if exercise_id_of(c)}
    cells = download["cells"]
    text = json.dumps(download)
    assert BEGIN not in text and END not in text, f"{entry}: the download has solution markers"
    assert not any("instructor" in cell_tags(c) for c in cells), f"{entry}: instructor cells"
    shown = {exercise_id_of(c): cell_source(c) for c in cells if exercise_id_of(c)}
    assert set(shown) == set(solutions), f"{entry}: exercises {sorted(solutions)} vs {sorted(shown)}"
    for ex_id, source in shown.items():
        assert "NotImplementedError" in source, f"{entry}: {ex_id} is not a stub"
        leaked = [line for line in solutions[ex_id] if line in source.splitlines()
                  or line in {s.strip() for s in source.splitlines()}]
        assert not leaked, f"{entry}: {ex_id} carries solution lines {leaked[:3]}"
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert INSTALL_TAG in cell_tags(first_code), f"{entry}: the first code cell does not install mlcourse"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_launch_buttons_only_with_a_real_repository(site, built_book, entry):
    report = site.report(entry)
    if not built_book.get("repository_url"):
        assert not report.launch_links, f"{entry}: launch buttons without a repository: {report.launch_links}"
        return
    branch = built_book["student_branch"]
    assert report.launch_links, f"{entry}: no launch button although repository.url is set"
    wrong = [h for h in report.launch_links if f"/{branch}" not in h]
    assert not wrong, f"{entry}: launch buttons that do not open the student branch {branch!r}: {wrong}"


def test_start_page_has_a_title(built_book):
    text = (built_book["html"] / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>\s*(\S.*?)\s*</title>", text, re.DOTALL)
    assert title, "index.html has no title"


def test_one_search_box(site):
    page = site.context.new_page()
    page.goto(f"{site.base}/{PAGES[-1]}.html", wait_until="load")
    visible = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.search-button-field, .search-button, form.bd-search, input[type=search]'))
        .filter(e => e.offsetParent !== null).map(e => e.className)""")
    page.close()
    assert len(visible) == 1, f"search boxes shown: {visible}"


@pytest.mark.parametrize("query", ["variance", "softmax"])
def test_search_snippets_have_no_raw_tex(site, query):
    page = site.context.new_page()
    page.goto(f"{site.base}/search.html?q={query}", wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('ul.search li p.context').length > 0")
    page.wait_for_timeout(1000)  # snippets are filled in one result at a time
    snippets = page.locator("ul.search li p.context").all_inner_texts()
    page.close()
    tex = [found for text in snippets for found in raw_tex(text)]
    assert not tex, f"raw TeX in search snippets for {query!r}: {tex[:3]}"
