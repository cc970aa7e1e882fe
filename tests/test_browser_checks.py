"""The browser tests' own checks (tests/conftest.py), held against a page whose faults are known:
each fault must be found, and nothing on the clean part may be reported."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def png(frames: list[np.ndarray], plays: int = 0) -> str:
    """A data: URL of a PNG; several frames make an APNG (Pillow writes the acTL chunk) that plays
    `plays` times (0: loops forever)."""
    images = [Image.fromarray(f.astype(np.uint8)) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="PNG", save_all=len(images) > 1, append_images=images[1:],
                   duration=100, loop=plays)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def frame(shade: int, alpha: int = 255) -> np.ndarray:
    return np.dstack([np.full((40, 60, 3), shade), np.full((40, 60), alpha)])


PAGE = f"""<!DOCTYPE html><html><body>
<div id="clean">
  <p>Typeset math is fine, and so is code: <code>$\\theta$ or \\(x\\)</code></p>
  <pre>print("$$")</pre>
  <pre>live explorer: run this cell for sliders; the figure below shows representative settings</pre>
  <img src="{png([frame(10)])}">
  <img src="{png([frame(10), frame(120), frame(240)])}">
</div>
<div id="faulty">
  <p>Raw inline math: $\\pi_\\theta$ left as text.</p>
  <p>Display math: $$J(\\theta)$$</p>
  <p>An environment: \\begin{{align}} x \\end{{align}}</p>
  <img src="nowhere.png">
  <img src="{png([frame(50, 0), frame(150, 0), frame(250, 0)])}">  <!-- frames differ, but unseen -->
  <img src="{png([frame(10), frame(240)], plays=1)}">  <!-- moves once, then stops -->
  <div class="animation"><img src="{png([frame(90)])}"></div>
  <pre>VBox(children=(HBox(children=(IntSlider(value=0, description='frame'),)),))</pre>
</div>
<div id="elsewhere">  <!-- other hosts, by name and by address: both blocked (the chromium fixture) -->
  <img src="https://cdn.example.org/logo.png">
  <img src="http://192.0.2.7/pixel.png">
</div>
</body></html>"""


def test_the_checks_find_every_planted_fault_and_nothing_else(chromium, browser_checks):
    origin = "http://127.0.0.1:9"  # served by the route below (a secure context, as a real server)
    page, log = browser_checks.offline_page(chromium, origin)
    page.route(f"{origin}/**", lambda r: r.fulfill(status=200, content_type="text/html", body=PAGE)
               if r.request.url.endswith("/check.html") else r.fulfill(status=404))
    page.goto(f"{origin}/check.html")
    clean = browser_checks.settled_state(page, "#clean", timeout=3)
    assert clean["images"] == 2 and not clean["broken"] and not clean["rawTex"] and not clean["players"]
    assert not clean["rawWidgets"]
    moving = browser_checks.animations(page, "#clean")
    assert [(m["index"], m["declared"], m["frames"], m["moves"]) for m in moving] == [(1, 3, 3, True)]
    assert browser_checks.plays_on_screen(page, "#clean", 1)
    assert not browser_checks.plays_on_screen(page, "#clean", 0, timeout=0.5)  # a still image

    # the planted raw TeX never typesets, so instead of letting settled_state time out, wait for every
    # image to finish (load or fail); the page is static from then on
    page.wait_for_function("[...document.images].every(img => img.complete)", timeout=5000)
    faulty = browser_checks.settled_state(page, "#faulty", timeout=0)
    assert len(faulty["broken"]) == 1 and "nowhere.png" in faulty["broken"][0]
    assert len(faulty["rawTex"]) == 3
    assert len(faulty["players"]) == 1
    assert len(faulty["rawWidgets"]) == 1 and "IntSlider" in faulty["rawWidgets"][0]
    faulty_movies = browser_checks.animations(page, "#faulty")
    assert [(m["frames"], m["moves"], m["plays"]) for m in faulty_movies] == [(3, False, 0), (2, True, 1)]
    assert log["http_errors"] == [f"{origin}/nowhere.png (404)"]

    # all of it in one call, as the book's and JupyterLab's tests use it
    assert browser_checks.rendering_problems(page, "#clean", "clean", timeout=0) == ([], True)
    problems, _ = browser_checks.rendering_problems(page, "#faulty", "faulty", timeout=0, on_screen=False)
    kinds = ["broken image", "raw TeX", "JavaScript animation player", "raw widget repr", "does not move",
             "plays 1 time(s), then stops"]
    assert sorted(next(k for k in kinds if k in p) for p in problems) == sorted(kinds + ["raw TeX"] * 2)

    elsewhere = browser_checks.settled_state(page, "#elsewhere", timeout=0)
    assert len(elsewhere["broken"]) == 2  # neither loaded: other hosts are unreachable
    assert sorted(log["other_hosts"]) == ["http://192.0.2.7/pixel.png", "https://cdn.example.org/logo.png"]
    # refused by the chromium fixture's proxy, not merely unreachable because this machine is offline
    assert sorted(log["failed"]) == [f"{url} (net::ERR_PROXY_CONNECTION_FAILED)"
                                     for url in sorted(log["other_hosts"])]
