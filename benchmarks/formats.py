"""Section 5c of the bench: what the PDF and the Word file add to a province brief (issue 14's
target: PDF + DOCX add at most 0.5 s per brief).

In the scratch project (its processed data built): the brief (``90_province_report``) of K
provinces spread over the list (``--formats-provinces``, Hà Nội first), in Vietnamese, run by the
engine with one worker and warm kernels — once with ``--formats html`` and once with
``--formats html,pdf,docx``, each ``--force``, after one untimed HTML run of the first province
(it fills the shared brief-table cache, which would otherwise be charged to the first timed run).
Added seconds per brief = (wall with PDF + DOCX − wall with HTML only) / K; it includes starting
the worker's browser once. Then, in one child, the pieces on the first province's published brief:
``runner.pdf.html_to_pdf`` with the process's warm browser (one warm-up, which starts it, then
median of 5) and with ``fresh=True`` (a browser per PDF, median of 3), and the Word brief as the
engine builds it (``views.docx_brief.from_run`` + ``save``, median of 5). Without Chromium
(``runner.pdf.BROWSERS`` or ``KHUYENCONG_CHROMIUM``) the section is one row saying it was skipped.

``bench.py`` calls :func:`measure_formats` and :func:`formats_rows`; ``bench.py --only formats``
runs :func:`run_only`, this section alone merged into the last ``results.json``. The children
(:data:`CHILDREN`) run as ``bench.py --child formats_…``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the scratch project, children, measurements and publishing)

NOTEBOOK = "90_province_report"
LANG = "vi"
BOUNDARIES = "2025"
PDF_WARM_REPEATS, PDF_FRESH_REPEATS, DOCX_REPEATS = 5, 3, 5


def engine_args(codes: list[str], formats: str) -> list[str]:
    """``khuyencong run`` arguments: the brief of ``codes`` in :data:`LANG`, forced, 1 worker, warm kernels."""
    args = ["run", "--force", "--workers", "1", "--kernels", "warm", "--boundaries", BOUNDARIES,
            "--lang", LANG, "--notebook", NOTEBOOK, "--formats", formats]
    for code in codes:
        args += ["--province", code]
    return args


def timed_run(root: Path, places: list[dict], formats: str) -> dict:
    """Wall time of the briefs of ``places`` with ``formats`` and each run's duration (the worker's
    share: notebook, HTML, PDF, DOCX); fails unless every run succeeded."""
    load = os.getloadavg()[0]
    wall, out, cpu = bench.khuyencong(root, *engine_args([p["code"] for p in places], formats))
    summary = bench.run_summary(out)
    if summary["failed"] or summary["ok"] != len(places):
        raise RuntimeError(f"the briefs with --formats {formats} did not all run: {summary}\n{bench._tail(out)}")
    manifest = json.loads((root / "reports" / "manifest.json").read_text(encoding="utf-8"))
    took = {r["label"]: r["duration_s"] for r in manifest["runs"]}
    return {"formats": formats, "wall_s": wall, "runs": summary["ok"], "cpu_s": cpu, "load_average_before": load,
            "durations_s": [took[f"{LANG}/{p['slug']}/{NOTEBOOK}"] for p in places]}


def measure_formats(root: Path, k: int) -> dict:
    """The section on the scratch project ``root`` (processed data built: ``make data``), ``k`` provinces."""
    found = bench.run_child(root, "formats_browser")
    if found.get("skipped"):
        return {"skipped": found["skipped"]}
    places = bench.run_child(root, "places", config="reports.yml")["places"]
    chosen = bench.pick_spread([p for p in places if p["code"] is not None], k)
    slugs = [p["slug"] for p in chosen]
    bench.khuyencong(root, *engine_args([chosen[0]["code"]], "html"))  # untimed: fills the shared brief-table cache
    html = timed_run(root, chosen, "html")
    full = timed_run(root, chosen, "html,pdf,docx")
    direct = bench.run_child(root, "formats_direct", slugs=slugs)
    return {"provinces": slugs, "lang": LANG, "browser": found["browser"], "html": html, "all": full,
            "direct": direct}


def formats_rows(f: dict) -> list[dict]:
    """Results table rows of the PDF/DOCX section (one row when it was skipped)."""
    if f.get("skipped"):
        return [bench.measurement("PDF + DOCX per brief", float("nan"), "s", f"skipped: {f['skipped']}")]
    k, html, full, d = len(f["provinces"]), f["html"], f["all"], f["direct"]
    warm, fresh, docx = d["pdf_warm"], d["pdf_fresh"], d["docx"]
    where = f"{k} briefs ({', '.join(f['provinces'])}), {f['lang']}, 1 worker, warm kernels"

    added_per_run = ", ".join(f"{b - a:+.1f}" for a, b in zip(html["durations_s"], full["durations_s"]))

    def took(run: dict) -> str:
        return f"runs took {', '.join(f'{s:.1f}' for s in run['durations_s'])} s"

    return [
        bench.measurement("brief, HTML only", html["wall_s"] / k, "s",
                          f"wall {html['wall_s']:.1f} s / {k}; {where}; {took(html)}; load average "
                          f"{html['load_average_before']:.1f} before"),
        bench.measurement("brief, HTML + PDF + DOCX", full["wall_s"] / k, "s",
                          f"wall {full['wall_s']:.1f} s / {k}; the same briefs; {took(full)}; load average "
                          f"{full['load_average_before']:.1f} before"),
        bench.measurement("pdf_docx_added_s_per_brief", (full["wall_s"] - html["wall_s"]) / k, "s",
                          f"difference of the two walls / {k}, including the worker starting its browser once; "
                          f"per run (worker's share) {added_per_run} s; "
                          f"the parts measured directly: PDF {warm['median_s']:.2f} s + DOCX "
                          f"{docx['median_s']:.2f} s = {warm['median_s'] + docx['median_s']:.2f} s"),
        bench.measurement("PDF of one brief, warm browser", warm["median_s"], "s",
                          f"runner.pdf.html_to_pdf on {d['slug']}'s brief ({d['pdf_pages']} pages, "
                          f"{d['pdf_kb']:.0f} kB); median of {len(warm['samples_s'])} after one warm-up "
                          f"({warm['warmup_s']:.2f} s, starts the browser)"),
        bench.measurement("PDF of one brief, fresh browser", fresh["median_s"], "s",
                          f"html_to_pdf(fresh=True): Chromium's --print-to-pdf, one browser per PDF; "
                          f"median of {len(fresh['samples_s'])}"),
        bench.measurement("DOCX of one brief", docx["median_s"], "s",
                          f"views.docx_brief.from_run + save, as the engine builds it ({d['docx_kb']:.0f} kB); "
                          f"median of {len(docx['samples_s'])}"),
    ]


def say_formats(f: dict) -> None:
    if f.get("skipped"):
        bench.say(f"   skipped: {f['skipped']}")
        return
    k = len(f["provinces"])
    d = f["direct"]
    bench.say(f"   {k} briefs: HTML only {f['html']['wall_s']:.1f} s, HTML + PDF + DOCX {f['all']['wall_s']:.1f} s "
              f"→ {(f['all']['wall_s'] - f['html']['wall_s']) / k:.2f} s added per brief; one brief: PDF warm "
              f"{d['pdf_warm']['median_s']:.2f} s, fresh {d['pdf_fresh']['median_s']:.2f} s, "
              f"DOCX {d['docx']['median_s']:.2f} s")


def say_section(k: int) -> None:
    bench.say(f"== 5c PDF and DOCX per province brief: {k} briefs ({LANG}) with HTML only, then HTML + PDF + DOCX")


def run_only(args: argparse.Namespace) -> int:
    """This section alone (``--only formats``) on a scratch project with its processed data built,
    merged into the last ``results.json``."""
    def measure(root: Path, workdir: Path) -> dict:
        section = measure_formats(root, args.formats_provinces)
        say_formats(section)
        return section

    return bench.run_alone("formats", lambda: say_section(args.formats_provinces), measure, build_data=True)


# ---------------------------------------------------------------- children (run on the scratch project)

def child_formats_browser() -> dict:
    """The browser the engine would print with, or why there is none."""
    from khuyencong.errors import EnvironmentProblem
    from khuyencong.runner import pdf

    try:
        return {"browser": pdf.browser()}
    except EnvironmentProblem as exc:
        return {"skipped": f"no Chromium ({', '.join(pdf.BROWSERS)}): {exc}"}


def _timed(step, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return samples


def child_formats_direct(slugs: list[str]) -> dict:
    """Checks that the briefs of ``slugs`` were published with their PDF and DOCX, then times
    ``html_to_pdf`` (warm, fresh) and the Word brief on the first one, as ``exports.export`` calls them."""
    import pdfplumber

    from khuyencong.core import i18n
    from khuyencong.runner import config as runconfig
    from khuyencong.runner import pdf, publish
    from khuyencong.views import docx_brief

    cfg = runconfig.load_config(Path("reports.yml"))
    runs = {r.slug: r for r in runconfig.build_matrix(cfg)
            if (r.notebook.name, r.lang, r.boundaries) == (NOTEBOOK, LANG, BOUNDARIES)}
    missing = [f"{runs[s].rel_dir}/{NOTEBOOK}{ext}" for s in slugs for ext in (".pdf", ".docx")
               if not (publish.final_dir(runs[s]) / f"{NOTEBOOK}{ext}").is_file()]
    if missing:
        raise RuntimeError(f"--formats html,pdf,docx did not publish {missing}")
    slug = slugs[0]
    run = runs[slug]
    folder = publish.final_dir(run)
    html = folder / f"{NOTEBOOK}.html"
    synthetic = i18n.t("synthetic_note", LANG) in html.read_text(encoding="utf-8")
    lines = {"banner": i18n.t("synthetic_note" if synthetic else "pdf_real_note", LANG),
             "footer": run.notebook.title.get(LANG, NOTEBOOK), "alert": synthetic}
    status = "SYNTHETIC" if synthetic else "REAL"
    with tempfile.TemporaryDirectory(prefix="kc-bench-formats-") as tmp:
        out_pdf, out_docx = Path(tmp) / "brief.pdf", Path(tmp) / "brief.docx"
        (warmup,) = _timed(lambda: pdf.html_to_pdf(html, out_pdf, **lines), 1)
        warm = _timed(lambda: pdf.html_to_pdf(html, out_pdf, **lines), PDF_WARM_REPEATS)
        pdf.shutdown()
        fresh = _timed(lambda: pdf.html_to_pdf(html, out_pdf, fresh=True, **lines), PDF_FRESH_REPEATS)
        docx = _timed(lambda: docx_brief.save(docx_brief.from_run(folder, run.parameters(), status), out_docx),
                      DOCX_REPEATS)
        with pdfplumber.open(out_pdf) as printed:
            pages = len(printed.pages)
        sizes = out_pdf.stat().st_size / 1024, out_docx.stat().st_size / 1024

    def entry(samples: list[float]) -> dict:
        return {"median_s": bench.median(samples), "samples_s": [round(s, 3) for s in samples]}

    return {"slug": slug, "synthetic": synthetic, "pdf_pages": pages, "pdf_kb": sizes[0], "docx_kb": sizes[1],
            "pdf_warm": {**entry(warm), "warmup_s": warmup}, "pdf_fresh": entry(fresh), "docx": entry(docx)}


CHILDREN = {"formats_browser": child_formats_browser, "formats_direct": child_formats_direct}
