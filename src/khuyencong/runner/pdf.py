"""Print an HTML report to an A4 PDF with headless Chromium.

The printed copy gets a print style sheet: A4 pages with page numbers ("3 / 12") and a note in
the page margin on every page — the SYNTHETIC warning when the report says its data are
synthetic, else the data-status line — and no external scripts (the reports need none, and a
print must not wait for the network). Chromium's own header and footer (date, file path) are
off, and the PDF's creation dates and element ids are fixed (:func:`stable`), so the same HTML
gives the same PDF bytes.

Starting Chromium costs about as much as printing a brief, so each process keeps one
warm browser (:class:`Browser`, driven over the DevTools protocol on a pipe) for all the
PDFs it prints: started at the first PDF, started again if it died, shut down when the process
exits. It prints with the settings of Chromium's ``--print-to-pdf`` (``fresh=True`` uses that
command line itself), so both give the same bytes.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from khuyencong.errors import EnvironmentProblem
from khuyencong.files import atomic_write_bytes

log = logging.getLogger(__name__)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I)
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:[0-9+\-Z']+\)")
_NODE_IDS = re.compile(rb"(?<=\()node(\d+)(?=\))")
FIXED_DATE = b"D:20000101000000+00'00'"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-dev-shm-usage", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
         "--disable-breakpad", "--disable-crash-reporter")
# What ``--print-to-pdf --no-pdf-header-footer`` asks the page for (headless command handler).
PRINT_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
START_TIMEOUT_S = 60
BLANK = "about:blank"

PRINT_CSS = """
@page { size: A4; margin: 16mm 13mm 18mm 13mm;
  @top-center { content: "%(banner)s"; color: %(colour)s; font: 700 9pt "DejaVu Sans", sans-serif; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 9pt "DejaVu Sans", sans-serif; }
  @bottom-left { content: "%(footer)s"; color: #555; font: 8pt "DejaVu Sans", sans-serif; } }
@media print {
  body, .jp-RenderedHTMLCommon { font-family: "DejaVu Sans", sans-serif; }
  pre { font-family: "DejaVu Sans", sans-serif; white-space: pre-wrap; }
  .jp-Cell, .jp-OutputArea-output, table, figure, img { break-inside: avoid; }
  img { max-width: 100%% !important; height: auto; }
  .jp-Notebook { padding: 0 !important; }
}
"""


def browser() -> str:
    """The path of a Chromium-like browser; EnvironmentProblem (exit 5) naming the fix when none is installed."""
    wanted = os.environ.get("KHUYENCONG_CHROMIUM")
    for name in ((wanted,) if wanted else BROWSERS):
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentProblem("PDF output needs headless Chromium and none was found "
                             f"(looked for {', '.join((wanted,) if wanted else BROWSERS)}): install it "
                             "(Debian/Ubuntu: apt-get install chromium fonts-dejavu-core), set "
                             "KHUYENCONG_CHROMIUM to its path, or run without pdf in --formats")


def _css_text(text: str) -> str:
    """``text`` as the inside of a CSS string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def print_html(html: str, banner: str = "", footer: str = "", alert: bool = False) -> str:
    """``html`` ready to print: external scripts removed, the print style sheet added.
    ``banner`` goes in the top margin of every page (red and bold when ``alert``), ``footer``
    in the bottom-left margin."""
    css = PRINT_CSS % {"banner": _css_text(banner), "footer": _css_text(footer),
                       "colour": "#c00000" if alert else "#333"}
    html = _EXTERNAL_SCRIPT.sub("", html)
    head_end = html.find("</head>")
    style = f"<style>{css}</style>"
    return html[:head_end] + style + html[head_end:] if head_end >= 0 else style + html


def stable(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to :data:`FIXED_DATE` and the element
    ids of its tagged structure (``node00000066``: the renderer's DOM node numbers, which depend on
    what it loaded before) numbered 1, 2, 3 … in their order. Every replacement has the length of
    what it replaces, so the cross-reference offsets stay valid."""
    def date(m: re.Match) -> bytes:
        fixed = b"/" + m.group(1) + b" (" + FIXED_DATE + b")"
        return fixed if len(fixed) == len(m.group(0)) else m.group(0)

    rank = {n: i for i, n in enumerate(sorted({int(n) for n in _NODE_IDS.findall(pdf)}), 1)}
    def node(m: re.Match) -> bytes:
        width = len(m.group(1))
        fixed = str(rank[int(m.group(1))]).zfill(width).encode()
        return b"node" + fixed if len(fixed) == width else m.group(0)

    return _NODE_IDS.sub(node, _DATES.sub(date, pdf))


def browser_env(profile: Path) -> dict[str, str]:
    """The browser's environment: its home, config, cache and crash folders inside its own ``profile``
    folder, so nothing is written to the user's home (Chromium writes ``~/.config/chromium`` and
    dconf's ``~/.cache/dconf`` otherwise)."""
    home = profile / "home"
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_RUNTIME_DIR": str(home / "run"), "BREAKPAD_DUMP_LOCATION": str(profile / "crashes")}


def _profile_flags(profile: Path) -> list[str]:
    return [f"--user-data-dir={profile}", f"--crash-dumps-dir={profile / 'crashes'}"]


def _print_fresh(exe: str, page: Path, out: Path, profile: Path, timeout: int) -> None:
    """Print ``page`` to ``out`` with a browser started for this one page (``--print-to-pdf``)."""
    cmd = [exe, *FLAGS, *_profile_flags(profile), f"--print-to-pdf={out}", page.as_uri()]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, env=browser_env(profile))
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(f"Chromium did not print {page.name} within {timeout} s") from None
    if not out.exists() or out.stat().st_size == 0:
        detail = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise EnvironmentProblem(f"Chromium could not print to PDF: {detail}")


def html_to_pdf(html_path: Path, pdf_path: Path, banner: str = "", footer: str = "", alert: bool = False,
                timeout: int = TIMEOUT_S, fresh: bool = False) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, page numbers, ``banner``/``footer`` on every page), atomically,
    with this process's warm browser (``fresh``: a browser started for this PDF only)."""
    exe = browser()
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="kc-pdf-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(print_html(html_path.read_text(encoding="utf-8"), banner, footer, alert), encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        try:
            if not fresh:
                try:
                    out.write_bytes(_print_warm(exe, page, timeout))
                except EnvironmentProblem as exc:  # the same bytes from a browser of its own, once
                    log.info("%s: the warm browser failed (%s); printing with a browser for this page", html_path.name,
                             exc)
                    fresh = True
            if fresh:
                _print_fresh(exe, page, out, Path(tmp) / "profile", timeout)
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(f"{html_path.name}: {exc}") from None
        atomic_write_bytes(pdf_path, stable(out.read_bytes()))
    return pdf_path


RENDERER_GONE = "Render process gone"


def _print_warm(exe: str, page: Path, timeout: int, attempts: int = 3) -> bytes:
    """``page`` printed by the warm browser. A tab whose renderer Chromium dropped is tried again in
    a new tab of the same browser; a browser that fails otherwise (dead, closed pipe, timeout) is
    replaced."""
    problem = None
    for _ in range(attempts):
        try:
            return warm(exe).print_page(page, timeout)
        except Exception as exc:  # noqa: BLE001 — any failure of the browser: try again, then report it
            problem = exc
            if RENDERER_GONE in str(exc) and _WARM and _WARM[0].alive():
                log.info("Chromium dropped the page's renderer; printing it again in a new tab")
                time.sleep(0.5)
            else:
                log.info("Chromium failed (%s); starting it again", exc)
                shutdown()
    raise EnvironmentProblem(f"Chromium could not print to PDF: {problem}")


class Browser:
    """One headless Chromium driven over the DevTools protocol on a pair of pipes
    (``--remote-debugging-pipe``: no port for other users to reach); each page printed in a tab of
    its own. Chromium exits when its command pipe closes, so a worker that is killed takes its
    browser with it.
    """

    def __init__(self, exe: str, timeout: int = START_TIMEOUT_S):
        from multiprocessing import util

        self.profile = Path(tempfile.mkdtemp(prefix="kc-chromium-"))
        commands, self._commands = os.pipe()
        self._replies, replies = os.pipe()
        cmd = [exe, *FLAGS, *_profile_flags(self.profile), "--remote-debugging-pipe", BLANK]
        # Chromium reads commands on fd 3 and writes replies on fd 4.
        self.proc = subprocess.Popen(["/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 0</dev/null 1>/dev/null', "sh", *cmd],
                                     stdin=commands, stdout=replies, stderr=subprocess.DEVNULL,
                                     env=browser_env(self.profile))
        os.close(commands)
        os.close(replies)
        # Stopped at process exit too: pool workers run multiprocessing's finalizers, not atexit.
        self._stop = util.Finalize(None, _stop, args=(self.proc, self._commands, self._replies, self.profile),
                                   exitpriority=10)
        self.calls, self.buffer, self.timeout = 0, b"", timeout
        try:
            self._ready(timeout)
        except Exception:
            self.close()
            raise

    def _ready(self, timeout: int) -> None:
        """Print a blank page until one prints: in its first second or two Chromium may drop the
        renderer of a new tab ("Render process gone")."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.print_page(BLANK, timeout)
                return
            except EnvironmentProblem:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.2)

    def _receive(self) -> dict:
        """The next message from the browser (messages end with a NUL byte)."""
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise EnvironmentProblem(f"Chromium did not answer within {self.timeout} s")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise EnvironmentProblem("Chromium exited")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one DevTools command (to ``session``'s tab, else the browser) and return its result."""
        self.calls += 1
        message = {"id": self.calls, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        return self._wait(session, lambda m: m.get("id") == self.calls)["result"]

    def _wait(self, session: str | None, wanted) -> dict:
        """The next message ``wanted`` accepts; an error reply, or ``session``'s tab losing its
        renderer, raises EnvironmentProblem. Other messages (events) are dropped."""
        while True:
            message = self._receive()
            if "error" in message and message.get("id") == self.calls:
                raise EnvironmentProblem(f"Chromium: {message['error'].get('message')}")
            if session and message.get("method") == "Inspector.detached" and message.get("sessionId") == session:
                raise EnvironmentProblem(f"Chromium: {message['params'].get('reason')}")
            if wanted(message):
                return message

    def print_page(self, page: Path | str, timeout: int = TIMEOUT_S) -> bytes:
        """The PDF of ``page`` (a local file, or a URL) once it has loaded, printed as
        ``--print-to-pdf`` does: a new blank tab, in a browser context of its own, goes to the page
        once the blank page has loaded (a renderer numbers the tagged PDF's elements on from the
        documents it had, so the tab must have had exactly these two)."""
        self.timeout = timeout
        url = page.as_uri() if isinstance(page, Path) else page
        context = self.call("Target.createBrowserContext")["browserContextId"]
        try:
            target = self.call("Target.createTarget", url=BLANK, browserContextId=context)["targetId"]
            session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self._loaded(session, BLANK, timeout)
            if url != BLANK:
                self.call("Page.navigate", session, url=url)
                self._loaded(session, url, timeout)
            return base64.b64decode(self.call("Page.printToPDF", session, **PRINT_OPTIONS)["data"])
        finally:
            if self.alive():
                self.call("Target.disposeBrowserContext", browserContextId=context)

    def _loaded(self, session: str, url: str, timeout: int) -> None:
        """Wait until the tab shows ``url`` with its load event done."""
        check = f"document.readyState === 'complete' && location.href === {json.dumps(url)}"
        deadline = time.monotonic() + timeout
        while not self.call("Runtime.evaluate", session, expression=check, returnByValue=True)["result"].get("value"):
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"the page did not load within {timeout} s")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the browser and remove its profile (once)."""
        self._stop()


def _stop(proc: subprocess.Popen, commands: int, replies: int, profile: Path) -> None:
    """Close the pipes (Chromium then exits), wait for it, remove the profile."""
    for fd in (commands, replies):
        os.close(fd)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(profile, ignore_errors=True)


_WARM: list[Browser] = []   # this process's browser (at most one)


def warm(exe: str) -> Browser:
    """This process's running browser, started (again) when there is none or it died."""
    if _WARM and _WARM[0].alive():
        return _WARM[0]
    if _WARM:
        log.info("Chromium had stopped; starting it again")
        shutdown()
    _WARM.append(Browser(exe))
    return _WARM[0]


def shutdown() -> None:
    """Close this process's warm browser, if any."""
    while _WARM:
        _WARM.pop().close()


def status_lines(synthetic: bool, synthetic_note: str, real_note: str, title: str) -> dict:
    """Keyword arguments of :func:`html_to_pdf` for a report: the SYNTHETIC warning on top of
    every page of a synthetic report, else the real-data note; the title bottom left."""
    return {"banner": synthetic_note if synthetic else real_note, "footer": title, "alert": synthetic}

