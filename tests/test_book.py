"""The book: built once, by the README's own command, from a copy of the repository's notebooks;
its link structure; and (with Chromium) every page and deck reachable from index.html, served on
the loopback with every other host blocked."""
from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))  # book/build.py and book/slides.py, imported by the tests
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
RESOURCE_TAGS = {"script": "src", "img": "src", "link": "href", "iframe": "src", "source": "src",
                 "video": "src", "audio": "src", "embed": "src"}


def readme_block(marker: str) -> str:
    """The fenced block between <!-- marker --> and <!-- /marker --> in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker} -->\s*```[a-z]*\n(.*?)```\s*<!-- /{marker} -->", text, re.S)
    assert m, f"README.md has no fenced block between <!-- {marker} --> markers"
    return m.group(1).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """_build/html made by the README's book command, run verbatim in a copy of book/ and notebooks/."""
    work = tmp_path_factory.mktemp("clone")
    for name in ("book", "notebooks"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("node_modules"))
    for name in ("README.md", "LICENSE", "LICENSE-CODE", "LICENSE-CONTENT"):
        shutil.copy(ROOT / name, work / name)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if shutil.which("npm") is None:  # the first build fetches MathJax and reveal.js with npm
        missing = pytest.fail if os.environ.get("PGBOOK_REQUIRE_CHROMIUM") else pytest.skip
        missing("the book needs Node.js and npm once (apt-get install nodejs npm, as .ci/run does)")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_block("book-command")],
                          cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"the book command failed:\n{done.stdout}\n{done.stderr}"
    assert "MathJax:" not in done.stderr, f"TeX that MathJax cannot typeset:\n{done.stderr}"
    return work / "_build" / "html"


class Links(HTMLParser):
    """Every href/src of a page: anchors apart from the resources a browser loads by itself."""

    def __init__(self):
        super().__init__()
        self.anchors, self.resources, self.rel = [], [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.anchors.append(attrs["href"])
            if attrs.get("rel"):
                self.rel.setdefault(attrs["rel"], []).append(attrs["href"])
        if tag in RESOURCE_TAGS and attrs.get(RESOURCE_TAGS[tag]):
            self.resources.append(attrs[RESOURCE_TAGS[tag]])


TYPESET = re.compile(r"<mjx-container\b.*?</mjx-container>", re.S)  # MathJax's output: no links in it


@functools.lru_cache(maxsize=None)  # each page is parsed once, for all the tests below
def links(page: Path) -> Links:
    parser = Links()  # typeset math is half of a page's bytes: parse only the formulas that hold a link
    parser.feed(TYPESET.sub(lambda m: m[0] if "<a " in m[0] else "", page.read_text(encoding="utf-8")))
    return parser


def local_target(site: Path, page: Path, url: str) -> Path | None:
    """The file a relative link of `page` points at, or None for data:, #fragments and other hosts."""
    if url.startswith(("data:", "#", "mailto:")) or urlparse(url).scheme or url.startswith("//"):
        return None
    return (page.parent / urldefrag(url).url).resolve()


def test_every_notebook_has_a_page_and_a_deck_listed_in_order(site):
    index = links(site / "index.html").anchors
    pages = [href for href in index if href.endswith(".html") and "/" not in href]
    decks = [href for href in index if href.startswith("slides/")]
    assert pages == [f"{nb.stem}.html" for nb in NOTEBOOKS]
    assert decks == [f"slides/{nb.stem}.slides.html" for nb in NOTEBOOKS]
    for href in pages + decks:
        assert (site / href).is_file(), href


def test_previous_and_next_links_follow_the_series(site):
    stems = [nb.stem for nb in NOTEBOOKS]
    for i, stem in enumerate(stems):
        found = links(site / f"{stem}.html")
        prev, nxt = found.rel.get("prev", []), found.rel.get("next", [])
        assert prev == ([f"{stems[i - 1]}.html"] * 2 if i > 0 else []), stem  # top and bottom bars
        assert nxt == ([f"{stems[i + 1]}.html"] * 2 if i + 1 < len(stems) else []), stem
        assert f"slides/{stem}.slides.html" in found.anchors
        assert f"../{stem}.html" in links(site / "slides" / f"{stem}.slides.html").anchors


def test_every_local_link_resolves_and_nothing_loads_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 1 + 2 * len(NOTEBOOKS)
    for page in pages:
        found = links(page)
        for url in found.resources:
            target = local_target(site, page, url)
            assert target is not None or url.startswith("data:"), f"{page.name} loads {url}"
            assert target is None or target.is_file(), f"{page.name}: {url} is missing"
        for url in found.anchors:
            target = local_target(site, page, url)
            assert target is None or target.is_file(), f"{page.name}: link {url} is broken"


def test_live_widgets_become_a_note_and_the_static_figure_stays(site):
    widget = "application/vnd.jupyter.widget-view+json"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        n_widgets = sum(widget in out.get("data", {}) for cell in nb.cells
                        for out in cell.get("outputs", []))
        html = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        assert html.count('class="pgbook-live"') == n_widgets, path.name
        for repr_start in ("interactive(children=", "VBox(children=", "HBox(children="):
            assert repr_start not in html, f"{path.name} shows a raw widget repr"


def test_every_page_says_its_license_and_the_site_holds_the_license_texts(site):
    """The landing page and every notebook's page end with the license footer (what is under CC BY 4.0,
    what under MIT, the parts made by others and their licenses); each deck says it in a corner.
    That its links resolve is checked with every other link, below."""
    for name in ("LICENSE", "LICENSE-CODE", "LICENSE-CONTENT"):
        assert (site / "_static" / f"{name}.txt").read_bytes() == (ROOT / name).read_bytes(), name
    for page in [site / "index.html"] + [site / f"{nb.stem}.html" for nb in NOTEBOOKS]:
        text = page.read_text(encoding="utf-8")
        footer = re.search(r'<footer class="pgbook-footer">(.*?)</footer>', text, re.S)
        assert footer, f"{page.name} has no license footer"
        words = " ".join(footer.group(1).split())
        for needed in ("the pgbook authors", 'href="https://creativecommons.org/licenses/by/4.0/"', "CC BY 4.0",
                       "_static/LICENSE-CODE.txt\">MIT License", "MathJax", "Apache-2.0", "reveal.js", "(MIT)",
                       "SIL Open Font License 1.1", "BSD-3-Clause"):
            assert needed in words, f"{page.name}: the footer lacks {needed!r}"
    for nb in NOTEBOOKS:
        deck = (site / "slides" / f"{nb.stem}.slides.html").read_text(encoding="utf-8")
        link = re.search(r'<a ([^>]*)>CC BY 4.0 \(text, figures\), MIT \(code\)</a>', deck)
        assert link and 'href="../_static/LICENSE.txt"' in link[1] and 'rel="license"' in link[1], nb.name


def test_slide_breaks_follow_the_notebook_metadata_or_the_rules(site):
    import slides

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        kinds = ([c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
                 if slides.has_slides(nb) else slides.slide_types(nb))
        deck = (site / "slides" / f"{path.stem}.slides.html").read_text(encoding="utf-8")
        # nbconvert nests a <section> per slide and one per sub-slide inside it
        assert deck.count("<section") == 2 * kinds.count("slide") + kinds.count("subslide"), path.name


def test_the_math_style_sheet_draws_every_character_of_every_page(site):
    """The math is typeset page after page into one style sheet (book/typeset.mjs), which must hold
    the rule (glyph, font, size) of each character of each page, the last page's as the first's."""
    css = (site / "_static" / "mathjax" / "chtml.css").read_text(encoding="utf-8")
    assert css.count("@font-face") > 10 and 'url("woff-v2/MathJax_Zero.woff")' in css
    assert (site / "_static" / "mathjax" / "woff-v2" / "MathJax_Zero.woff").is_file()
    characters = {}
    for page in sorted(site.rglob("*_*.html")):
        classes = set(re.findall(r'<mjx-c class="([^"]+)">', page.read_text(encoding="utf-8")))
        assert classes, f"{page.name} has no typeset math"
        for c in classes:
            characters.setdefault(f"mjx-c.{c.replace(' ', '.')}::before", page.name)
    missing = {rule: page for rule, page in characters.items() if rule not in css}
    assert not missing, f"rules missing from the math style sheet: {missing}"


@pytest.fixture(scope="module")
def served(site):
    """The site on an ephemeral loopback port, as `python -m http.server` would serve it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


# The math is typeset when the book is built: a page runs no MathJax, and its math is there and
# drawn in MathJax's fonts. The first formula of a markdown cell is brought on screen (in a deck, its
# slide is shown) so that the browser must draw it: then its fonts load, or fail to.
_MATH_ON_SCREEN = r"""
async () => {
  const problems = [];
  const scripts = [...document.scripts].filter(s => /mathjax/i.test(s.src + s.textContent));
  if (scripts.length) problems.push(`runs MathJax in the browser: ${scripts[0].outerHTML.slice(0, 80)}`);
  const math = document.querySelector('.jp-MarkdownCell mjx-container');
  if (!math) return problems.concat(['no typeset math in a markdown cell (mjx-container)']);
  if (window.Reveal) {
    Reveal.configure({transition: 'none'});
    const at = Reveal.getIndices(math.closest('section'));
    Reveal.slide(at.h, at.v);
  }
  math.scrollIntoView();
  await new Promise(requestAnimationFrame);
  await document.fonts.ready;
  const box = math.getBoundingClientRect();
  if (!(box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight))
    problems.push(`the first formula is not on screen: ${JSON.stringify(box)}`);
  const faces = [...document.fonts].filter(f => f.family.startsWith('MJX'));
  if (!faces.some(f => f.status === 'loaded')) problems.push('no MathJax font loaded');
  problems.push(...faces.filter(f => f.status === 'error').map(f => `font ${f.family} failed`));
  return problems;
}
"""


# A deck on a 1280 x 720 projector: reveal.js lays a slide out at width x height px and scales it to
# the screen, so what fits the slide fits any screen. Every image and code block of the deck is
# checked by its style (laying out the hidden slides would cost seconds), and those of the slide on
# screen as laid out: no image larger than the slide, no line of code cut off on the right.
_DECK_FITS = r"""
() => {
  const {width, height} = Reveal.getConfig();
  const problems = [];
  const limit = (value, natural) => Math.min(natural, value.endsWith('px') ? parseFloat(value) : Infinity);
  for (const img of document.querySelectorAll('.reveal .slides img')) {
    const style = getComputedStyle(img), name = img.src.split('/').pop();
    if (limit(style.maxHeight, img.naturalHeight) > height)
      problems.push(`image ${name} may be ${img.naturalHeight} px tall on a ${height} px slide`);
    const inSlide = style.maxWidth.endsWith('%') && parseFloat(style.maxWidth) <= 100;  // of a box in the slide
    if (!inSlide && limit(style.maxWidth, img.naturalWidth) > width)
      problems.push(`image ${name} may be ${img.naturalWidth} px wide on a ${width} px slide`);
  }
  for (const pre of document.querySelectorAll('.reveal .slides pre')) {
    const style = getComputedStyle(pre);
    const wraps = ['pre-wrap', 'break-spaces'].includes(style.whiteSpace)
                  && ['anywhere', 'break-word'].includes(style.overflowWrap);  // long words break too
    if (!wraps)
      problems.push(`code does not wrap (white-space ${style.whiteSpace}, overflow-wrap ${style.overflowWrap}): ` +
                    pre.textContent.trim().slice(0, 50));
  }
  const shown = Reveal.getCurrentSlide();
  for (const img of shown.querySelectorAll('img'))
    if (img.offsetWidth > width || img.offsetHeight > height)
      problems.push(`image ${img.src.split('/').pop()} is ${img.offsetWidth} x ${img.offsetHeight} px on screen`);
  for (const pre of shown.querySelectorAll('pre'))
    if (pre.scrollWidth > pre.clientWidth + 1)
      problems.push(`code clipped on the right (${pre.scrollWidth} > ${pre.clientWidth} px): ` +
                    pre.textContent.trim().slice(0, 50));
  return problems;
}
"""


def test_every_page_and_deck_renders_offline_in_chromium(served, chromium, browser_checks):
    page, log = browser_checks.offline_page(chromium, served.rstrip("/"))
    queue, seen, problems = [served + "index.html"], set(), []
    moving = set()  # the kinds of page (page, deck) on which an animation was seen moving on screen
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page.goto(url, wait_until="load")
        name = url.removeprefix(served)
        kind = "deck" if name.startswith("slides/") else "page"
        found, shown = browser_checks.rendering_problems(page, None, name, timeout=5,
                                                         on_screen=kind not in moving)
        problems += found
        if name != "index.html":
            problems += [f"{name}: {p}" for p in page.evaluate(_MATH_ON_SCREEN)]
        if kind == "deck":
            problems += [f"{name}: {p}" for p in page.evaluate(_DECK_FITS)]
        if shown:
            moving.add(kind)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            href = urldefrag(href).url
            if href.startswith(served) and href.endswith(".html"):
                queue.append(href)
    problems += browser_checks.request_problems(log)
    assert len(seen) == 1 + 2 * len(NOTEBOOKS), sorted(seen)
    assert moving == {"page", "deck"}, "no animation was seen moving on a page and on a deck"
    assert not problems, "\n".join(problems)


def test_the_builder_rewrites_notebook_links_hides_widgets_and_shares_image_files(tmp_path):
    import build
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    page = '<a href="03_checking_gradients.ipynb#Four-routes">03</a> <a href="data.ipynb">x</a>'
    assert build.link_notebooks(page, "../") == \
        '<a href="../03_checking_gradients.html#Four-routes">03</a> <a href="data.ipynb">x</a>'

    widget = new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {},
                                              "text/plain": "interactive(children=(...))"})
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    nb = new_notebook(cells=[new_markdown_cell("# 01 · A title"), new_code_cell("w", outputs=[widget]),
                             new_code_cell("f", outputs=[figure])], metadata={"widgets": {"state": {}}})
    shown = build.for_static_view(nb)
    assert "widgets" not in shown.metadata and "widgets" in nb.metadata  # a copy
    assert shown.cells[1].outputs[0].data == {"text/html": build.LIVE_NOTE}
    names = build.save_images(shown, tmp_path / "img")
    assert names == {(2, 0): "cell2-0.png"}
    assert (tmp_path / "img" / "cell2-0.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
    deck = build.point_at_images(shown, names, "../_images/01_a/")
    assert deck.cells[2].outputs[0].metadata["filenames"] == {"image/png": "../_images/01_a/cell2-0.png"}
    assert "filenames" not in shown.cells[2].outputs[0].get("metadata", {})

    nbformat.write(nb, tmp_path / "01_a.ipynb")
    (chapter,) = build.chapters(tmp_path)
    assert (chapter.stem, chapter.title, chapter.page) == ("01_a", "01 · A title", "01_a.html")
    with pytest.raises(SystemExit, match="no notebooks named NN_name.ipynb"):
        build.chapters(tmp_path / "img")


def test_code_highlighted_apart_gives_the_page_and_deck_nbconvert_would():
    """The builder highlights code once, outside nbconvert's last HTML pass (book/build.py CodeCells):
    the same document as nbconvert's own export, however the code is written."""
    import build
    from bs4 import BeautifulSoup
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    sources = ['x = "<a href=\\"02_b.ipynb\\">" & 1  # it\'s <b>bold</b>', "", "%%time\nx = 1", "x = 1\n"]
    nb = new_notebook(cells=[new_markdown_cell("# 01 · A title\n\n![plot](p.png)")]
                      + [new_code_cell(src) for src in sources + sources[:1]],
                      metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    series = [build.Chapter("01_a", "01 · A title", "", nb)]

    def document(html: str) -> str:
        return str(BeautifulSoup(html, "html.parser"))

    code = build.CodeCells()
    code.use_lexer_of(nb)
    for plain, placeholders, up in zip(build.exporters(), build.exporters(code), ["", "../"]):
        resources = {"pgbook": {"static": up + "_static", "nav": build.nav(series, 0, up)}}
        expected, _ = plain.from_notebook_node(nb, resources=resources)
        body, _ = placeholders.from_notebook_node(nb, resources=resources)
        assert code.tag in body and code.tag not in code.fill(body)
        assert document(code.fill(body)) == document(expected)
    assert len(code.html) == len(sources)  # each distinct cell highlighted once, for page and deck


def test_the_readmes_deck_command_makes_a_deck_that_loads_only_the_local_files():
    """The README's `jupyter nbconvert --to slides` command, its options taken from the README and
    run in-process on a small notebook: the deck loads reveal.js and MathJax from the folders it names
    and nothing from another host (nbconvert's own reveal template loads require.js, jQuery and
    MathJax 2 from a CDN), carries its styles inline, and sets MathJax up as nbconvert does."""
    from nbconvert import SlidesExporter
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from traitlets.config import Config

    command = readme_block("deck-command")
    assert "jupyter nbconvert --to slides" in command and "--template pgbook_slides" in command
    config = Config()
    for owner, name, value in re.findall(r"--(\w+)\.(\w+)=(\S+)", command):
        config[owner][name] = [str(ROOT / value)] if name == "extra_template_basedirs" else value
    assert config.SlidesExporter.reveal_url_prefix == "reveal.js"
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    nb = new_notebook(cells=[new_markdown_cell("# A deck\n\n$\\nabla J(\\theta)$"),
                             new_code_cell("x = " + "1 + " * 40 + "1", outputs=[figure])])
    deck, _ = SlidesExporter(config=config, template_name="pgbook_slides").from_notebook_node(nb)
    found = Links()
    found.feed(deck)
    local = [url for url in found.resources if url.startswith("data:") or local_target(ROOT, ROOT / "d.html", url)]
    assert local == found.resources, found.resources
    assert {"reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js", "reveal.js/dist/reveal.css",
            "reveal.js/dist/theme/white.css", config.SlidesExporter.mathjax_url} <= set(found.resources)
    assert "window.MathJax" in deck and "white-space: pre-wrap" in deck  # deck.css, inline


def test_the_builder_replaces_only_a_folder_it_made(tmp_path):
    import build

    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("keep me")
    with pytest.raises(SystemExit, match="refusing to replace"):
        build.build(precious, ROOT / "notebooks")
    assert (precious / "chapter1.tex").read_text() == "keep me"


# A page as nbconvert writes one, with each kind of math the browser's MathJax found: $...$, \(...\),
# $$...$$, \[...\], a bare environment, a bare \eqref, packages of the full component (ams,
# boldsymbol, cancel, mhchem, newcommand), TeX that HTML escapes; and what it left alone: code,
# a lone dollar, dollars split by a tag, an ignored class, a textarea, a script. The browser's
# config makes "$5 and $" math too: the book does what it did, no better, no worse.
MATH = [r"$\pi_\theta(a \mid s)$", r"\(\boldsymbol{\theta}^\top \phi(s)\)", "$5 and $", "$a < b$",
        r"$$\nabla J(\theta) = \mathbb{E}\Big[\sum_{t=0}^{T-1} \nabla \log \pi_\theta(A_t|S_t)\, G_t\Big]$$",
        r"\[\operatorname{Var}[\hat g] = \frac{\sigma^2}{N} \tag{V}\label{var}\]",
        r"\begin{align} V &= r_\pi + \gamma P_\pi V \\ (I - \gamma P_\pi) V &= r_\pi \end{align}",
        r"\eqref{var}", r"$\newcommand{\R}{\mathbb{R}} \theta \in \R^{n}$", r"$\R^{n \times n}$",
        r"$\begin{pmatrix} 1 & 0 \end{pmatrix}$", r"$\cancel{x}$", r"$\ce{H2O}$"]
DISPLAYED = {4, 5, 6}
SAMPLE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sample</title></head>
<body>
<div class="jp-Cell jp-MarkdownCell">
<p>Inline {0} and {1}; it costs {2}6; an escaped \\$10; {3} &amp; c.</p>
<p>A lone $ sign stays text, and so does <em>$x</em> split$ by a tag.</p>
<p>{4}</p>
<p>{5}</p>
{6}
<p>By {7}, {8} and again {9}, {10}, {11} and {12}.</p>
</div>
<pre>x = "$not math$" + r"\\(nor this\\)"</pre>
<p>Code: <code>cost = $5 + $6</code> and <code>\\(x\\)</code>.</p>
<div class="mathjax_ignore">$ignored$</div>
<textarea>$z$</textarea>
<script>var tex = "$y$";</script>
</body>
</html>
""".format(*(html.escape(tex, quote=False) for tex in MATH))
# tex-chtml-full.js as the book's pages loaded it, with the configuration they had
BROWSER_MATHJAX = r"""
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  options: {enableMenu: false},
  startup: {pageReady: () => MathJax.startup.defaultPageReady().then(() => {
    document.documentElement.dataset.mathjax = "done"; })}
};
"""


@pytest.fixture(scope="module")
def typeset():
    """The builder's typesetting (MathJax in Node.js) of a list of pages: (pages, style sheet)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        missing = pytest.fail if os.environ.get("PGBOOK_REQUIRE_CHROMIUM") else pytest.skip
        missing("the book needs Node.js and npm (apt-get install nodejs npm, as .ci/run does)")
    import build

    def run(pages: list[str]) -> tuple[list[dict], str]:
        with build.Typesetter(build.npm_packages()) as tex:
            for page in pages:
                tex.submit(page)
            return tex.finish()
    run.modules = build.npm_packages()
    return run


def test_the_builder_typesets_the_math_the_browser_found_and_leaves_the_rest(typeset):
    from bs4 import BeautifulSoup

    (page,), css = typeset([SAMPLE])
    assert page["math"] == len(MATH) and page["problems"] == []
    soup = BeautifulSoup(page["html"], "html.parser")
    containers = soup.find_all("mjx-container")
    assert len(containers) == len(MATH)
    assert {i for i, c in enumerate(containers) if c.get("display") == "true"} == DISPLAYED
    assert all(c.find("mjx-assistive-mml") and c.find("math") for c in containers)  # screen readers
    assert not soup.find("script", src=True) and not soup.find("style")  # the pages link the sheet
    assert "@font-face" in css and 'src: url("woff-v2/MathJax_Zero.woff")' in css
    # Everything but the math is as it was: put the TeX back (and the escaped dollar as MathJax
    # shows it) and the document is the one given, code, lone dollars and all.
    for container, tex in zip(containers, MATH):
        container.replace_with(tex)
    given = BeautifulSoup(SAMPLE.replace("\\$10", "<span>$</span>10"), "html.parser")
    assert str(soup).strip() == str(given).strip()


def test_the_builder_reports_tex_it_cannot_typeset_and_keeps_pages_apart(typeset):
    first = r"<html><body><p>$\newcommand{\R}{\mathbb{R}}\R$ $x^$ and $\nosuchmacro$</p></body></html>"
    second = r"<html><body><p>$\R$ $$a \tag{1}$$</p></body></html>"
    (one, two, again), _ = typeset([first, second, second])
    assert one["math"] == 3 and len(one["problems"]) == 2
    assert one["problems"][0].startswith("x^:") and "undefined macro \\nosuchmacro" in one["problems"][1]
    # \R was defined on the first page only: on the next it is unknown, as it was in the browser
    assert two["problems"] == ["\\R: undefined macro \\R"] and again == two


def test_the_typeset_math_is_what_the_browsers_mathjax_made(typeset, chromium):
    """The same page typeset by the book (Node.js) and by tex-chtml-full.js in Chromium with the
    configuration the pages had: the same expressions found, the same MathML, the same text."""
    (page,), _ = typeset([SAMPLE])
    read = r"""() => {
      const math = [...document.querySelectorAll('mjx-container')].map(c =>
        [c.getAttribute('display') === 'true', c.querySelector('mjx-assistive-mml').innerHTML]);
      const body = document.body.cloneNode(true);
      body.querySelectorAll('mjx-container').forEach(c => c.replaceWith('[math]'));
      body.querySelectorAll('script').forEach(s => s.remove());
      const code = [...body.querySelectorAll('pre, code, textarea')].map(e => e.outerHTML);
      return {math, code, text: body.textContent.trimEnd()};
    }"""
    context = chromium.new_context()
    try:
        browser = context.new_page()
        browser.set_content(SAMPLE)
        browser.add_script_tag(content=BROWSER_MATHJAX)
        browser.add_script_tag(path=str(typeset.modules / "mathjax-full/es5/tex-chtml-full.js"))
        browser.wait_for_function("document.documentElement.dataset.mathjax === 'done'", timeout=30000)
        expected = browser.evaluate(read)
        book = context.new_page()
        book.set_content(page["html"])
        assert book.evaluate(read) == expected
    finally:
        context.close()
    assert len(expected["math"]) == len(MATH) and "A lone $ sign stays text" in expected["text"]
