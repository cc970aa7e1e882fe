"""Build the book: a static site of the whole series that renders completely with no network.

    python book/build.py              # writes _build/html/ (open index.html, or serve the folder)
    python book/build.py --out DIR    # somewhere else

What it makes: `index.html` (the notebook list), one page per notebook with its saved outputs
(`NN_name.html`, previous/next links), and one reveal.js lecture deck per notebook
(`slides/NN_name.slides.html`), all from the committed notebooks; nothing is executed. Figures and
animations are written once, as files in `_images/NN_name/`, and shared by the page and the deck.

Tool: nbconvert (installed with Jupyter) with the two small templates in `book/templates/`, which
extend nbconvert's own JupyterLab and reveal.js templates and replace every remote URL by a file of
the site. MathJax 3 (npm mathjax-full) and reveal.js come from the npm registry, pinned by
`book/package-lock.json` (`npm ci` once, cached in ~/.cache/pgbook-book). The math is typeset here,
not in the reader's browser: one Node.js process runs MathJax on every page (book/typeset.mjs) while
the pages are exported, and the pages carry finished CommonHTML, one shared style sheet and MathJax's
woff fonts, and no MathJax JavaScript. Jupyter Book 2 (mystmd) would be the field's tool,
but it downloads its site theme from the internet at build time and no PyPI or npm package ships
the built theme (tried: `myst build --html` stops at "request to https://api.mystmd.org/... failed").

Live widgets need a kernel: on a page each one is replaced by a note, and the static figure that
follows every explorer in the notebook is what the page shows. Decks take their slide breaks from
each cell's `slideshow.slide_type`; a notebook with none gets them from `book/slides.py`'s rules.
"""
from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat
from jupyter_core.paths import jupyter_path
from nbconvert import HTMLExporter, SlidesExporter
from nbconvert.filters import Highlight2HTML

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
sys.path.insert(0, str(BOOK))
import slides  # noqa: E402  (book/slides.py, the slide rules)

LIVE_NOTE = ('<p class="pgbook-live">Live widget: it needs Jupyter and a running kernel (open the '
             'notebook and run its cells). On this page, the static figure next to it shows the '
             'same thing.</p>')
# files of the npm packages that the site serves, and where in _static: MathJax's fonts (its style
# sheet, book/typeset.mjs's, finds them in woff-v2/ beside it) and reveal.js
REVEAL_FILES = ["dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js", "LICENSE"]
NPM_FILES = {"mathjax-full/es5/output/chtml/fonts/woff-v2": "mathjax/woff-v2",
             "mathjax-full/LICENSE": "mathjax/LICENSE",
             **{f"reveal.js/{name}": f"reveal.js/{name}" for name in REVEAL_FILES}}
MATH_CSS = "mathjax/chtml.css"  # in _static: the style sheet of all the typeset math
MARKER = ".pgbook-book"  # in every folder this builder writes: only such a folder is replaced
# the licenses of the series, copied into _static as .txt files: every page's footer links to them
LICENSES = ("LICENSE", "LICENSE-CODE", "LICENSE-CONTENT")


@dataclass
class Chapter:
    stem: str  # e.g. "04_reinforce_in_motion"
    title: str  # the notebook's first heading
    summary: str  # its line in the README's notebook table ("" if none)
    nb: nbformat.NotebookNode

    @property
    def page(self) -> str:
        return f"{self.stem}.html"

    @property
    def deck(self) -> str:
        return f"slides/{self.stem}.slides.html"


def chapters(notebooks: Path) -> list[Chapter]:
    """The series in order: every `NN_name.ipynb` in `notebooks`, with its title and summary."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    summaries = dict(re.findall(r"^\| `(\d\d_\w+)\.ipynb` \| (.+?) \|$", readme, flags=re.M))
    out = []
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = next((line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
                      for line in cell.source.splitlines() if line.startswith("# ")), path.stem)
        out.append(Chapter(path.stem, title, summaries.get(path.stem, ""), nb))
    if not out:
        raise SystemExit(f"no notebooks named NN_name.ipynb in {notebooks}")
    return out


def for_static_view(nb):
    """A copy of `nb` for a page with no kernel: each live widget becomes a note, widget state goes."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if slides.WIDGET_TYPE in out.get("data", {}):
                out["data"] = {"text/html": LIVE_NOTE}
    return nb


IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg"}


def save_images(nb, folder: Path) -> dict[tuple[int, int], str]:
    """Write every PNG/JPEG output of `nb` into `folder` once (the page and the deck share them)."""
    names = {}
    for i, cell in enumerate(nb.cells):
        for j, out in enumerate(cell.get("outputs", [])):
            for mime, ext in IMAGE_TYPES.items():
                if mime in out.get("data", {}):
                    folder.mkdir(parents=True, exist_ok=True)
                    names[i, j] = f"cell{i}-{j}.{ext}"
                    (folder / names[i, j]).write_bytes(base64.b64decode(out.data[mime]))
    return names


def point_at_images(nb, names: dict[tuple[int, int], str], prefix: str):
    """A copy of `nb` whose image outputs refer to the saved files (nbconvert's `filenames`)."""
    nb = copy.deepcopy(nb)
    for (i, j), name in names.items():
        out = nb.cells[i].outputs[j]
        mime = next(m for m in IMAGE_TYPES if m in out.data)
        out.setdefault("metadata", {}).setdefault("filenames", {})[mime] = prefix + name
    return nb


class CodeCells:
    """The highlighted code of the page and the deck of each notebook, made once and kept out of the
    exporters' last pass.

    nbconvert's HTMLExporter ends by parsing all it wrote with BeautifulSoup, to give images alt text
    and inputs and outputs a tabindex. Pygments' markup of the code is most of the tags of a page
    (3,661 of 4,148 in notebook 01), so that pass was more than half of the build, and the code
    needs nothing from it. So the exporters' `highlight_code` filter returns a placeholder, and
    `fill` puts in nbconvert's own highlighting (Highlight2HTML, with the lexer HTMLExporter would
    pick) once the exporter is done; a cell is highlighted once for its page and its deck.
    """

    def __init__(self):
        self.tag = f"pgbook-code-{secrets.token_hex(8)}-"  # found in no notebook
        self.lexer = "ipython3"
        self.index: dict[tuple, int] = {}
        self.html: list[str] = []

    def use_lexer_of(self, nb) -> None:
        """Highlight the code of `nb` as HTMLExporter.from_notebook_node would."""
        info = nb.metadata.get("language_info", {})
        self.lexer = info.get("pygments_lexer", info.get("name")) or "ipython3"

    def highlight_code(self, source: str, language=None, metadata=None) -> str:
        """The exporters' filter: a placeholder for Highlight2HTML()(source, language, metadata)."""
        key = (self.lexer, language, (metadata or {}).get("magics_language"), source)
        if key not in self.index:
            self.index[key] = len(self.html)
            self.html.append(Highlight2HTML(pygments_lexer=self.lexer)(source, language, metadata))
        return f"{self.tag}{self.index[key]}"

    def fill(self, page: str) -> str:
        """`page` with each placeholder replaced by its highlighted code."""
        return re.sub(rf"{self.tag}(\d+)", lambda m: self.html[int(m[1])], page)


def npm_packages() -> Path:
    """node_modules with the pinned MathJax and reveal.js (npm ci on first use, then cached)."""
    spec = [(BOOK / name).read_bytes() for name in ("package.json", "package-lock.json")]
    key = hashlib.sha256(b"".join(spec)).hexdigest()[:16]
    cache = Path(os.environ.get("PGBOOK_BOOK_CACHE", Path.home() / ".cache" / "pgbook-book"))
    done = cache / key / "node_modules"
    if (done / ".pgbook-complete").exists():
        return done
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the book needs npm (Node.js 18 or newer) once, to fetch MathJax and "
                         "reveal.js from the npm registry: install Node.js, then run this again")
    work = cache / f"{key}.tmp{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(BOOK / name, work / name)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                   cwd=work, check=True)
    (work / "node_modules" / ".pgbook-complete").touch()
    try:
        work.rename(cache / key)
    except OSError:  # another build finished first: use its copy
        shutil.rmtree(work, ignore_errors=True)
    return done


def nbconvert_static(template: str, name: str) -> Path:
    """A static file of one of nbconvert's installed templates (e.g. lab/static/index.css)."""
    for base in jupyter_path("nbconvert", "templates"):
        path = Path(base, template, "static", name)
        if path.exists():
            return path
    raise SystemExit(f"nbconvert's {template}/static/{name} not found: is nbconvert installed?")


def copy_static(static: Path, modules: Path) -> None:
    """Everything the pages load, into static/: styles, MathJax's fonts, reveal.js (from `modules`,
    npm_packages()); the math's style sheet comes after the math, from Typesetter.finish."""
    static.mkdir(parents=True, exist_ok=True)
    lab = [nbconvert_static("lab", name).read_text(encoding="utf-8")
           for name in ("index.css", "theme-light.css")]
    (static / "lab.css").write_text("\n".join(lab), encoding="utf-8")
    shutil.copy(nbconvert_static("reveal", "custom_reveal.css"), static / "reveal-nbconvert.css")
    for css in (BOOK / "static").glob("*.css"):
        shutil.copy(css, static / css.name)
    for rel, site in NPM_FILES.items():
        src, dst = modules / rel, static / site
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():  # browsers take the .woff fonts; .eot and .ttf only cost space
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.eot", "*.ttf"))
        else:
            shutil.copy(src, dst)


class Typesetter:
    """MathJax in one Node.js process (book/typeset.mjs), typesetting the pages handed to `submit`
    while the builder goes on exporting the next ones; `finish` gives them back, in order.

        with Typesetter(npm_packages()) as tex:
            tex.submit(html)                 # as many pages as there are
            pages, css = tex.finish()        # [{"html", "math", "problems"}, ...], the style sheet
    """

    def __init__(self, modules: Path):
        node = shutil.which("node")
        if node is None:
            raise SystemExit("the book needs Node.js 18 or newer to typeset its math: install it")
        self.process = subprocess.Popen(
            [node, str(BOOK / "typeset.mjs"), str(modules)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8")  # its errors go to our stderr
        # Two threads move the pages through the pipes, so that neither process waits for the
        # other: MathJax reads the next page only between two pages, and a page fills a pipe.
        self.lines: list[str] = []
        self.queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._write, daemon=True),
                        threading.Thread(target=lambda: self.lines.extend(self.process.stdout),
                                         daemon=True)]
        for thread in self.threads:
            thread.start()
        self.submitted = 0

    def _write(self) -> None:
        try:
            for html in iter(self.queue.get, None):
                self.process.stdin.write(json.dumps(html) + "\n")
            self.process.stdin.close()
        except BrokenPipeError:  # it stopped: finish says so
            pass

    def submit(self, html: str) -> None:
        self.queue.put(html)
        self.submitted += 1

    def finish(self) -> tuple[list[dict], str]:
        self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.process.wait() != 0 or len(self.lines) != self.submitted + 1:
            raise SystemExit(f"typesetting the math failed (book/typeset.mjs, exit status "
                             f"{self.process.returncode}): see its message above")
        *pages, css = map(json.loads, self.lines)
        return pages, css["css"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:  # leaving early (an error in the builder): stop it
            self.process.kill()
            self.process.wait()


def link_notebooks(page: str, prefix: str) -> str:
    """Links to a notebook of the series (`03_x.ipynb`) point at its page instead."""
    return re.sub(r'href="(\d\d_\w+)\.ipynb(#[^"]*)?"',
                  lambda m: f'href="{prefix}{m[1]}.html{m[2] or ""}"', page)


def nav(series: list[Chapter], i: int, up: str) -> dict:
    """Links from chapter i's page (up = "") or deck (up = "../") to home, neighbours and the deck."""
    def link(j):
        return {"href": up + series[j].page, "title": series[j].title} if 0 <= j < len(series) else None
    return {"home": up + "index.html", "prev": link(i - 1), "next": link(i + 1),
            "deck": "" if up else series[i].deck, "page": up + series[i].page,
            "title": series[i].title}


def exporters(code: CodeCells | None = None) -> tuple[HTMLExporter, SlidesExporter]:
    """nbconvert's exporters of a page and of a deck, with the templates in book/templates; with
    `code`, its placeholders stand for the highlighted code (fill them in after)."""
    common = dict(extra_template_basedirs=[str(BOOK / "templates")],
                  extra_template_paths=[str(BOOK / "templates")],
                  exclude_input_prompt=True, exclude_output_prompt=True,
                  filters={"highlight_code": code.highlight_code} if code else {})
    return (HTMLExporter(template_name="pgbook_page", **common),
            SlidesExporter(template_name="pgbook_slides", reveal_url_prefix="../_static/reveal.js",
                           reveal_theme="white", reveal_number="c/t", **common))


def build(out: Path, notebooks: Path) -> dict:
    """Write the site into `out` (replacing it); return counts, bytes and seconds."""
    start = time.perf_counter()
    series = chapters(notebooks)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"refusing to replace {out}: it is not empty and was not made by this builder")
    shutil.rmtree(out, ignore_errors=True)
    modules = npm_packages()
    copy_static(out / "_static", modules)
    for name in LICENSES:
        shutil.copy(ROOT / name, out / "_static" / f"{name}.txt")
    (out / MARKER).touch()
    (out / "slides").mkdir(parents=True)
    code = CodeCells()
    page_exporter, deck_exporter = exporters(code)
    files = []  # each page and deck, in the order given to MathJax
    # MathJax typesets a page (code still a placeholder: it skips code anyway, and reads less) while
    # the next one is exported; then the code goes in.
    with Typesetter(modules) as tex:
        for i, ch in enumerate(series):
            nb = for_static_view(ch.nb)
            code.use_lexer_of(nb)
            images = save_images(nb, out / "_images" / ch.stem)
            body, _ = page_exporter.from_notebook_node(
                point_at_images(nb, images, f"_images/{ch.stem}/"),
                resources={"pgbook": {"static": "_static", "nav": nav(series, i, "")}})
            tex.submit(link_notebooks(body, ""))
            deck_nb = nb if slides.has_slides(nb) else slides.apply(nb)
            body, _ = deck_exporter.from_notebook_node(
                point_at_images(deck_nb, images, f"../_images/{ch.stem}/"),
                resources={"pgbook": {"static": "../_static", "nav": nav(series, i, "../")}})
            tex.submit(link_notebooks(body, "../"))
            files += [ch.page, ch.deck]
        typeset, css = tex.finish()
    for name, page in zip(files, typeset):
        for problem in page["problems"]:  # shown in red on the page, as the browser's MathJax did
            print(f"warning: {name}: MathJax: {problem}", file=sys.stderr)
        (out / name).write_text(code.fill(page["html"]), encoding="utf-8")
    (out / "_static" / MATH_CSS).write_text(css, encoding="utf-8")
    landing = jinja2.Environment(loader=jinja2.FileSystemLoader(BOOK / "templates"), autoescape=True)
    (out / "index.html").write_text(
        landing.get_template("landing.html.j2").render(series=series), encoding="utf-8")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"pages": len(series), "decks": len(series), "bytes": size,
            "math": sum(page["math"] for page in typeset[::2]), "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "html",
                        help="output folder, replaced (default: _build/html)")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="folder of NN_name.ipynb notebooks (default: notebooks)")
    args = parser.parse_args(argv)
    report = build(args.out, args.notebooks)
    print(f"built {report['pages']} pages and {report['decks']} decks ({report['math']} formulas "
          f"typeset) into {args.out} ({report['bytes'] / 1e6:.1f} MB) in {report['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
