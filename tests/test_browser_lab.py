"""JupyterLab on a fresh copy of notebooks/, as a new user opens it: untrusted (a signature database
of its own), nothing run, no kernel started. In headless Chromium, with every host but the local
server blocked, each notebook must show no broken image and no raw TeX, and every animation must
move. (Issue 13.5; skipped where Chromium is missing.)"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-notebook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request):
    """`jupyter lab` serving an untrusted copy of notebooks/; yields (url, folder). Chromium starts
    while the server does (the test is skipped, and the server stopped, where Chromium is missing)."""
    tmp = tmp_path_factory.mktemp("lab")
    folder = tmp / "notebooks"
    folder.mkdir()
    for nb in NOTEBOOKS:
        shutil.copy(nb, folder / nb.name)
    # every cell rendered at once (JupyterLab 4 renders only what is on screen by default)
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp / "data"),  # a new, empty trust database
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))
    port = free_port()
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--ServerApp.root_dir={folder}", "--ServerApp.token=",
         "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
         "--LabApp.notebook_starts_kernel=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        request.getfixturevalue("chromium")
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start:\n{(tmp / 'lab.log').read_text()}")
                time.sleep(0.1)
        yield url, folder
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_every_notebook_shows_its_images_math_and_moving_animations(lab, chromium, browser_checks):
    url, folder = lab
    page, log = browser_checks.offline_page(chromium, url, viewport=(1400, 1000))
    page.goto(f"{url}/lab", wait_until="load")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60000)
    page.evaluate("() => window.jupyterapp.started")
    problems, moving = [], False  # moving: an animation was seen moving on screen
    for nb in NOTEBOOKS:
        page.evaluate("""async (path) => {
            const widget = await window.jupyterapp.commands.execute('docmanager:open', {path});
            await widget.context.ready;
            await widget.revealed;
        }""", nb.name)
        page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=30000)
        trusted = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model"
                                ".cells.get(0).trusted")
        assert trusted is False, f"{nb.name} opened trusted: the copy should be untrusted"
        found, shown = browser_checks.rendering_problems(page, PANEL, nb.name, timeout=20,
                                                         on_screen=not moving)
        problems += found
        moving = moving or shown
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    problems += browser_checks.request_problems(log)
    assert not problems, "\n".join(problems)
    assert moving, "no notebook showed an animation moving on screen"
    kernels = json.load(urllib.request.urlopen(f"{url}/api/kernels", timeout=5))
    assert kernels == [], "opening the notebooks started a kernel: nothing should run"
