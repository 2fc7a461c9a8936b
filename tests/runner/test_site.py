"""The report index (reports/index.html, index.en.html): content, links, maps, bundles, a
phone-sized screenshot and a reader's session (sort, filter, follow a PDF link) in headless
Chromium (those two skipped when no Chromium is installed)."""
from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from khuyencong import fingerprint
from khuyencong.analysis import headlines
from khuyencong.core import i18n
from khuyencong.runner import config as runconfig
from khuyencong.runner import site
from khuyencong.runner.run import Options, run_reports
from khuyencong.views import real_summary
from run_project import make_project

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("site") / "p", {"nb_echo": "provinces"}, languages=("vi", "en"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KHUYENCONG_ROOT", str(root))
        mp.setattr(fingerprint, "package_hash", lambda cache: "pinned")
        assert run_reports(Options(workers=2)) == 0
        # one brief printed to PDF too (a real one, by the runner's Chromium), for the link-following test
        if chromium():
            assert run_reports(Options(workers=1, provinces=["Hà Nội"], langs=["vi"], formats=["html", "pdf"])) == 0
    return root / "reports"


def chromium() -> str | None:
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.access(p, os.X_OK)), None)


def test_index_lists_every_province_with_numbers_and_working_links(reports):
    for name, lang, ratio in (("index.html", "vi", "2,33"), ("index.en.html", "en", "2.33")):
        html = (reports / name).read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html
        assert html.count('class="banner"') == 1 and "SYNTHETIC" in html  # no REAL section: one banner on top
        for slug in ("all", "ha-noi", "can-tho"):
            assert f'id="{slug}"' in html
        row = html.split('id="ha-noi"', 1)[1].split("</tr>", 1)[0]
        assert f">{ratio} [" in row  # Hà Nội: Σ 2540 contribution / Σ 1088 state support, with its interval
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert {"index.html", "index.en.html"} & set(hrefs) and "manifest.json" in hrefs
        assert "vi/ha-noi/nb_echo/nb_echo.html" in hrefs and "en/ha-noi/nb_echo/nb_echo.html" in hrefs
        missing = [h for h in hrefs if not h.startswith(("#", "data:")) and not (reports / h).is_file()]
        assert not missing, missing
        # no external assets (links to the sources of published figures are fine; SVG namespaces are not loads)
        assert not re.search(r"""(src="https?://|<link[^>]+href="https?://|url\(["']?https?://)""", html)


def test_real_data_has_no_synthetic_banner():
    html = site.render("en", [], {}, "REAL", "abc", "2025-07-01", (2012, 2024))
    assert 'class="banner"' not in html and "SYNTHETIC" not in html


def test_index_renders_in_headless_chromium_on_a_phone(reports, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium binary (install Debian's `chromium` package to run this check)")
    png = tmp_path / "index.png"
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
           "--window-size=390,844", (reports / "index.html").as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=900, check=False)
    assert png.exists(), "Chromium wrote no screenshot"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (844, 390)
    top = pixels[:60, :, :3].reshape(-1, 3)
    assert (np.abs(top - [1.0, 212 / 255, 0.0]).max(axis=1) < 0.05).mean() > 0.3, "yellow SYNTHETIC banner on top"
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50, "the page looks blank"


# ---------------------------------------------------------------- headlines, intervals, maps (no runs)

EXTENDED = {"cost_per_trainee": ("cost_per_trainee_low", "cost_per_trainee_high"),
            "plan_attainment_trainees": ("plan_attainment_trainees_low", "plan_attainment_trainees_high")}
CURRENT = {"cofunding_ratio": ("cofunding_ratio_low", "cofunding_ratio_high"),
           "productivity_effect": ("productivity_effect_low", "productivity_effect_high")}


def _numbers(columns) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    values = rng.uniform(1.0, 2.0, size=(3, len(columns)))
    return pd.DataFrame(values, index=["all", "01", "92"], columns=columns)


def _places():
    return [runconfig.NATIONAL] + [runconfig.resolve_province(p, "2025")[0] for p in ("Hà Nội", "Cần Thơ")]


def _row(html: str, slug: str) -> list[str]:
    row = html.split(f'id="{slug}"', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num" data-sort="[^"]*">([^<]*)</td>', row)


@pytest.mark.parametrize("extended", [False, True], ids=["current", "extended"])
def test_every_headline_with_an_interval_shows_it(monkeypatch, extended):
    intervals = {**CURRENT, **(EXTENDED if extended else {})}
    names = [*headlines.HEADLINES, *(c for pair in intervals.values() for c in pair)]
    monkeypatch.setattr(headlines, "INTERVALS", intervals)
    numbers = _numbers(dict.fromkeys(names))
    html = site.render("en", [site.Section("2025", _places(), [], numbers, "SYNTHETIC")], {}, "SYNTHETIC",
                       "abc", "2025-07-01", (2012, 2024))
    cells = dict(zip((c for c in headlines.HEADLINES if c in site._LABELS), _row(html, "ha-noi")))
    assert cells.keys() == set(headlines.HEADLINES), "every headline has a label on the index"
    for col, text in cells.items():
        assert ("[" in text) == (col in intervals), (col, text)
        label = site._label(col, "en")
        assert label.endswith("[95% CI]") == (col in intervals) and label.count("[95% CI]") <= 1
    low, high = intervals["cofunding_ratio"]
    expected = numbers.loc["01", ["cofunding_ratio", low, high]]
    assert cells["cofunding_ratio"] == "{:.2f} [{:.2f}; {:.2f}]".format(*expected)


def test_the_index_writes_numbers_as_the_briefs_do():
    """Issue 19: one home for a headline: the index formats it with the brief's own rule."""
    from khuyencong.views.brief_text import fmt_value

    for col, measure in headlines.MEASURES.items():
        for value in (0.9876, 12.345, 1234.5):
            assert site._fmt(col, value, "vi") == fmt_value(measure, value, "vi")


def test_the_configured_map_shows_without_javascript_and_the_others_wait():
    maps = {"2025": [{"key": k, "label": k, "href": f"maps/2025-{k}.vi.svg"} for k in site.MAP_HEADLINES]}
    numbers = _numbers(headlines.HEADLINES)
    html = site.render("vi", [("2025", _places(), [], numbers)], {}, "SYNTHETIC", "abc", "2025-07-01", (2012, 2024),
                       maps=maps, map_headline="plan_attainment_trainees")
    figures = re.findall(r'<figure class="map" data-headline="([a-z_]+)"( hidden)?>', html)
    assert [k for k, _ in figures] == list(site.MAP_HEADLINES)
    assert [k for k, hidden in figures if not hidden] == ["plan_attainment_trainees"]
    assert '<p class="map-choice" hidden>' in html  # the switch appears only with JavaScript
    assert "— dữ liệu SYNTHETIC" in html  # each map's caption states the data status


# ---------------------------------------------------------------- data status per section, source counts

def _published(rows) -> pd.DataFrame:
    base = {"area_type": "province", "period_start": 2020, "period_end": 2020, "published": "2021-06-23",
            "retrieved": "2026-11-21"}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_sources_without_a_link_are_counted_and_cited():
    hy = {"province_code": "34", "province_code_2025": "33", "area": "Thái Bình"}
    figures = _published([
        {**hy, "url": "", "outlet": "Báo Công thương", "source": "Báo Công thương, “Thái Bình A”, 2021"},
        {**hy, "url": "", "outlet": "Báo Công thương", "source": "Báo Công thương, “Thái Bình B”, 2022"},
        {**hy, "url": "https://example.org/a", "outlet": "Báo X", "source": "Báo X, 2021"},
        {**hy, "url": "https://example.org/a", "outlet": "Báo X", "source": "Báo X, 2021"}])
    official = pd.DataFrame(columns=["series", "province_code", "year"])
    real = real_summary.index_section(figures, official, {}, "en")
    (place,) = real["places"]
    assert place["areas"] == "Hung Yen (Thái Bình)" and place["n_sources"] == 3
    assert len(place["sources"]) == 1 and len(place["unlinked"]) == 2
    assert "3 sources" in real["status"]
    html = site.render("en", [("2025", _places(), [], _numbers(headlines.HEADLINES))], {}, "SYNTHETIC", "abc",
                       "2025-07-01", (2012, 2024), real=real)
    assert "<summary>3</summary>" in html and "“Thái Bình B”" in html
    # the yellow banner sits over the SYNTHETIC section only, after the REAL one
    assert html.count('class="banner"') == 1
    assert html.index('id="real"') < html.index('class="banner"') > html.index('id="b-2025"')
    real_part = html.split('id="real"', 1)[1].split("</section>", 1)[0]
    assert "SYNTHETIC" not in real_part and "REAL" in real_part


def test_published_record_counts_every_source_of_each_province():
    from khuyencong.ingest.published import load_published

    figures = load_published()
    real = real_summary.index_section(figures, pd.DataFrame(columns=["series", "province_code", "year"]), {}, "vi")
    for place in real["places"]:
        assert place["n_sources"] == len(place["sources"]) + len(place["unlinked"]) >= 1, place["areas"]
    hung_yen = next(p for p in real["places"] if p["areas"].startswith("Hưng Yên"))
    assert "Thái Bình" in hung_yen["areas"] and hung_yen["n_sources"] >= 1


# ---------------------------------------------------------------- maps and bundles written by a run

def test_maps_are_written_once_per_headline_and_language(reports):
    for lang in ("vi", "en"):
        html = (reports / site.INDEX_FILES[lang]).read_text(encoding="utf-8")
        srcs = re.findall(r'<img src="([^"]+)"', html)
        assert srcs == [f"maps/2025-{k}.{lang}.svg" for k in site.MAP_HEADLINES if k in headlines.HEADLINES]
        for src in srcs:
            svg = (reports / src).read_text(encoding="utf-8")
            assert svg.startswith("<?xml") and "SYNTHETIC" in svg


def test_bundle_per_province_is_linked_and_rebuilt_only_when_its_tables_change(reports, monkeypatch):
    root = reports.parent
    monkeypatch.setenv("KHUYENCONG_ROOT", str(root))
    monkeypatch.setattr(fingerprint, "package_hash", lambda cache: "pinned")
    config = runconfig.load_config()
    places = {"2025": runconfig.places(config, "2025")}
    runs = runconfig.build_matrix(config)
    table = reports / "vi" / "can-tho" / "nb_echo" / "rows.csv"
    table.write_text("project_id,state_support\nP92,100.5\n", encoding="utf-8")

    def build():
        site.build_site(places, runs, {}, "v1", "2025-07-01", (2012, 2024), map_headline="cofunding_ratio")
        return json.loads((reports / ".state" / "site_outputs.json").read_text(encoding="utf-8"))

    keys = build()
    bundle = reports / "vi" / "can-tho" / "can-tho_tables.xlsx"
    assert "vi/can-tho/can-tho_tables.xlsx" in keys and "en/can-tho/can-tho_tables.xlsx" not in keys
    sheets = openpyxl.load_workbook(bundle).sheetnames
    assert sheets[0] == i18n.t("bd_about_sheet", "vi") and "rows" in sheets
    row = (reports / "index.html").read_text(encoding="utf-8").split('id="can-tho"', 1)[1].split("</tr>", 1)[0]
    assert 'class="bundle" href="vi/can-tho/can-tho_tables.xlsx"' in row
    first = bundle.stat().st_mtime_ns
    time.sleep(0.01)
    assert build() == keys and bundle.stat().st_mtime_ns == first, "nothing changed: nothing rewritten"
    table.write_text("project_id,state_support\nP92,200.5\n", encoding="utf-8")
    changed = build()
    assert changed["vi/can-tho/can-tho_tables.xlsx"] != keys["vi/can-tho/can-tho_tables.xlsx"]
    assert {k for k in keys if changed[k] != keys[k]} == {"vi/can-tho/can-tho_tables.xlsx"}
    cells = [c.value for row in openpyxl.load_workbook(bundle)["rows"].iter_rows() for c in row]
    assert 200.5 in cells and 100.5 not in cells


# ---------------------------------------------------------------- a reader's session in Chromium

def _above_ten(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    it reads commands on fd 3 and answers on fd 4, NUL-separated JSON; no extra package needed)."""

    def __init__(self, browser: str, profile: Path):
        cmd_read, self._write = os.pipe()
        self._read, reply_write = os.pipe()
        # the child's ends, moved above 3 and 4 so that placing them there cannot clobber one another
        # (bash, not sh: dash redirects single-digit descriptors only)
        cmd_read, reply_write = (_above_ten(fd) for fd in (cmd_read, reply_write))
        script = f'exec "$0" "$@" 3<&{cmd_read} 4>&{reply_write} {cmd_read}<&- {reply_write}>&-'
        self.proc = subprocess.Popen(["bash", "-c", script, browser, *CHROMIUM_FLAGS, "--remote-debugging-pipe",
                                      f"--user-data-dir={profile}", "about:blank"],
                                     pass_fds=(cmd_read, reply_write), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(cmd_read)
        os.close(reply_write)
        self._buffer, self._id, self.events = b"", 0, []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", page=True)

    def _message(self, timeout: float = 60) -> dict:
        while b"\0" not in self._buffer:
            if not select.select([self._read], [], [], timeout)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, page: bool = False, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if page:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return reply["result"]
            self.events.append(reply)

    def wait(self, accept, timeout: float = 60) -> dict:
        """The first event (already received or coming) for which ``accept(event)`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.events if accept(e)), None)
            if found:
                self.events.remove(found)
                return found
            self.events.append(self._message(max(0.1, deadline - time.monotonic())))

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", page=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", page=True, url=url)
        self.wait(lambda e: e.get("method") == "Page.loadEventFired")

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        os.close(self._read)


@pytest.fixture
def devtools(tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium binary (install Debian's `chromium` package to run this check)")
    tools = DevTools(browser, tmp_path / "profile")
    yield tools
    tools.close()


ORDER = "Array.from(document.querySelector('#b-2025 table.provinces').tBodies[0].rows).map(r => r.id)"
VISIBLE = ("Array.from(document.querySelector('#b-2025 table.provinces').tBodies[0].rows)"
           ".filter(r => !r.hidden).map(r => r.id)")


def test_reader_sorts_filters_switches_the_map_and_opens_a_pdf(reports, devtools, tmp_path):
    devtools.open((reports / "index.html").as_uri())
    assert devtools.js(ORDER) == ["all", "can-tho", "ha-noi"]  # without a click: national, then by name
    # sort by the co-funding ratio: ascending, then descending, by the numbers the cells hold
    column = devtools.js("Array.from(document.querySelectorAll('#b-2025 thead th')).findIndex("
                         "th => th.textContent.startsWith('Tỷ lệ đối ứng'))")
    values = devtools.js(f"Object.fromEntries(Array.from(document.querySelectorAll('#b-2025 tbody tr'))"
                         f".map(r => [r.id, parseFloat(r.cells[{column}].dataset.sort)]))")
    ascending = sorted(values, key=values.get)
    assert ascending != ["all", "can-tho", "ha-noi"], "the test data must make sorting visible"
    button = f"document.querySelectorAll('#b-2025 thead th')[{column}].querySelector('button')"
    devtools.js(f"{button}.click()")
    assert devtools.js(ORDER) == ascending and devtools.js(f"{button}.getAttribute('aria-sort')") == "ascending"
    devtools.js(f"{button}.click()")
    assert devtools.js(ORDER) == ascending[::-1]
    # filter by region: Cần Thơ's region keeps Cần Thơ and the national row
    devtools.js("var s = document.querySelector('#b-2025 .region-filter'); s.value = 'MRD';"
                "s.dispatchEvent(new Event('change'))")
    assert sorted(devtools.js(VISIBLE)) == ["all", "can-tho"]
    # the map switch appears with JavaScript and shows one map at a time
    assert devtools.js("document.querySelector('#b-2025 .map-choice').hidden") is False
    devtools.js("var m = document.querySelector('#b-2025 .map-select'); m.value = 'productivity_effect';"
                "m.dispatchEvent(new Event('change'))")
    shown = "Array.from(document.querySelectorAll('#b-2025 figure.map')).filter(f => !f.hidden)"
    assert devtools.js(f"{shown}.map(f => f.dataset.headline)") == ["productivity_effect"]
    assert devtools.js(f"{shown}[0].querySelector('img').naturalWidth > 100 || new Promise(r => "
                       f"{shown}[0].querySelector('img').onload = () => r(true))") is True
    # follow Hà Nội's PDF link: the browser fetches the PDF the runner printed
    href = devtools.js("document.querySelector('#ha-noi a.fmt[href$=\".pdf\"]').getAttribute('href')")
    assert href == "vi/ha-noi/nb_echo/nb_echo.pdf"
    downloads = tmp_path / "downloads"
    devtools.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads), eventsEnabled=True)
    devtools.js("document.querySelector('#ha-noi a.fmt[href$=\".pdf\"]').click()")
    event = devtools.wait(lambda e: e.get("method") == "Browser.downloadProgress"
                          and e["params"]["state"] != "inProgress"
                          or e.get("method") == "Page.frameNavigated" and e["params"]["frame"]["url"].endswith(".pdf"))
    expected = (reports / href).read_bytes()
    assert expected.startswith(b"%PDF-")
    if event["method"] == "Page.frameNavigated":  # opened in the browser's PDF viewer
        assert event["params"]["frame"]["url"] == (reports / href).as_uri()
        devtools.wait(lambda e: e.get("method") == "Page.loadEventFired")
        assert devtools.js("document.contentType") == "application/pdf"
    else:                                         # downloaded
        assert event["params"]["state"] == "completed"
        (got,) = [p for p in downloads.iterdir() if p.suffix == ".pdf"]
        assert got.read_bytes() == expected


def test_legacy_map_leaves_out_ha_tay_which_has_no_tile(tmp_path, monkeypatch, caplog):
    """The legacy area table lists Hà Tây (merged into Hà Nội in 2008); the tile map has no tile for it.
    Empty, it is left out quietly; with a number, the map says which code it could not draw."""
    from khuyencong.core import provinces

    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    (tmp_path / "reports").mkdir()
    codes = [p.code for p in provinces.records("legacy", include_ha_tay=True)] + [provinces.ALL]
    assert "28" in codes
    numbers = headlines.from_rows(pd.DataFrame([
        {"level": "country" if c == provinces.ALL else "province", "measure": "cofunding_ratio", "area_code": c,
         "value": 1.0 + i / 100, "low": 1.0, "high": 2.0} for i, c in enumerate(codes) if c != "28"]))
    numbers = numbers.reindex(codes)
    section = site.Section("legacy", [], [], numbers, "SYNTHETIC")
    maps = site._maps(section, "vi", site._Outputs())
    assert [m["key"] for m in maps] == [k for k in site.MAP_HEADLINES if k in numbers]
    assert "no tile" not in caplog.text
    numbers.loc["28", "cofunding_ratio"] = 3.0
    with caplog.at_level("WARNING"):
        site._maps(site.Section("legacy", [], [], numbers, "SYNTHETIC"), "en", site._Outputs())
    assert "no tile for province code(s) 28" in caplog.text
