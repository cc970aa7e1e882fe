"""pytest configuration: deterministic hypothesis runs (the same examples on every machine), and
what the browser tests share: headless Debian Chromium (skipped where it is missing) and the checks
they run on a page (no broken image, no raw TeX, every animation moves)."""
from __future__ import annotations

import os

# One BLAS thread per process, set before numpy is imported here and inherited by every notebook
# kernel nbval starts: the two xdist workers already fill the two cores, and on an oversubscribed
# machine OpenBLAS's threads make the package's many tiny LAPACK calls 10-20x slower (measured:
# exact.natural_gradient on the 11-state gridworld, 14.6 ms with default threads vs 1.4 ms with one).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import shutil
import socket
import time
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # tests draw without a display

# The order in which the two xdist workers take files (pyproject.toml: --dist loadfile
# --no-loadscope-reorder): the longest first, so that neither worker is left alone with a long file at
# the end while the other idles. The browser tests (each 15-40 s of serial work in Chromium), then
# the notebooks (up to ~10 s each), then the unit-test files that take 2-5 s of CPU (measured), then
# the rest, small files that fill the gaps at the end. Order within a file is kept (nbval runs a
# notebook's cells in order). A file missing from this list only loses its place in the queue.
LONGEST_FIRST = ["tests/test_book.py", "tests/test_browser_lab.py", "tests/test_browser_checks.py",
                 "notebooks/", "tests/test_autodiff.py", "tests/test_scenes.py", "tests/test_learn.py",
                 "tests/test_widgets.py", "tests/test_cartpole.py", "tests/test_estimators.py",
                 "tests/test_exact.py"]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        try:
            path = item.path.relative_to(config.rootpath).as_posix()
        except ValueError:  # a file outside the repository
            path = ""
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)),
                    len(LONGEST_FIRST))
    items.sort(key=rank)  # a stable sort: files and cells keep their order within each rank


settings.register_profile("pgbook", derandomize=True, deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pgbook")

CHROMIUM = os.environ.get("PGBOOK_CHROMIUM", "/usr/bin/chromium")
# Chromium as root in a container, with no network but the loopback: without the background
# networking flags it keeps trying to reach Google's hosts (machine notes).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Debian's, driven by playwright) that reaches only the loopback address:
    every other host goes through a proxy that refuses all connections (see offline_page). The test
    is skipped without Chromium."""
    missing = pytest.fail if os.environ.get("PGBOOK_REQUIRE_CHROMIUM") else pytest.skip  # .ci/run sets it
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        missing(f"no Chromium at {CHROMIUM}: install Debian's chromium and chromium-driver "
                "(apt-get install -y chromium chromium-driver, as .ci/run does) or set "
                "PGBOOK_CHROMIUM to a Chromium binary")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -r requirements.txt")
    # A port that is bound but never listens: connecting to it is refused at once, so a proxy there
    # blocks every host but 127.0.0.1 (the bypass). Blocking this way, rather than with playwright's
    # request routing, keeps Chromium's HTTP and compiled-code caches on (routing turns them off, so
    # every page would fetch and compile its scripts again) and costs no round trip per request.
    with socket.socket() as refuse, sync_playwright() as p:
        refuse.bind(("127.0.0.1", 0))
        proxy = {"server": f"http://127.0.0.1:{refuse.getsockname()[1]}", "bypass": "127.0.0.1"}
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                                    proxy=proxy)
        yield browser
        browser.close()


def offline_page(browser, origin: str, viewport=(1280, 900)):
    """A new page of the `chromium` fixture, which may load only from `origin` (and data: / blob:).

    Returns (page, log): log["other_hosts"] lists requests to anywhere else (blocked: they fail),
    log["failed"] requests that failed, log["http_errors"] responses with status >= 400.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    log = {"other_hosts": [], "failed": [], "http_errors": []}
    page = context.new_page()
    mine = (origin.rstrip("/") + "/", "data:", "blob:")
    page.on("request", lambda r: r.url.startswith(mine) or log["other_hosts"].append(r.url))
    page.on("requestfailed", lambda r: log["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and log["http_errors"].append(f"{r.url} ({r.status})"))
    return page, log


# What a reader sees, read from the DOM. Code (pre, code, editors) and typeset math are skipped;
# text is joined per block (paragraph, list item, cell, ...) so TeX split by inline markup is seen.
_STATIC_CHECKS = r"""
(scope) => {
  const root = scope ? document.querySelector(scope) : document.body;
  if (!root) return {missing: true};
  const where = el => {
    const cell = el.closest('.jp-Cell, section, .jp-Notebook');
    const label = cell ? (cell.querySelector('h1, h2, h3')?.textContent || cell.className) : '';
    return `${el.tagName.toLowerCase()} in "${label.slice(0, 60)}": ${el.outerHTML.slice(0, 100)}`;
  };
  const images = [...root.querySelectorAll('img')];
  const loading = images.filter(img => !img.complete).length;
  const broken = images.filter(img => img.complete && img.naturalWidth === 0).map(where);
  const players = [...root.querySelectorAll('div.animation')].map(where);  // matplotlib's to_jshtml
  const SKIP = 'script, style, pre, code, textarea, mjx-container, .MathJax, .cm-editor, .jp-InputArea-editor, .CodeMirror';
  const BLOCK = 'p, li, td, th, h1, h2, h3, h4, h5, h6, dd, dt, summary, blockquote, div';
  const text = new Map();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(SKIP)) continue;
    const block = el.closest(BLOCK) || root;
    text.set(block, (text.get(block) || '') + node.nodeValue);
  }
  const TEX = /\$\$|\\\(|\\\[|\\begin\{|\$[^$\s][^$]*?\\[A-Za-z]+[^$]*?\$/;
  const rawTex = [];
  for (const [block, value] of text) {
    const m = value.match(TEX);
    if (m) rawTex.push(`${where(block)} ... ${value.slice(Math.max(0, m.index - 30), m.index + 50)}`);
  }
  // a widget's text/plain where it did not render: "VBox(children=(HBox(children=(IntSlider(..."
  const rawWidgets = [...root.querySelectorAll('pre, .jp-RenderedText')]
    .filter(el => !el.closest('.cm-editor, .jp-InputArea-editor') && /\b[HV]Box\(children=/.test(el.textContent))
    .map(where);
  return {images: images.length, loading, broken, players, rawTex, rawWidgets};
}
"""

# Animated PNGs among the loaded images: the acTL chunk says how many frames and how many times they
# play (0: forever); the browser's own decoder (ImageDecoder) must see as many frames, and some frame
# must differ from the first.
_ANIMATIONS = r"""
async (scope) => {
  const root = scope ? document.querySelector(scope) : document.body;
  const images = [...root.querySelectorAll('img')];
  const animationControl = bytes => {  // [frames, plays] of the acTL chunk; [0, 0] for a still image
    if (bytes.length < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return [0, 0];
    const view = new DataView(bytes.buffer);
    for (let at = 8; at + 8 <= bytes.length; at += 12 + view.getUint32(at)) {
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      if (type === 'acTL') return [view.getUint32(at + 8), view.getUint32(at + 12)];
      if (type === 'IDAT') return [0, 0];
    }
    return [0, 0];
  };
  const out = [];
  for (let k = 0; k < images.length; k++) {
    const img = images[k];
    if (!img.naturalWidth) continue;
    const bytes = new Uint8Array(await (await fetch(img.currentSrc || img.src)).arrayBuffer());
    const [declared, plays] = animationControl(bytes);
    if (declared < 2) continue;
    const decoder = new ImageDecoder({data: bytes, type: 'image/png'});
    await decoder.tracks.ready;
    const frames = decoder.tracks.selectedTrack.frameCount;
    const pixels = async i => {
      const {image} = await decoder.decode({frameIndex: i});
      const canvas = new OffscreenCanvas(image.displayWidth, image.displayHeight);
      const g = canvas.getContext('2d');
      g.drawImage(image, 0, 0);
      image.close();
      return g.getImageData(0, 0, canvas.width, canvas.height).data;
    };
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    const first = await pixels(0);
    let moves = false;
    for (let i = 1; i < frames && !moves; i++) moves = !same(first, await pixels(i));
    out.push({index: k, declared, frames, moves, plays, src: (img.currentSrc || img.src).slice(0, 60)});
    decoder.close();
  }
  return out;
}
"""


def page_state(page, scope: str | None = None) -> dict:
    """Images (count, still loading, broken), JavaScript animation players and raw TeX on the page."""
    return page.evaluate(_STATIC_CHECKS, scope)


def settled_state(page, scope: str | None = None, timeout: float = 15.0) -> dict:
    """page_state once images are loaded and math typeset (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        state = page_state(page, scope)
        if state.get("missing") is None and not state["loading"] and not state["rawTex"]:
            return state
        if time.monotonic() > deadline:
            return state
        page.wait_for_timeout(150)


def animations(page, scope: str | None = None) -> list[dict]:
    """Every animated PNG among the page's images: its index among them, frames declared and decoded,
    whether they differ ("moves") and how many times they play ("plays", 0 for a loop)."""
    return page.evaluate(_ANIMATIONS, scope)


def plays_on_screen(page, scope: str | None, index: int, timeout: float = 2.0) -> bool:
    """Whether image number `index` in `scope` changes between two screenshots (it plays)."""
    img = page.locator(f"{scope or 'body'} img").nth(index)
    # in a reveal.js deck, first go to the slide that holds the image
    img.evaluate("""img => { if (window.Reveal && img.closest('section')) {
        Reveal.configure({transition: 'none'});
        const at = Reveal.getIndices(img.closest('section')); Reveal.slide(at.h, at.v); } }""")
    img.scroll_into_view_if_needed()
    first = img.screenshot(animations="allow")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.wait_for_timeout(120)
        if img.screenshot(animations="allow") != first:
            return True
    return False


def rendering_problems(page, scope: str | None, name: str, timeout: float = 15.0,
                       on_screen: bool = True) -> tuple[list[str], bool]:
    """What is wrong with what a reader sees in `scope` once it has settled, one line each: broken
    images, raw TeX, JavaScript animation players, raw widget reprs, animations whose frames do not
    change or that stop.
    With `on_screen`, also whether the first animation changes between two screenshots.

    Returns (problems, whether an animation was checked on screen). Every animation's frames are
    checked on every page; seeing one move on screen takes two screenshots (0.3-0.5 s of CPU) and
    tells whether this kind of page (the book's, a reveal.js deck, JupyterLab) shows animated PNGs
    moving, so callers ask for it once per kind of page rather than on every page.
    """
    state = settled_state(page, scope, timeout)
    problems = [f"{name}: broken image {b}" for b in state["broken"]]
    problems += [f"{name}: raw TeX {t}" for t in state["rawTex"]]
    problems += [f"{name}: JavaScript animation player (store an APNG as image/png) {p}"
                 for p in state["players"]]
    problems += [f"{name}: raw widget repr (label the box, pgbook._boxes) {w}" for w in state["rawWidgets"]]
    movies = animations(page, scope)
    problems += [f"{name}: animation {m['src']} does not move: {m}" for m in movies
                 if not (m["frames"] == m["declared"] and m["moves"])]
    problems += [f"{name}: animation {m['src']} plays {m['plays']} time(s), then stops (make it loop)"
                 for m in movies if m["plays"]]
    checked = on_screen and bool(movies)
    if checked and not plays_on_screen(page, scope, movies[0]["index"]):
        problems.append(f"{name}: the first animation looks the same in two screenshots")
    return problems, checked


def request_problems(log: dict) -> list[str]:
    """The requests of an offline_page that went to another host or failed."""
    return ([f"request to another host: {u}" for u in log["other_hosts"]]
            + [f"failed request: {u}" for u in log["failed"]]
            + [f"HTTP error: {u}" for u in log["http_errors"]])


@pytest.fixture
def browser_checks():
    """The page checks above, for the browser tests (tests/test_book.py, tests/test_browser_lab.py).
    The pages a test opens with `offline_page` are closed after it: a page left open would go on
    playing its animations (and JupyterLab polling its server) until the session ends."""
    opened = []

    def open_page(browser, origin: str, viewport=(1280, 900)):
        page, log = offline_page(browser, origin, viewport)
        opened.append(page.context)
        return page, log

    class Checks:
        offline_page = staticmethod(open_page)
        settled_state = staticmethod(settled_state)
        animations = staticmethod(animations)
        plays_on_screen = staticmethod(plays_on_screen)
        rendering_problems = staticmethod(rendering_problems)
        request_problems = staticmethod(request_problems)
    yield Checks
    for context in opened:
        context.close()
