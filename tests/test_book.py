"""The book: built once, by the README's own command, from a copy of the repository's notebooks;
its link structure; and (with Chromium) every page and deck reachable from index.html, served on
the loopback with every other host blocked."""
from __future__ import annotations

import functools
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
    shutil.copy(ROOT / "README.md", work / "README.md")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if shutil.which("npm") is None:  # the first build fetches MathJax and reveal.js with npm
        missing = pytest.fail if os.environ.get("PGBOOK_REQUIRE_CHROMIUM") else pytest.skip
        missing("the book needs Node.js and npm once (apt-get install nodejs npm, as .ci/run does)")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_block("book-command")],
                          cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"the book command failed:\n{done.stdout}\n{done.stderr}"
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


@functools.lru_cache(maxsize=None)  # each page is parsed once, for all the tests below
def links(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
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


def test_slide_breaks_follow_the_notebook_metadata_or_the_rules(site):
    sys.path.insert(0, str(ROOT / "book"))
    import slides

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        kinds = ([c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
                 if slides.has_slides(nb) else slides.slide_types(nb))
        deck = (site / "slides" / f"{path.stem}.slides.html").read_text(encoding="utf-8")
        # nbconvert nests a <section> per slide and one per sub-slide inside it
        assert deck.count("<section") == 2 * kinds.count("slide") + kinds.count("subslide"), path.name


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
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function("document.documentElement.dataset.mathjax === 'done'", timeout=30000)
        kind = "deck" if name.startswith("slides/") else "page"
        found, shown = browser_checks.rendering_problems(page, None, name, timeout=5,
                                                         on_screen=kind not in moving)
        problems += found
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
    sys.path.insert(0, str(ROOT / "book"))
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
    sys.path.insert(0, str(ROOT / "book"))
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


def test_the_builder_replaces_only_a_folder_it_made(tmp_path):
    sys.path.insert(0, str(ROOT / "book"))
    import build

    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("keep me")
    with pytest.raises(SystemExit, match="refusing to replace"):
        build.build(precious, ROOT / "notebooks")
    assert (precious / "chapter1.tex").read_text() == "keep me"
