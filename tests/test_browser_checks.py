"""The browser tests' own checks (tests/conftest.py), held against a page whose faults are known:
each fault must be found, and nothing on the clean part may be reported."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def png(frames: list[np.ndarray]) -> str:
    """A data: URL of a PNG; several frames make an APNG (Pillow writes the acTL chunk)."""
    images = [Image.fromarray(f.astype(np.uint8)) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="PNG", save_all=len(images) > 1, append_images=images[1:],
                   duration=100, loop=0)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def frame(shade: int, alpha: int = 255) -> np.ndarray:
    return np.dstack([np.full((40, 60, 3), shade), np.full((40, 60), alpha)])


PAGE = f"""<!DOCTYPE html><html><body>
<div id="clean">
  <p>Typeset math is fine, and so is code: <code>$\\theta$ or \\(x\\)</code></p>
  <pre>print("$$")</pre>
  <img src="{png([frame(10)])}">
  <img src="{png([frame(10), frame(120), frame(240)])}">
</div>
<div id="faulty">
  <p>Raw inline math: $\\pi_\\theta$ left as text.</p>
  <p>Display math: $$J(\\theta)$$</p>
  <p>An environment: \\begin{{align}} x \\end{{align}}</p>
  <img src="nowhere.png">
  <img src="{png([frame(50, 0), frame(150, 0), frame(250, 0)])}">  <!-- frames differ, but unseen -->
  <div class="animation"><img src="{png([frame(90)])}"></div>
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
    moving = browser_checks.animations(page, "#clean")
    assert [(m["index"], m["declared"], m["frames"], m["moves"]) for m in moving] == [(1, 3, 3, True)]
    assert browser_checks.plays_on_screen(page, "#clean", 1)
    assert not browser_checks.plays_on_screen(page, "#clean", 0, timeout=0.5)  # a still image

    faulty = browser_checks.settled_state(page, "#faulty", timeout=3)
    assert len(faulty["broken"]) == 1 and "nowhere.png" in faulty["broken"][0]
    assert len(faulty["rawTex"]) == 3
    assert len(faulty["players"]) == 1
    frozen = browser_checks.animations(page, "#faulty")
    assert [(m["frames"], m["moves"]) for m in frozen] == [(3, False)]  # three identical frames
    assert log["http_errors"] == [f"{origin}/nowhere.png (404)"] and not log["other_hosts"]
