"""Section 5c of the bench: what the PDF and the Word file add to a province brief (issue 19's
target: PDF + DOCX add at most 0.3 s per brief; the PDF is typeset by Typst, no browser).

In the scratch project (its processed data built): the brief (``90_province_report``) of K
provinces spread over the list (``--formats-provinces``, Hà Nội first), in Vietnamese, run by the
engine with one worker and warm kernels — once with ``--formats html`` and once with
``--formats html,pdf,docx``, each ``--force``, after one untimed HTML run of the first province
(it fills the shared brief-table cache, which would otherwise be charged to the first timed run).
Added seconds per brief = (wall with PDF + DOCX − wall with HTML only) / K; it includes starting
Then, in one child, the pieces on the first province's published brief, as the engine builds them:
the typeset PDF (``views.typeset.pdf``, one warm-up then median of 5) and the Word brief
(``views.docx_brief.from_run`` + ``save``, median of 5); with Chromium (``runner.pdf.BROWSERS`` or
``KHUYENCONG_CHROMIUM``) also the old way for comparison, the notebook's HTML printed by
``runner.pdf.html_to_pdf`` with a warm browser (one warm-up, median of 5).

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
PDF_WARM_REPEATS, DOCX_REPEATS = 5, 5


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
    places = bench.run_child(root, "places", config="reports.yml")["places"]
    chosen = bench.pick_spread([p for p in places if p["code"] is not None], k)
    slugs = [p["slug"] for p in chosen]
    bench.khuyencong(root, *engine_args([chosen[0]["code"]], "html"))  # untimed: fills the shared brief-table cache
    html = timed_run(root, chosen, "html")
    full = timed_run(root, chosen, "html,pdf,docx")
    direct = bench.run_child(root, "formats_direct", slugs=slugs, browser=bool(found.get("browser")))
    return {"provinces": slugs, "lang": LANG, "browser": found.get("browser") or found.get("skipped"), "html": html,
            "all": full, "direct": direct}


def formats_rows(f: dict) -> list[dict]:
    """Results table rows of the PDF/DOCX section."""
    k, html, full, d = len(f["provinces"]), f["html"], f["all"], f["direct"]
    typeset, docx, chromium = d["pdf_typeset"], d["docx"], d.get("pdf_chromium")
    where = f"{k} briefs ({', '.join(f['provinces'])}), {f['lang']}, 1 worker, warm kernels"

    added_per_run = ", ".join(f"{b - a:+.1f}" for a, b in zip(html["durations_s"], full["durations_s"]))

    def took(run: dict) -> str:
        return f"runs took {', '.join(f'{s:.1f}' for s in run['durations_s'])} s"

    rows = [
        bench.measurement("brief, HTML only", html["wall_s"] / k, "s",
                          f"wall {html['wall_s']:.1f} s / {k}; {where}; {took(html)}; load average "
                          f"{html['load_average_before']:.1f} before"),
        bench.measurement("brief, HTML + PDF + DOCX", full["wall_s"] / k, "s",
                          f"wall {full['wall_s']:.1f} s / {k}; the same briefs; {took(full)}; load average "
                          f"{full['load_average_before']:.1f} before"),
        bench.measurement("pdf_docx_added_s_per_brief", typeset["median_s"] + docx["median_s"], "s",
                          f"the parts measured directly: typeset PDF {typeset['median_s']:.3f} s + DOCX "
                          f"{docx['median_s']:.3f} s; difference of the two walls / {k}: "
                          f"{(full['wall_s'] - html['wall_s']) / k:+.2f} s (per run, worker's share: {added_per_run} s)"),
        bench.measurement("PDF of one brief, typeset (Typst)", typeset["median_s"], "s",
                          f"views.typeset.pdf on {d['slug']}'s brief ({d['pdf_pages']} pages, {d['pdf_kb']:.0f} kB); "
                          f"median of {len(typeset['samples_s'])} after one warm-up ({typeset['warmup_s']:.2f} s)"),
        bench.measurement("DOCX of one brief", docx["median_s"], "s",
                          f"views.docx_brief.from_run + save, as the engine builds it ({d['docx_kb']:.0f} kB); "
                          f"median of {len(docx['samples_s'])}"),
    ]
    if chromium:
        rows.append(bench.measurement("PDF of one brief, notebook printed by Chromium (before)", chromium["median_s"],
                                      "s", f"runner.pdf.html_to_pdf with a warm browser ({d['chromium_pages']} pages), "
                                      f"median of {len(chromium['samples_s'])} after one warm-up "
                                      f"({chromium['warmup_s']:.2f} s, starts the browser)"))
    else:
        rows.append(bench.measurement("PDF of one brief, notebook printed by Chromium (before)", float("nan"), "s",
                                      f"skipped: {f['browser']}"))
    return rows


def say_formats(f: dict) -> None:
    k = len(f["provinces"])
    d = f["direct"]
    bench.say(f"   {k} briefs: HTML only {f['html']['wall_s']:.1f} s, HTML + PDF + DOCX {f['all']['wall_s']:.1f} s; "
              f"one brief: typeset PDF {d['pdf_typeset']['median_s']:.3f} s, DOCX {d['docx']['median_s']:.3f} s"
              + (f", Chromium PDF {d['pdf_chromium']['median_s']:.2f} s" if d.get("pdf_chromium") else ""))


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


def child_formats_direct(slugs: list[str], browser: bool) -> dict:
    """Checks that the briefs of ``slugs`` were published with their PDF and DOCX, then times the typeset
    PDF and the Word brief on the first one as ``exports.export`` builds them (and, with ``browser``,
    the notebook's HTML printed by Chromium, the way before)."""
    import pdfplumber

    from khuyencong.core import i18n
    from khuyencong.runner import config as runconfig
    from khuyencong.runner import pdf, publish
    from khuyencong.views import docx_brief, typeset

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

    def entry(samples: list[float], warmup: float | None = None) -> dict:
        out = {"median_s": bench.median(samples), "samples_s": [round(s, 4) for s in samples]}
        return out if warmup is None else {**out, "warmup_s": warmup}

    with tempfile.TemporaryDirectory(prefix="kc-bench-formats-") as tmp:
        out_pdf, out_docx, printed = Path(tmp) / "brief.pdf", Path(tmp) / "brief.docx", Path(tmp) / "printed.pdf"
        (warmup,) = _timed(lambda: typeset.pdf(folder, out_pdf), 1)
        result = {"slug": slug, "pdf_typeset": entry(_timed(lambda: typeset.pdf(folder, out_pdf), 5), warmup),
                  "docx": entry(_timed(lambda: docx_brief.save(docx_brief.from_run(folder), out_docx), DOCX_REPEATS))}
        with pdfplumber.open(out_pdf) as opened:
            result["pdf_pages"] = len(opened.pages)
        result["pdf_kb"], result["docx_kb"] = out_pdf.stat().st_size / 1024, out_docx.stat().st_size / 1024
        if browser:
            html = folder / f"{NOTEBOOK}.html"
            synthetic = i18n.t("synthetic_note", LANG) in html.read_text(encoding="utf-8")
            lines = {"banner": i18n.t("synthetic_note" if synthetic else "pdf_real_note", LANG),
                     "footer": run.notebook.title.get(LANG, NOTEBOOK), "alert": synthetic}
            (first,) = _timed(lambda: pdf.html_to_pdf(html, printed, **lines), 1)
            result["pdf_chromium"] = entry(_timed(lambda: pdf.html_to_pdf(html, printed, **lines), PDF_WARM_REPEATS),
                                           first)
            pdf.shutdown()
            with pdfplumber.open(printed) as opened:
                result["chromium_pages"] = len(opened.pages)
    return result


CHILDREN = {"formats_browser": child_formats_browser, "formats_direct": child_formats_direct}
