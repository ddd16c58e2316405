"""Browser test: JupyterLab with the koan kernel, driven by headless Chromium.

Starts JupyterLab (pip) on loopback with this build's kernelspec (the session fixture
``koan_kernelspec`` of conftest.py puts it first on ``JUPYTER_PATH``), opens a temporary
copy of ``notebooks/reports.ipynb`` in Debian's ``chromium`` through ``chromium-driver``
and selenium, runs all cells and checks that the page shows

* the HTML classification report (``table.koan-report`` in an output area), and
* the Vega-Lite charts, rendered by JupyterLab's vega extension (``.vega-embed`` with an
  ``svg`` or ``canvas`` inside),

and that no cell produced an error. A screenshot of the whole notebook is written to
``<repo>/.build/browser/reports.png`` whatever the outcome; on failure the JupyterLab,
chromedriver and browser-console logs are written next to it.

When chromium, chromedriver, jupyterlab or selenium is missing the test fails under
``make test`` (KOAN_PYTHON set) or CI=true, and skips otherwise; ``make test`` installs all four.

Run:  ``KOAN_BIN=$PWD/.build/debug/koan .venv/bin/python -m pytest -q Tests/conformance/test_browser.py``
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import KERNEL_NAME, REPO, koan_bin, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOTEBOOK = "reports.ipynb"
OUT_DIR = REPO / ".build" / "browser"
SCREENSHOT = OUT_DIR / "reports.png"

SERVER_TIMEOUT = 60     # JupyterLab answering /api/status
KERNEL_TIMEOUT = 90     # page loaded and the koan kernel idle
RUN_TIMEOUT = 120       # all cells run and their outputs rendered


# --------------------------------------------------------------------------- prerequisites

def _require_tools() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        skip_or_fail(f"browser test needs Debian's chromium and chromium-driver; missing: "
                     f"{', '.join(missing)} (make test-apt, or apt-get install chromium chromium-driver)")
    for module in ("jupyterlab", "selenium"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"browser test needs the Python module {module}, not importable by "
                         f"{sys.executable}: declare it in requirements-test.txt")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- JupyterLab

class Lab:
    """A JupyterLab server on 127.0.0.1 with isolated config, data, runtime and settings."""

    def __init__(self, root: Path, work: Path):
        self.root = root
        self.work = work
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        config = self.work / "config"
        # Untouched by the user's own settings: config, data, runtime, lab settings and
        # workspaces all live in the temporary folder. JUPYTER_PATH (the kernelspec of the
        # binary under test, set by conftest) is inherited.
        env = dict(os.environ)
        env.pop("JUPYTER_CONFIG_PATH", None)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(self.work / "data"),
            JUPYTER_RUNTIME_DIR=str(self.work / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.work / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.work / "lab-workspaces"),
            IPYTHONDIR=str(self.work / "ipython"),
            JUPYTER_PLATFORM_DIRS="0",
        )
        # No announcement / update toasts over the notebook.
        labconfig = config / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        # Every cell attached to the DOM (no windowing), so every chart renders and the
        # screenshot shows the whole notebook.
        tracker = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True, exist_ok=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        return env

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_remote_access=False",
            "--LabApp.expose_app_in_browser=True",   # window.jupyterapp, for app.commands
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")   # CI containers run as root
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, env=self.environment(), cwd=self.root, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"jupyter lab exited with {self.proc.returncode} before answering\n{self.log()}")
            try:
                status = self.api("status")
                if "started" in status:
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyter lab did not answer /api/status within "
                                     f"{SERVER_TIMEOUT}s\n{self.log()}")
            time.sleep(0.25)

    def api(self, path: str, method: str = "GET") -> dict:
        req = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body else {}

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Graceful shutdown (which also shuts down the kernels), then the whole group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.api("shutdown", method="POST")
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        # The kernel processes share the server's session; make sure none outlives it.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
            time.sleep(0.2)
        self._log.close()


# --------------------------------------------------------------------------- browser

def _chromium(work: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                f"--user-data-dir={work / 'chromium-profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER),
                      log_output=str(work / "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


# The notebook panel of reports.ipynb, found through the app JupyterLab exposes.
_PANEL_JS = f"""
const app = window.jupyterapp;
if (!app || !app.shell) return null;
for (const w of app.shell.widgets('main')) {{
  if (w.context && w.context.path === {json.dumps(NOTEBOOK)} && w.content && w.sessionContext)
    return w;
}}
return null;
"""

_KERNEL_STATE_JS = "const panel = (() => {" + _PANEL_JS + """})();
if (!panel) return {panel: false};
const s = panel.sessionContext;
const k = s.session && s.session.kernel;
return {panel: true, contextReady: panel.context.isReady, sessionReady: s.isReady,
        kernel: k ? k.name : null, status: k ? k.status : null,
        dom: !!panel.node.querySelector('.jp-Notebook .jp-Cell')};
"""

_RUN_ALL_JS = "const panel = (() => {" + _PANEL_JS + """})();
const app = window.jupyterapp;
app.shell.activateById(panel.id);
window.__koanRunAll = 'running';
app.commands.execute('notebook:run-all-cells').then(
  () => { window.__koanRunAll = 'done'; },
  (e) => { window.__koanRunAll = 'error: ' + e; });
return true;
"""

# Everything the completion wait and the assertions need, in one round trip.
_RUN_STATE_JS = "const panel = (() => {" + _PANEL_JS + """})();
const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = [];
for (const cell of panel.content.widgets) {
  if (cell.model.type !== 'code') continue;
  const outputs = [];
  for (let i = 0; i < cell.model.outputs.length; i++) {
    const o = cell.model.outputs.get(i).toJSON();
    outputs.push({type: o.output_type, mimes: Object.keys(o.data || {}),
                  ename: o.ename || null, evalue: o.evalue || null});
  }
  cells.push({count: cell.model.executionCount,
              executing: cell.node.classList.contains('jp-mod-promptExecuting') ||
                         /\\*/.test((cell.node.querySelector('.jp-InputPrompt') || {}).textContent || ''),
              outputs});
}
const node = panel.node;
const reportTables = node.querySelectorAll('.jp-OutputArea-output table.koan-report').length;
const vegaOutputs = node.querySelectorAll(
  '.jp-OutputArea-output[data-mime-type^="application/vnd.vegalite"]').length;
const vegaRendered = [...node.querySelectorAll('.jp-OutputArea-output .vega-embed')]
  .filter(e => e.querySelector('svg, canvas')).length;
const stderr = [...node.querySelectorAll(
  '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.textContent.slice(0, 500));
return {runAll: window.__koanRunAll || null, status: k ? k.status : null, cells,
        reportTables, vegaOutputs, vegaRendered, stderr};
"""


def _done(state: dict) -> bool:
    cells = state["cells"]
    all_run = bool(cells) and all(c["count"] is not None and not c["executing"] for c in cells)
    vega_models = sum(1 for c in cells for o in c["outputs"]
                      if any(m.startswith("application/vnd.vegalite") for m in o["mimes"]))
    errors = any(o["type"] == "error" for c in cells for o in c["outputs"])
    finished = all_run and state["status"] == "idle" and state["runAll"] != "running"
    rendered = (state["reportTables"] >= 1 and vega_models >= 1
                and state["vegaRendered"] >= vega_models)
    # Stop waiting once everything rendered, or once the run has finished with an error
    # (the assertions then say what went wrong).
    return (finished and rendered) or (finished and errors) or (state["runAll"] or "").startswith("error")


def _wait(driver, script: str, done, timeout: float, what: str) -> dict:
    """Runs ``script`` in the page until ``done(result)``; returns that result. On timeout
    the last result is in the failure message."""
    from selenium.common.exceptions import JavascriptException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    last: list = [None]

    def check(d):
        try:
            last[0] = d.execute_script(script)
        except JavascriptException as e:
            last[0] = f"script error: {e.msg}"
            return False
        return last[0] if isinstance(last[0], dict) and done(last[0]) else False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(check)
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                             f"last state: {json.dumps(last[0], default=str)}") from None


def _screenshot(driver, path: Path) -> None:
    """The whole notebook: the file browser is collapsed, the window made as tall as the
    notebook's cells and the notebook scrolled to the top."""
    from selenium.webdriver.support.ui import WebDriverWait

    # How tall the viewport must be for the notebook to show without scrolling.
    measure = """
        const app = window.jupyterapp;
        if (app && app.shell && app.shell.collapseLeft) app.shell.collapseLeft();
        const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        const last = document.querySelector('.jp-NotebookPanel .jp-Notebook-footer')
                  || [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')].pop();
        if (!outer || !last) return null;
        outer.scrollTop = 0;
        const content = last.getBoundingClientRect().bottom - outer.getBoundingClientRect().top;
        return {need: Math.ceil(content + window.innerHeight - outer.clientHeight) + 16,
                inner: window.innerHeight, outer: window.outerHeight};
    """
    try:
        for _ in range(4):
            m = driver.execute_script(measure)
            if not m or m["need"] <= m["inner"] or m["inner"] >= 16000:
                break
            want = min(m["need"], 16000)
            driver.set_window_size(1400, m["outer"] + want - m["inner"])
            try:   # JupyterLab lays out again on the resize event
                WebDriverWait(driver, 5, poll_frequency=0.1).until(lambda d: d.execute_script(
                    "const o = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');"
                    "return window.innerHeight >= arguments[0] && !!o && "
                    "o.getBoundingClientRect().bottom > arguments[0] - 200;", want))
            except Exception:
                pass
    except Exception:
        pass
    driver.save_screenshot(str(path))


# --------------------------------------------------------------------------- the test

def test_reports_notebook_in_jupyterlab(koan_kernelspec: Path) -> None:
    _require_tools()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stale in ("reports.png", "jupyterlab.log", "chromedriver.log", "console.log"):
        (OUT_DIR / stale).unlink(missing_ok=True)

    work = Path(tempfile.mkdtemp(prefix="koan-browser-"))
    root = work / "notebooks"
    root.mkdir()
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        if not nb.name.endswith(".out.ipynb"):
            shutil.copy2(nb, root / nb.name)
    # Whatever the repository copy holds, every output on the page must come from this run.
    nb = json.loads((root / NOTEBOOK).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (root / NOTEBOOK).write_text(json.dumps(nb, indent=1))

    lab = Lab(root, work)
    driver = None
    ok = False
    try:
        lab.start()
        specs = lab.api("kernelspecs")["kernelspecs"]
        assert KERNEL_NAME in specs, f"JupyterLab does not see the koan kernelspec: {sorted(specs)}"
        argv0 = specs[KERNEL_NAME]["spec"]["argv"][0]
        assert Path(argv0).resolve() == koan_bin().resolve(), (
            f"JupyterLab's koan kernelspec runs {argv0}, not the binary under test {koan_bin()}")

        driver = _chromium(work)
        driver.get(f"{lab.base}/lab/tree/{NOTEBOOK}?token={lab.token}")

        def kernel_ready(s: dict) -> bool:
            return bool(s.get("panel") and s["contextReady"] and s["sessionReady"] and s["dom"]
                        and s["kernel"] == KERNEL_NAME and s["status"] == "idle")

        _wait(driver, _KERNEL_STATE_JS, kernel_ready, KERNEL_TIMEOUT,
              "the notebook panel with an idle koan kernel")
        driver.execute_script(_RUN_ALL_JS)
        state = _wait(driver, _RUN_STATE_JS, _done, RUN_TIMEOUT,
                      "all cells to run and their outputs to render")

        errors = [f"code cell {i + 1}: {o['ename']}: {o['evalue']}"
                  for i, c in enumerate(state["cells"]) for o in c["outputs"] if o["type"] == "error"]
        assert not errors, "cells raised errors:\n" + "\n".join(errors)
        assert not (state["runAll"] or "").startswith("error"), f"Run All failed: {state['runAll']}"
        assert not state["stderr"], f"cells wrote to stderr: {state['stderr']}"
        assert state["reportTables"] >= 1, "no table.koan-report in any output area"
        vega_models = sum(1 for c in state["cells"] for o in c["outputs"]
                          if any(m.startswith("application/vnd.vegalite") for m in o["mimes"]))
        assert vega_models >= 1, "no output carries application/vnd.vegalite.*"
        assert state["vegaRendered"] >= vega_models, (
            f"{state['vegaRendered']} of {vega_models} Vega-Lite outputs rendered as svg/canvas")
        # The HTML report is really there, as a table, in the page.
        from selenium.webdriver.common.by import By
        table = driver.find_element(By.CSS_SELECTOR, ".jp-OutputArea-output table.koan-report")
        assert table.is_displayed()
        assert "precision" in table.text and "recall" in table.text, table.text
        ok = True
    finally:
        try:
            if driver is not None:
                try:
                    _screenshot(driver, SCREENSHOT)
                finally:
                    if not ok:
                        try:
                            console = driver.get_log("browser")
                            (OUT_DIR / "console.log").write_text(
                                "\n".join(f"{e.get('level')} {e.get('message')}" for e in console))
                        except Exception:
                            pass
                    driver.quit()
        finally:
            lab.stop()
            if not ok:
                for name in ("jupyterlab.log", "chromedriver.log"):
                    if (work / name).is_file():
                        shutil.copy2(work / name, OUT_DIR / name)
            shutil.rmtree(work, ignore_errors=True)
