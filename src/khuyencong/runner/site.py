"""``reports/index.html`` (Vietnamese) and ``reports/index.en.html``: every province with its
headline numbers and links to its reports in each language. One self-contained file per
language (inline CSS, no external assets), readable on a phone.
"""
from __future__ import annotations

import math
from html import escape
from pathlib import Path

from khuyencong.core import i18n
from khuyencong import paths
from khuyencong.files import atomic_write_text
from khuyencong.runner.config import NATIONAL_SLUG, Run

INDEX_FILES = {"vi": "index.html", "en": "index.en.html"}

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1f24;background:#f5f6f8}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.meta{color:#4a5260;font-size:.9rem;margin:.2rem 0}
.switch{float:right;font-weight:600}
.banner{background:#ffd400;color:#000;border:3px dashed #000;padding:.6rem 1rem;font-weight:700;text-align:center;letter-spacing:.02em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem;padding:0;list-style:none}
.card{background:#fff;border:1px solid #d8dce3;border-radius:.5rem;padding:.8rem}
.card.national{border:2px solid #1f5fa8}
.card h3{margin:0 0 .4rem;font-size:1.05rem}
dl{display:grid;grid-template-columns:1fr auto;gap:.15rem .6rem;margin:0 0 .5rem;font-size:.88rem}
dt{color:#4a5260}dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
ul.links{margin:0;padding-left:1.1rem;font-size:.9rem}
a{color:#1f5fa8}a.alt{font-size:.8rem;margin-left:.3rem}
.failed{color:#b00020;font-weight:600}.missing{color:#6b7280}
footer{font-size:.85rem;color:#4a5260;padding-bottom:2rem}
"""


def _fmt(key: str, value: float, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n.t("site_no_value", lang)
    if key in ("productivity_gain", "plan_attainment"):
        return i18n.fmt_pct(float(value), lang, 1)
    return i18n.fmt_number(float(value), lang, 2)


def _place_name(code: str | None, name: str, boundaries: str, lang: str) -> str:
    if code is None:
        return i18n.t("site_national", lang)
    if lang == "en":
        from khuyencong.core import provinces

        return provinces.get(code, boundaries).name_en
    return name


def _link(run: Run, status: str | None, text: str, css: str = "") -> str:
    html_file = paths.reports_dir() / run.rel_dir / f"{run.notebook.name}.html"
    if not html_file.exists():
        return f'<span class="missing">{escape(text)}</span>'
    cls = f' class="{css}"' if css else ""
    return f'<a{cls} hreflang="{run.lang}" href="{escape(run.rel_dir)}/{escape(run.notebook.name)}.html">{escape(text)}</a>'


def _report_items(place_runs: list[Run], statuses: dict[str, str], lang: str) -> str:
    items = []
    by_nb: dict[str, dict[str, Run]] = {}
    for r in place_runs:
        by_nb.setdefault(r.notebook.name, {})[r.lang] = r
    for name, per_lang in by_nb.items():
        main = per_lang.get(lang) or next(iter(per_lang.values()))
        title = main.notebook.title.get(lang) or name
        parts = [_link(main, statuses.get(main.run_id), title)]
        parts += [_link(r, statuses.get(r.run_id), other.upper(), "alt")
                  for other, r in sorted(per_lang.items()) if other != main.lang]
        state = statuses.get(main.run_id)
        if state == "failed":
            parts.append(f'<span class="failed">⚠ {escape(i18n.t("site_failed", lang))}</span>')
        elif state is None:
            parts.append(f'<span class="missing">({escape(i18n.t("site_not_run", lang))})</span>')
        items.append("<li>" + " ".join(parts) + "</li>")
    return '<ul class="links">' + "".join(items) + "</ul>"


def _card(place: tuple, boundaries: str, place_runs: list[Run], numbers, statuses: dict[str, str],
          lang: str) -> str:
    code, name, slug = place
    key = NATIONAL_SLUG if code is None else code
    rows = []
    for col in ("cofunding_ratio", "productivity_gain", "cost_per_trainee", "plan_attainment"):
        value = numbers.at[key, col] if key in numbers.index else float("nan")
        rows.append(f"<dt>{escape(i18n.t(col, lang))}</dt><dd>{escape(_fmt(col, value, lang))}</dd>")
    cls = "card national" if code is None else "card"
    links = _report_items(place_runs, statuses, lang) if place_runs else ""
    return (f'<li class="{cls}" id="{escape(slug)}"><h3>{escape(_place_name(code, name, boundaries, lang))}</h3>'
            f"<dl>{''.join(rows)}</dl>{links}</li>")


def _section(boundaries: str, places: list[tuple], runs: list[Run], numbers, statuses: dict[str, str],
             lang: str) -> str:
    by_slug: dict[str, list[Run]] = {}
    for r in runs:
        by_slug.setdefault(r.slug, []).append(r)
    national, provinces = places[:1], sorted(places[1:], key=lambda p: p[2])
    cards = "".join(_card(p, boundaries, by_slug.get(p[2], []), numbers, statuses, lang)
                    for p in national + provinces)
    return f'<section><h2>{escape(i18n.t("boundaries_" + boundaries, lang))}</h2><ul class="cards">{cards}</ul></section>'


def render(lang: str, sections: list[tuple], statuses: dict[str, str],
           data_status: str, data_version: str, generated: str, years: tuple[int, int]) -> str:
    """The index page in ``lang``; ``sections`` = (boundaries, places, runs, headline table)."""
    from khuyencong.analysis.headlines import MIN_GAINS

    other = "en" if lang == "vi" else "vi"
    banner = (f'<div class="banner" role="alert">{escape(i18n.t("synthetic_note", lang))}</div>'
              if data_status == "SYNTHETIC" else "")
    body = "".join(_section(b, pl, runs, numbers, statuses, lang) for b, pl, runs, numbers in sections)
    meta = " · ".join([i18n.t("site_period", lang, start=years[0], end=years[1]),
                       i18n.t("site_generated", lang, date=generated),
                       i18n.t("site_data_version", lang, version=data_version)])
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(i18n.t("site_title", lang))}</title>
<style>{CSS}</style>
</head>
<body>
{banner}
<header>
<a class="switch" hreflang="{other}" href="{INDEX_FILES[other]}">{escape(i18n.t("site_switch_lang", lang))}</a>
<h1>{escape(i18n.t("site_title", lang))}</h1>
<p class="meta">{escape(meta)}</p>
</header>
<main>
{body}
</main>
<footer>
<p>{escape(i18n.t("site_headline_note", lang, min_gains=MIN_GAINS))}</p>
<p><a href="manifest.json">{escape(i18n.t("site_manifest", lang))}</a></p>
</footer>
</body>
</html>
"""


def build_site(places: dict[str, list[tuple]], runs: list[Run], statuses: dict[str, str], data_version: str,
               generated: str, years: tuple[int, int], processed_dir: Path | str | None = None) -> list[Path]:
    """Write ``index.html`` / ``index.en.html``.

    ``places``: boundaries → (code, name, slug) of the national overview and every province;
    ``statuses``: run_id → ok/failed for the runs that have been executed.
    """
    from khuyencong.analysis.headlines import headline_numbers

    sections, status = [], "REAL"
    for boundaries, chosen in places.items():
        numbers, st = headline_numbers(boundaries, years[0], years[1], processed_dir)
        status = "SYNTHETIC" if st == "SYNTHETIC" else status
        sections.append((boundaries, chosen, [r for r in runs if r.boundaries == boundaries], numbers))
    written = []
    for lang in ("vi", "en"):
        target = paths.reports_dir() / INDEX_FILES[lang]
        atomic_write_text(target, render(lang, sections, statuses, status, data_version, generated, years))
        written.append(target)
    return written
