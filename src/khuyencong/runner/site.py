"""``reports/index.html`` (Vietnamese) and ``reports/index.en.html``: every province with its
headline numbers and links to its reports in each language. One self-contained file per
language (the CSS of ``templates/index.css`` inlined, no external assets), readable on a phone;
the page is ``templates/index.html.j2``.
"""
from __future__ import annotations

import math
from functools import lru_cache
from html import escape
from pathlib import Path

from markupsafe import Markup

from khuyencong import paths
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.files import atomic_write_text
from khuyencong.runner.config import NATIONAL_SLUG, Place, Run

INDEX_FILES = {"vi": "index.html", "en": "index.en.html"}

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Index columns: headline column of :func:`analysis.headlines.headline_numbers` → its label key.
_HEADLINES = {"cofunding_ratio": "site_h_cofunding", "productivity_effect": "site_h_productivity_effect",
              "productivity_gain": "site_h_productivity_gain", "cost_per_trainee": "site_h_cost_per_trainee",
              "plan_attainment": "site_h_plan_attainment_money"}
_PERCENT = ("productivity_effect", "productivity_gain", "plan_attainment")
_MAP_MEASURE = "cofunding_ratio"


def _escape(value):
    """Escape as ``html.escape`` does (``&quot;``, ``&#x27;``), which the pages have always used."""
    return value if hasattr(value, "__html__") else Markup(escape(str(value)))


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, keep_trailing_newline=True,
                      finalize=_escape)
    return env.get_template("index.html.j2")


def _fmt(key: str, value: float, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n.t("site_no_value", lang)
    if key in _PERCENT:
        return i18n.fmt_pct(float(value), lang, 1)
    return i18n.fmt_number(float(value), lang, 2)


def _link(run: Run, text: str, css: str = "") -> dict:
    html_file = paths.reports_dir() / run.rel_dir / f"{run.notebook.name}.html"
    others = [{"text": ext.upper(), "href": f"{run.rel_dir}/{run.notebook.name}.{ext}"}
              for ext in ("pdf", "docx") if html_file.with_suffix(f".{ext}").exists()]
    return {"exists": html_file.exists(), "css": css, "lang": run.lang, "text": text,
            "href": f"{run.rel_dir}/{run.notebook.name}.html", "formats": others}


def _report_items(place_runs: list[Run], statuses: dict[str, str], lang: str) -> list[dict]:
    by_nb: dict[str, dict[str, Run]] = {}
    for r in place_runs:
        by_nb.setdefault(r.notebook.name, {})[r.lang] = r
    items = []
    for name, per_lang in by_nb.items():
        main = per_lang.get(lang) or next(iter(per_lang.values()))
        others = [_link(r, other.upper(), "alt") for other, r in sorted(per_lang.items()) if other != main.lang]
        items.append({"main": _link(main, main.notebook.title.get(lang) or name), "others": others,
                      "state": statuses.get(main.run_id)})
    return items


def _card(place: Place, place_runs: list[Run], numbers, statuses: dict[str, str], lang: str,
          boundaries: str) -> dict:
    key = NATIONAL_SLUG if place.code is None else place.code
    rows = [_cell(col, numbers.loc[key] if key in numbers.index else None, lang) for col in _HEADLINES]
    if place.code is None:
        name = i18n.t("site_national", lang)
    else:
        name = place.name_en if lang == "en" else place.name
    region = _region(place, boundaries)
    return {"national": place.code is None, "slug": place.slug, "name": name, "rows": rows,
            "region": region, "region_name": i18n.t(f"region.{region}", lang) if region else "",
            "reports": _report_items(place_runs, statuses, lang)}


def _region(place: Place, boundaries: str) -> str:
    if place.code is None:
        return ""
    return next(p.region_code for p in provinces.records(boundaries) if p.code == place.code)


def _cell(col: str, numbers, lang: str) -> dict:
    """One headline of a province: text with its interval, and the number to sort by."""
    from khuyencong.analysis.headlines import INTERVALS

    value = float("nan") if numbers is None else float(numbers[col])
    text = _fmt(col, value, lang)
    low, high = (float("nan"),) * 2 if numbers is None or col not in INTERVALS else \
        (float(numbers[c]) for c in INTERVALS[col])
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{_fmt(col, low, lang)}; {_fmt(col, high, lang)}]"
    return {"text": text, "sort": "" if math.isnan(value) else repr(round(value, 6))}


def _map_svg(numbers, boundaries: str, lang: str, data_status: str) -> Markup:
    """The tile map of :data:`_MAP_MEASURE` as inline SVG (deterministic, no external file)."""
    import io

    from khuyencong.views import plots, tilemap

    frame = numbers.reset_index(names="code")
    frame = frame.loc[frame["code"] != provinces.ALL]
    fig = tilemap.tile_map(frame, _MAP_MEASURE, boundaries=boundaries, lang=lang,
                           label=i18n.t(_MAP_MEASURE, lang),
                           formatter=lambda v: i18n.fmt_number(float(v), lang, 2))
    plots.add_note(fig, data_status, source=i18n.t("site_map_source", lang), boundaries=boundaries, lang=lang)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=plots.SAVE_METADATA["svg"])
    svg = buf.getvalue()
    return Markup(svg[svg.find("<svg"):])


def _section(boundaries: str, places: list[Place], runs: list[Run], numbers, statuses: dict[str, str],
             lang: str, data_status: str) -> dict:
    by_slug: dict[str, list[Run]] = {}
    for r in runs:
        by_slug.setdefault(r.slug, []).append(r)
    ordered = places[:1] + sorted(places[1:], key=lambda p: p.slug)
    return {"title": i18n.t("boundaries_" + boundaries, lang),
            "cards": [_card(p, by_slug.get(p.slug, []), numbers, statuses, lang, boundaries) for p in ordered],
            "map": _map_svg(numbers, boundaries, lang, data_status),
            "regions": sorted({(c.region_code, i18n.t(f"region.{c.region_code}", lang))
                               for c in provinces.records(boundaries)})}


def _real_section(lang: str, runs: list[Run], processed_dir: Path | str | None) -> dict | None:
    """The REAL section (:mod:`khuyencong.views.real_summary`), each province linked to its real-record report."""
    from khuyencong.views import real_summary

    reports = {r.code: _link(r, i18n.t("site_real_col_report", lang)) for r in runs
               if r.notebook.name == real_summary.NOTEBOOK and r.lang == lang and r.boundaries == "2025"}
    return real_summary.index(lang, reports, processed_dir)


def render(lang: str, sections: list[tuple], statuses: dict[str, str],
           data_status: str, data_version: str, generated: str, years: tuple[int, int],
           real: dict | None = None) -> str:
    """The index page in ``lang``; ``sections`` = (boundaries, places, runs, headline table);
    ``real``: the REAL section shown first (:func:`_real_section`), None for none."""
    from khuyencong.analysis.headlines import MIN_GAINS

    other = "en" if lang == "vi" else "vi"
    meta = " · ".join([i18n.t("site_period", lang, start=years[0], end=years[1]),
                       i18n.t("site_generated", lang, date=generated),
                       i18n.t("site_data_version", lang, version=data_version)])
    return _template().render(
        lang=lang, other=other, other_file=INDEX_FILES[other], meta=meta,
        t=lambda key: i18n.t(key, lang), css=Markup((_TEMPLATES / "index.css").read_text(encoding="utf-8")),
        synthetic=data_status == "SYNTHETIC", real=real,
        sections=[_section(b, pl, runs, numbers, statuses, lang, data_status) for b, pl, runs, numbers in sections],
        headlines=[{"key": k, "label": i18n.t(v, lang), "definition": i18n.t(v + "_def", lang)}
                   for k, v in _HEADLINES.items()],
        footer_note=i18n.t("site_headline_note", lang, min_gains=MIN_GAINS))


def build_site(places: dict[str, list[Place]], runs: list[Run], statuses: dict[str, str], data_version: str,
               generated: str, years: tuple[int, int], processed_dir: Path | str | None = None) -> list[Path]:
    """Write ``index.html`` / ``index.en.html``.

    ``places``: boundaries → the national overview and every province (:func:`config.places`);
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
        real = _real_section(lang, runs, processed_dir)
        atomic_write_text(target, render(lang, sections, statuses, status, data_version, generated, years, real))
        written.append(target)
    return written
