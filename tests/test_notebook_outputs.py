"""What the committed notebooks store, read from the .ipynb files (nothing is executed): every
notebook within 3 MB; every image/png at lecture width (>= 900 px); every animation an APNG within
1.5 MB whose text/plain tells its frames, size and speed truthfully; no image/gif or image/webp (the
HTML export drops them) and no JavaScript animation player (it needs a trusted notebook); live
widgets only in cells nbval ignores. And one committed animation, drawn again here, byte for byte:
the same bytes in another process, session and machine with the locked versions.
"""
from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))

MAX_NOTEBOOK = 3_000_000  # bytes, each notebook
MAX_ANIMATION = 1_500_000  # bytes, each animated PNG
MIN_WIDTH = 900  # px, every figure and animation
# "NN_name.ipynb cell i" of an image/png allowed to be narrower -> the reason. None today: every
# figure is full width (FULL_WIDTH inches at DPI, 990-1070 px after the inline backend's crop).
NARROW_ALLOWED: dict[str, str] = {}
# The widest image/png whose smallest text, the style's 13 pt at 100 dpi (18.1 px), still measures 16 px
# (12 CSS pt) when a browser shows the image 900 px wide. The inline backend crops to what is drawn,
# so a title, legend or tick label sticking out of the figure widens the image and shrinks its text.
MIN_TEXT_PT = 13
MAX_WIDTH = int(MIN_TEXT_PT * 100 / 72 * 900 / 16)  # 1015 px
# Wider images known on 2026-11-25, to be narrowed by each notebook's owner (then delete the entry):
# "NN_name.ipynb cell i" -> the width measured then, which the image may not exceed meanwhile.
WIDE_KNOWN: dict[str, int] = {
    "03_checking_gradients.ipynb cell 27": 1016, "03_checking_gradients.ipynb cell 45": 1017,
    "03_checking_gradients.ipynb cell 46": 1017,
    "05_variance_and_baselines.ipynb cell 14": 1026, "05_variance_and_baselines.ipynb cell 31": 1033,
    "08_from_math_to_a_loss.ipynb cell 29": 1073, "10_bigger_steps.ipynb cell 16": 1055,
    "10_bigger_steps.ipynb cell 27": 1022, "11_autodiff_and_a_real_environment.ipynb cell 36": 1043,
}
WIDGET = "application/vnd.jupyter.widget-view+json"
NOT_EXPORTED = ("image/gif", "image/webp")  # nbconvert's HTML exporter drops these
# what matplotlib's Animation.to_jshtml / HTMLWriter put in a text/html output
JS_PLAYER = re.compile(r'class="animation"|_anim_|new Animation\(|Animation\.prototype')
TEXT = re.compile(r"<animation: (\d+) frames?(?: \((\d+) drawn\))?, (\d+)×(\d+) px, ([0-9.]+) fps>")


def code_cells(path: Path):
    """(cell index, source, outputs) of every code cell."""
    for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "code":
            yield i, joined(cell["source"]), cell.get("outputs", [])


def joined(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def chunks(png: bytes):
    """(type, data) of each chunk of a PNG file, in order."""
    at = 8
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        yield png[at + 4:at + 8].decode("latin-1"), png[at + 8:at + 8 + length]
        at += 12 + length


def png_facts(png: bytes) -> dict:
    """Width and height (IHDR); for an APNG, its frame count and plays (acTL) and every frame's
    delay in milliseconds (fcTL)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    facts = {"delays": []}
    for kind, data in chunks(png):
        if kind == "IHDR":
            facts["width"], facts["height"] = struct.unpack(">II", data[:8])
        elif kind == "acTL":
            facts["frames"], facts["plays"] = struct.unpack(">II", data[:8])
        elif kind == "fcTL":
            num, den = struct.unpack(">HH", data[20:24])
            facts["delays"].append(1000 * num / (den or 100))  # a zero denominator means 1/100 s
    return facts


def ignores_output(source: str) -> bool:
    """nbval's rule: a comment line `# NBVAL_IGNORE_OUTPUT` anywhere in the cell."""
    return any(line.strip().startswith("#") and line.strip().lstrip("#").strip() == "NBVAL_IGNORE_OUTPUT"
               for line in source.splitlines())


def animation_problems(where: str, png: bytes, facts: dict, text: str) -> list[str]:
    """What is untrue or too big about one animated PNG and the text/plain beside it."""
    from pgbook.animation import HOLD_LAST

    problems = []
    if len(png) > MAX_ANIMATION:
        problems.append(f"{where}: animation of {len(png):,} bytes > {MAX_ANIMATION:,}")
    if facts["frames"] < 2 or len(facts["delays"]) != facts["frames"]:
        problems.append(f"{where}: acTL declares {facts['frames']} frames, fcTL chunks {len(facts['delays'])} "
                        "(an animation needs at least 2, one fcTL each)")
    if facts["plays"] != 0:
        problems.append(f"{where}: plays {facts['plays']} time(s), then stops; make it loop (0)")
    m = TEXT.fullmatch(text)
    if m is None:
        return problems + [f"{where}: text/plain {text!r} is not '<animation: N frames, W×H px, F fps>'"]
    stored, drawn, width, height, fps = int(m[1]), int(m[2] or m[1]), int(m[3]), int(m[4]), float(m[5])
    if (stored, width, height) != (facts["frames"], facts["width"], facts["height"]):
        problems.append(f"{where}: text/plain says {stored} frames of {width}×{height} px, the file holds "
                        f"{facts['frames']} of {facts['width']}×{facts['height']} px")
    # animate's timing: each drawn frame 1/fps, the last held for max(1/fps, HOLD_LAST); a stored frame
    # standing for several identical drawn ones is held for their sum
    tick = round(1000 / fps)
    *delays, last = facts["delays"] or [0]
    ticks = [d / tick for d in delays] + [1 + (last - max(tick, 1000 * HOLD_LAST)) / tick]
    if not all(t >= 1 and t == round(t) for t in ticks) or sum(ticks) != drawn:
        problems.append(f"{where}: frame delays {facts['delays']} ms are not {drawn} drawn frames at {fps:g} fps "
                        f"(then {HOLD_LAST:g} s on the last), as text/plain {text!r} says")
    return problems


def output_problems(where: str, source: str, data: dict) -> list[str]:
    """What breaks the rules in one output's data (mimetype -> content) of a cell with this source."""
    problems = [f"{where}: {mime} output (nbconvert's HTML drops it; store an APNG as image/png)"
                for mime in NOT_EXPORTED if mime in data]
    if "application/javascript" in data or JS_PLAYER.search(joined(data.get("text/html", ""))):
        problems.append(f"{where}: JavaScript animation player (to_jshtml); store an APNG as image/png")
    if WIDGET in data and not ignores_output(source):
        problems.append(f"{where}: live widget output in a cell without '# NBVAL_IGNORE_OUTPUT'")
    if "image/png" not in data:
        return problems
    png = base64.b64decode(joined(data["image/png"]))
    facts = png_facts(png)
    if facts["width"] < MIN_WIDTH and where not in NARROW_ALLOWED:
        problems.append(f"{where}: image/png {facts['width']} px wide < {MIN_WIDTH} px")
    if facts["width"] > MAX_WIDTH and facts["width"] > WIDE_KNOWN.get(where, MAX_WIDTH):
        shown = MIN_TEXT_PT * 900 / facts["width"] * 100 / 96  # CSS pt (96 px per inch) at 900 px
        problems.append(f"{where}: image/png {facts['width']} px wide > {MAX_WIDTH} px: shown 900 px wide, its "
                        f"{MIN_TEXT_PT}-pt text measures {shown:.2f} pt (< 12); keep titles and legends inside the figure")
    elif facts["width"] <= MAX_WIDTH and where in WIDE_KNOWN:
        problems.append(f"{where}: now {facts['width']} px wide, within {MAX_WIDTH} px: delete its WIDE_KNOWN entry")
    text = joined(data.get("text/plain", ""))
    if "frames" in facts:
        problems += animation_problems(where, png, facts, text)
    elif text.startswith("<animation"):
        problems.append(f"{where}: text/plain {text!r} but the image/png is a still image (no acTL chunk)")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_stay_within_the_limits(path):
    size = path.stat().st_size
    problems = [f"{path.name}: {size:,} bytes > {MAX_NOTEBOOK:,}"] if size > MAX_NOTEBOOK else []
    for i, source, outs in code_cells(path):
        where = f"{path.name} cell {i}"
        if ignores_output(source) and not outs:
            problems.append(f"{where}: '# NBVAL_IGNORE_OUTPUT' cell has no output: not executed?")
        elif ignores_output(source) and not any(WIDGET in out.get("data", {}) for out in outs):
            problems.append(f"{where}: '# NBVAL_IGNORE_OUTPUT' on a cell with no live widget (nbval checks nothing there)")
        for out in outs:
            problems += output_problems(where, source, out.get("data", {}))
    assert not problems, "\n".join(problems)


def test_the_limits_catch_what_they_are_for():
    """The checks above on made-up outputs: each fault is reported with the notebook, cell and value."""
    from io import BytesIO

    from PIL import Image

    frames = [Image.new("RGB", (950, 20), c) for c in ("red", "blue", "blue")]
    buf = BytesIO()
    frames[0].save(buf, format="png", save_all=True, append_images=frames[1:], loop=0, duration=[125, 125, 2000])
    png = buf.getvalue()  # Pillow stores 2 frames: the identical third is merged into the second
    facts = png_facts(png)
    assert (facts["width"], facts["height"], facts["frames"], facts["plays"]) == (950, 20, 2, 0)
    assert facts["delays"] == [125, 2125]
    assert animation_problems("x", png, facts, "<animation: 2 frames (3 drawn), 950×20 px, 8 fps>") == []
    (wrong,) = animation_problems("nb.ipynb cell 7", png, facts, "<animation: 3 frames, 950×20 px, 8 fps>")
    assert wrong.startswith("nb.ipynb cell 7: text/plain says 3 frames of 950×20 px, the file holds 2 ")
    (wrong,) = animation_problems("x", png, facts, "<animation: 2 frames (4 drawn), 950×20 px, 8 fps>")
    assert "[125.0, 2125.0] ms are not 4 drawn frames at 8 fps" in wrong
    (wrong,) = animation_problems("x", png, facts, "<animation: 2 frames, 950×20 px, 4 fps>")
    assert "are not 2 drawn frames at 4 fps" in wrong
    assert "not '<animation: N frames" in animation_problems("x", png, facts, "<Figure size 950x20>")[0]
    assert output_problems("c", "", {"image/gif": "", "text/html": '<div class="animation">'}) == [
        "c: image/gif output (nbconvert's HTML drops it; store an APNG as image/png)",
        "c: JavaScript animation player (to_jshtml); store an APNG as image/png"]
    still = BytesIO()
    Image.new("RGB", (899, 10)).save(still, format="png")
    assert output_problems("c", "w", {"image/png": base64.b64encode(still.getvalue()).decode(), WIDGET: {}}) == [
        "c: live widget output in a cell without '# NBVAL_IGNORE_OUTPUT'", "c: image/png 899 px wide < 900 px"]
    assert ignores_output("# NBVAL_IGNORE_OUTPUT\nw") and not ignores_output("x = 1  # NBVAL_IGNORE_OUTPUT")
    assert JS_PLAYER.search('<div class="animation">') and not JS_PLAYER.search("<p>animation</p>")


@pytest.mark.parametrize("width, known, found", [
    (1015, None, None), (1016, None, "its 13-pt text measures 12.00 pt (< 12)"),
    (1040, 1043, None), (1050, 1043, "its 13-pt text measures 11.61 pt (< 12)"),
    (1011, 1043, "now 1011 px wide, within 1015 px: delete its WIDE_KNOWN entry"),
])
def test_the_width_bound_keeps_the_text_at_12_pt(width, known, found, monkeypatch):
    """13 pt at 100 dpi is 18.06 px; shown 900 px wide, 16 px (12 CSS pt) needs width <= 1015 px.
    A known wider image may not get wider, and its entry must go once it is narrow enough."""
    from io import BytesIO

    from PIL import Image

    if known is not None:
        monkeypatch.setitem(WIDE_KNOWN, "nb.ipynb cell 3", known)
    png = BytesIO()
    Image.new("RGB", (width, 10)).save(png, format="png")
    got = output_problems("nb.ipynb cell 3", "", {"image/png": base64.b64encode(png.getvalue()).decode()})
    assert got == [] if found is None else (len(got) == 1 and found in got[0]), got


def test_a_committed_animation_has_the_same_bytes_when_drawn_again():
    """Notebook 01's zero-drift random walk (the cells that make `policy` and `walk`, and the call of
    bandit_simplex), redrawn here from the same fixed arguments: identical bytes, which nbval cannot
    check (it skips image/png). Drawn from matplotlib's defaults (and the scene's own style), as in a
    fresh kernel, whatever other tests in this process did to rcParams."""
    import matplotlib.pyplot as plt

    import pgbook as pg

    path = ROOT / "notebooks" / "01_log_derivative_trick.ipynb"
    call = "movie = pg.scenes.bandit_simplex(pi_walk"
    found = [(i, out) for i, source, outs in code_cells(path) if call in source
             for out in outs if "image/png" in out.get("data", {})]
    assert len(found) == 1, f"{path.name}: expected one cell with {call!r} and an image/png output, got {len(found)}"
    i, out = found[0]
    K, alpha, walk_steps, n_runs = 3, 0.5, 150, 100  # as in the notebook
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, K))
    walk = pg.learn.reinforce(pg.envs.bandit(np.ones(K)), policy, np.zeros(K), alpha, walk_steps, batch_size=1,
                              rng=np.random.default_rng(4), n_runs=n_runs, returns="total")
    with plt.rc_context():
        plt.rcdefaults()
        movie = pg.scenes.bandit_simplex(walk.pi[:, :, 0, :], exact=np.full((walk_steps + 1, K), 1 / K), n_trails=3,
                                         labels=("arm 1", "arm 2", "arm 3"),
                                         exact_label=r"exact ascent ($\nabla J = 0$)")
    committed = base64.b64decode(joined(out["data"]["image/png"]))
    assert joined(out["data"]["text/plain"]) == repr(movie), f"{path.name} cell {i}"
    assert movie.png == committed, (f"{path.name} cell {i}: drawn again, {len(movie.png):,} bytes differ from the "
                                    f"committed {len(committed):,} (a package change, or rendering that is not "
                                    "deterministic across processes)")
