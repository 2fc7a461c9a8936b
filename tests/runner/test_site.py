"""The report index (reports/index.html, index.en.html): content, links, and a phone-sized
screenshot in headless Chromium (skipped when no Chromium is installed)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from khuyencong import fingerprint
from khuyencong.runner import site
from khuyencong.runner.run import Options, run_reports
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
    return root / "reports"


def chromium() -> str | None:
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.access(p, os.X_OK)), None)


def test_index_lists_every_province_with_numbers_and_working_links(reports):
    for name, lang, ratio in (("index.html", "vi", "2,33"), ("index.en.html", "en", "2.33")):
        html = (reports / name).read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html
        assert 'class="banner"' in html and "SYNTHETIC" in html
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
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert png.exists(), "Chromium wrote no screenshot"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (844, 390)
    top = pixels[:60, :, :3].reshape(-1, 3)
    assert (np.abs(top - [1.0, 212 / 255, 0.0]).max(axis=1) < 0.05).mean() > 0.3, "yellow SYNTHETIC banner on top"
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50, "the page looks blank"
