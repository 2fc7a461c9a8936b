"""HTML → A4 PDF with headless Chromium: diacritics, banner on every page, page numbers, stable bytes;
the warm browser prints the same bytes as a fresh one, comes back when it dies, and goes when its
process ends (normally, or killed)."""
import multiprocessing
import os
import shutil
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from khuyencong.errors import EXIT_ENVIRONMENT, EnvironmentProblem
from khuyencong.runner import pdf

needs_browser = pytest.mark.skipif(not any(shutil.which(b) for b in pdf.BROWSERS), reason="no Chromium installed")
TABLE = "<table><tr><th>Tỉnh</th><th>Tỷ lệ</th></tr><tr><td>Cần Thơ</td><td>4,07</td></tr></table>"  # tagged ids
BODY = TABLE + "".join(f"<p>Đoạn {i}: Cần Thơ, Đắk Lắk, Thừa Thiên Huế — 1.234,5</p>" for i in range(120))
STATUS = {"banner": "DỮ LIỆU MÔ PHỎNG", "footer": "Bản tin", "alert": True}


@pytest.fixture()
def page(tmp_path) -> Path:
    path = tmp_path / "r.html"
    path.write_text(f"<html><head><meta charset='utf-8'></head><body>{BODY}</body></html>", encoding="utf-8")
    return path


@pytest.fixture()
def no_warm_browser():
    pdf.shutdown()
    yield
    pdf.shutdown()


def test_missing_browser_is_an_environment_problem(monkeypatch):
    monkeypatch.setenv("KHUYENCONG_CHROMIUM", "no-such-browser-here")
    with pytest.raises(EnvironmentProblem) as info:
        pdf.browser()
    assert info.value.exit_code == EXIT_ENVIRONMENT


def test_print_html_drops_external_scripts_and_adds_page_style():
    html = '<html><head><script src="https://cdn.example/x.js"></script></head><body>x</body></html>'
    out = pdf.print_html(html, banner='DỮ LIỆU "MÔ PHỎNG"', footer="Cần Thơ")
    assert "cdn.example" not in out and "size: A4" in out and 'DỮ LIỆU \\"MÔ PHỎNG\\"' in out


def test_stable_fixes_dates_and_numbers_element_ids_in_order_keeping_lengths():
    raw = (b"/CreationDate (D:20261130234100+00'00') /ID (node00000066) /K [(node00000070) (node00000068)]"
           b" /Limits [(node00000066) (node00000070)] (nodes) /ModDate (D:20261130234100+00'00')")
    fixed = pdf.stable(raw)
    assert len(fixed) == len(raw)
    assert fixed == (b"/CreationDate (D:20000101000000+00'00') /ID (node00000001) /K [(node00000003) "
                     b"(node00000002)] /Limits [(node00000001) (node00000003)] (nodes) "
                     b"/ModDate (D:20000101000000+00'00')")
    assert pdf.stable(raw.replace(b"0066", b"0065").replace(b"0070", b"0069").replace(b"0068", b"0067")) == fixed


@needs_browser
def test_pdf_text_pages_and_the_same_bytes_warm_or_fresh(page, tmp_path, no_warm_browser):
    pdfplumber = pytest.importorskip("pdfplumber")
    fresh = pdf.html_to_pdf(page, tmp_path / "fresh.pdf", fresh=True, **STATUS)
    warm = [pdf.html_to_pdf(page, tmp_path / f"warm{i}.pdf", **STATUS).read_bytes() for i in range(3)]
    assert b"(node00000001)" in warm[0]  # tagged, with its element ids numbered by pdf.stable
    assert all(pdf_bytes == fresh.read_bytes() for pdf_bytes in warm)
    assert len(pdf._WARM) == 1 and pdf._WARM[0].alive()  # one browser printed the three
    with pdfplumber.open(fresh) as doc:
        texts = [p.extract_text() for p in doc.pages]
    assert len(texts) > 1
    assert all("DỮ LIỆU MÔ PHỎNG" in t and f"{i} / {len(texts)}" in t for i, t in enumerate(texts, 1))
    assert "Thừa Thiên Huế" in texts[0]


def _chromium_with(profile: Path) -> list[int]:
    """Pids of live processes started with ``profile`` as their user-data-dir."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(") ")[-1][:1]
        except (OSError, ValueError):
            continue
        if f"--user-data-dir={profile}".encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _gone(profile: Path, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while _chromium_with(profile) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _chromium_with(profile)


@needs_browser
def test_a_browser_that_died_is_started_again_and_shutdown_stops_it(page, tmp_path, no_warm_browser):
    pdf.html_to_pdf(page, tmp_path / "a.pdf", **STATUS)
    dead = pdf._WARM[0]
    for pid in _chromium_with(dead.profile):
        os.kill(pid, signal.SIGKILL)
    assert _gone(dead.profile)
    again = pdf.html_to_pdf(page, tmp_path / "b.pdf", **STATUS)
    assert again.read_bytes() == (tmp_path / "a.pdf").read_bytes()
    assert pdf._WARM[0] is not dead and pdf._WARM[0].alive()
    profile = pdf._WARM[0].profile
    pdf.shutdown()
    assert _gone(profile) and not profile.exists() and pdf._WARM == []


def _print_in_worker(page: str, out: str) -> str:
    pdf.html_to_pdf(Path(page), Path(out), **STATUS)
    return str(pdf._WARM[0].profile)


def _print_and_die(page: str, out: str) -> None:
    pdf.html_to_pdf(Path(page), Path(out), **STATUS)
    Path(out).with_suffix(".profile").write_text(str(pdf._WARM[0].profile))
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.slow
@needs_browser
def test_a_pool_worker_stops_its_browser_when_it_exits(page, tmp_path):
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        profile = Path(pool.submit(_print_in_worker, str(page), str(tmp_path / "a.pdf")).result())
        assert _chromium_with(profile)
    assert _gone(profile) and not profile.exists()


@pytest.mark.slow
@needs_browser
def test_a_killed_process_takes_its_browser_with_it(page, tmp_path):
    spawn = multiprocessing.get_context("spawn")
    child = spawn.Process(target=_print_and_die, args=(str(page), str(tmp_path / "a.pdf")))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    profile = Path((tmp_path / "a.profile").read_text())
    assert _gone(profile)
    shutil.rmtree(profile, ignore_errors=True)  # a killed process cannot clean up its profile


class _FlakyBrowser:
    """A warm browser whose tabs lose their renderer ``drops`` times before a page prints."""

    def __init__(self, drops: int):
        self.drops, self.prints = drops, 0

    def alive(self) -> bool:
        return True

    def print_page(self, page, timeout):
        self.prints += 1
        if self.prints <= self.drops:
            raise EnvironmentProblem(f"Chromium: {pdf.RENDERER_GONE}.")
        return b"%PDF-1.4 printed"

    def close(self) -> None:
        pass


def test_a_dropped_renderer_is_printed_again_in_a_new_tab_of_the_same_browser(monkeypatch, no_warm_browser):
    flaky = _FlakyBrowser(drops=2)
    monkeypatch.setattr(pdf, "_WARM", [flaky])
    monkeypatch.setattr(pdf.time, "sleep", lambda s: None)
    assert pdf._print_warm("chromium", Path("page.html"), 5) == b"%PDF-1.4 printed"
    assert flaky.prints == 3 and pdf._WARM == [flaky]
    gone_for_good = _FlakyBrowser(drops=99)
    monkeypatch.setattr(pdf, "_WARM", [gone_for_good])
    with pytest.raises(EnvironmentProblem, match="Render process gone"):
        pdf._print_warm("chromium", Path("page.html"), 5)


def test_when_the_warm_browser_keeps_failing_a_browser_for_the_page_prints_it(monkeypatch, page, tmp_path):
    monkeypatch.setattr(pdf, "browser", lambda: "chromium")

    def warm_fails(exe, page, timeout):
        raise EnvironmentProblem("Chromium did not answer within 5 s")

    def fresh_prints(exe, page, out, profile, timeout):
        out.write_bytes(b"%PDF-1.4 from a browser of its own")

    monkeypatch.setattr(pdf, "_print_warm", warm_fails)
    monkeypatch.setattr(pdf, "_print_fresh", fresh_prints)
    made = pdf.html_to_pdf(page, tmp_path / "r.pdf", **STATUS)
    assert made.read_bytes().startswith(b"%PDF-1.4 from a browser of its own")

    def fresh_fails(exe, page, out, profile, timeout):
        raise EnvironmentProblem("Chromium could not print to PDF: no output")

    monkeypatch.setattr(pdf, "_print_fresh", fresh_fails)
    with pytest.raises(EnvironmentProblem, match="r.html: Chromium could not print to PDF"):
        pdf.html_to_pdf(page, tmp_path / "again.pdf", **STATUS)
