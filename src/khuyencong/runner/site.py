"""``reports/index.html`` (Vietnamese) and ``reports/index.en.html``: every province with its
headline numbers (and their intervals), links to its reports in each language and format and to
its tables bundle, and a tile map of the country coloured by a chosen headline.

Each page is one file (the CSS of ``templates/index.css`` inlined, no external assets; the page is
``templates/index.html.j2``), readable on a phone. Besides it the build writes the maps, one SVG
per headline, language and boundaries (``reports/maps/``; the index shows the one ``reports.yml``
names in ``map_headline`` and, with JavaScript, lets the reader switch), and one XLSX bundle per
province and language in its report folder (:mod:`khuyencong.views.bundle`). Maps and bundles are
rewritten only when what they are made from changed (keys in ``reports/.state/site_outputs.json``).
"""
from __future__ import annotations

import logging
import math
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.files import atomic_write_text, sha256_file
from khuyencong.store import Recorded
from khuyencong.runner.config import MAP_HEADLINES, NATIONAL_SLUG, Place, Run

log = logging.getLogger(__name__)

INDEX_FILES = {"vi": "index.html", "en": "index.en.html"}
MAPS_DIR = "maps"
DEFAULT_MAP_HEADLINE = MAP_HEADLINES[0]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_STATE_FILE = "site_outputs.json"
#: Index columns: headline column of :func:`analysis.headlines.headline_numbers` → its label key.
_LABELS = {"cofunding_ratio": "site_h_cofunding", "productivity_effect": "site_h_productivity_effect",
           "cost_per_trainee": "site_h_cost_per_trainee", "plan_attainment_trainees": "site_h_plan_attainment_trainees"}
#: Where each headline's numbers come from (the map's source note).
_MAP_SOURCES = {"cofunding_ratio": "site_map_src_register", "cost_per_trainee": "site_map_src_register",
                "productivity_effect": "site_map_src_survey", "plan_attainment_trainees": "site_map_src_plans"}


class Section(NamedTuple):
    """One boundaries' part of the index: its places, runs, headline table and data status."""
    boundaries: str
    places: list[Place]
    runs: list[Run]
    numbers: Any                 # pandas DataFrame of analysis.headlines.headline_numbers
    status: str | None = None    # None: the page's data status


def _escape(value):
    """Escape as ``html.escape`` does (``&quot;``, ``&#x27;``), which the pages have always used."""
    return value if hasattr(value, "__html__") else Markup(escape(str(value)))


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, keep_trailing_newline=True,
                      finalize=_escape)
    return env.get_template("index.html.j2")


def _columns() -> list[str]:
    """The headline columns of the index, in :data:`analysis.headlines.HEADLINES` order."""
    from khuyencong.analysis.headlines import HEADLINES

    return [c for c in HEADLINES if c in _LABELS]


def _label(col: str, lang: str, interval: bool = True) -> str:
    """A headline's name; with ``interval``, marked "[95% CI]" when the index shows its interval."""
    from khuyencong.analysis.headlines import INTERVALS

    label, ci = i18n.t(_LABELS[col], lang), i18n.t("site_ci", lang)
    bare = label.removesuffix(" " + ci)
    return bare + " " + ci if interval and col in INTERVALS else bare


def _fmt(key: str, value: float, lang: str) -> str:
    """A headline as the briefs write it (same rounding, same digits)."""
    from khuyencong.analysis.headlines import MEASURES
    from khuyencong.views.brief_text import fmt_value

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n.t("site_no_value", lang)
    return fmt_value(MEASURES[key], float(value), lang)


def _link(run: Run, text: str, css: str = "", stale: bool = False) -> dict:
    """A report's link and its other formats; none for a report made from other data than today's."""
    html_file = paths.reports_dir() / run.rel_dir / f"{run.notebook.name}.html"
    others = [{"text": ext.upper(), "href": f"{run.rel_dir}/{run.notebook.name}.{ext}"}
              for ext in ("pdf", "docx") if html_file.with_suffix(f".{ext}").exists()]
    return {"exists": html_file.exists() and not stale, "css": css, "lang": run.lang, "text": text,
            "href": f"{run.rel_dir}/{run.notebook.name}.html", "formats": others}


def _report_items(place_runs: list[Run], statuses: dict[str, str], lang: str) -> list[dict]:
    by_nb: dict[str, dict[str, Run]] = {}
    for r in place_runs:
        by_nb.setdefault(r.notebook.name, {})[r.lang] = r
    items = []
    for name, per_lang in by_nb.items():
        main = per_lang.get(lang) or next(iter(per_lang.values()))
        others = [_link(r, other.upper(), "alt", statuses.get(r.run_id) == "stale")
                  for other, r in sorted(per_lang.items()) if other != main.lang]
        items.append({"main": _link(main, main.notebook.title.get(lang) or name, stale=statuses.get(main.run_id) == "stale"),
                      "others": others,
                      "state": statuses.get(main.run_id)})
    return items


def _name(place: Place, lang: str) -> str:
    if place.code is None:
        return i18n.t("site_national", lang)
    return place.name_en if lang == "en" else place.name


def _card(place: Place, place_runs: list[Run], numbers, statuses: dict[str, str], lang: str,
          boundaries: str, bundle: str | None) -> dict:
    key = NATIONAL_SLUG if place.code is None else place.code
    rows = [_cell(col, numbers.loc[key] if key in numbers.index else None, lang) for col in _columns()]
    region = _region(place, boundaries)
    return {"national": place.code is None, "slug": place.slug, "name": _name(place, lang), "rows": rows,
            "region": region, "region_name": i18n.t(f"region.{region}", lang) if region else "",
            "reports": _report_items(place_runs, statuses, lang), "bundle": bundle}


def _region(place: Place, boundaries: str) -> str:
    if place.code is None:
        return ""
    return next(p.region_code for p in provinces.records(boundaries) if p.code == place.code)


def _number(numbers, col: str) -> float:
    return float("nan") if numbers is None or col not in numbers else float(numbers[col])


def _cell(col: str, numbers, lang: str) -> dict:
    """One headline of a province: text with its interval (when it has one), and the number to sort by."""
    from khuyencong.analysis.headlines import INTERVALS

    value = _number(numbers, col)
    text = _fmt(col, value, lang)
    low, high = (_number(numbers, c) for c in INTERVALS.get(col, ("", "")))
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{_fmt(col, low, lang)}; {_fmt(col, high, lang)}]"
    return {"text": text, "sort": "" if math.isnan(value) else repr(round(value, 6))}


# ---------------------------------------------------------------- maps and bundles

class _Outputs:
    """Files written beside the index, each rewritten only when the key of what it is made from
    (plus the package's code) differs from the one recorded when it was last written."""

    def __init__(self):
        self.record = Recorded(paths.state_dir() / _STATE_FILE)
        self.code = fp.code_version()
        self.written = 0

    def make(self, target: Path, inputs, write) -> str:
        """``write(target)`` unless ``inputs`` are those of the existing ``target``; its href."""
        rel = target.relative_to(paths.reports_dir()).as_posix()
        key = fp.sha256_json({"code": self.code, "inputs": inputs})
        if not self.record.current(rel, key) or not target.is_file():
            write(target)
            self.record.made(rel, key)
            self.written += 1
        return rel

    def save(self) -> None:
        self.record.save()


def _draw_map(target: Path, frame, col: str, section: Section, lang: str) -> None:
    from khuyencong.views import plots, tilemap

    fig = tilemap.tile_map(frame, col, boundaries=section.boundaries, lang=lang, label=_label(col, lang, False),
                           formatter=lambda v: _fmt(col, v, lang))
    plots.add_note(fig, section.status, source=i18n.t(_MAP_SOURCES[col], lang), boundaries=section.boundaries,
                   lang=lang)
    plots.save_figure(fig, target.with_name(target.name.removesuffix(".svg")), formats=("svg",))


def _maps(section: Section, lang: str, outputs: _Outputs) -> list[dict]:
    """Every map headline of ``section`` as an SVG in ``reports/maps/``: key, label, href."""
    from khuyencong.views import tilemap

    frame = section.numbers.reset_index(names="code")
    on_map = frame["code"].isin(tilemap.grid(section.boundaries)["code"])
    drawn = [c for c in MAP_HEADLINES if c in frame]
    unseen = frame.loc[~on_map & (frame["code"] != provinces.ALL) & frame[drawn].notna().any(axis=1), "code"]
    if len(unseen):  # Hà Tây (legacy boundaries, until 2008) has no tile; its numbers stay in the table
        log.warning("index map (%s boundaries): no tile for province code(s) %s; their numbers are in the "
                    "table only", section.boundaries, ", ".join(unseen))
    frame = frame.loc[on_map]
    out = []
    for col in drawn:
        target = paths.reports_dir() / MAPS_DIR / f"{section.boundaries}-{col}.{lang}.svg"
        inputs = {"codes": list(frame["code"]), "values": [None if math.isnan(v) else round(v, 9) for v in frame[col]],
                  "status": section.status}
        href = outputs.make(target, inputs, lambda t, c=col: _draw_map(t, frame, c, section, lang))
        out.append({"key": col, "label": _label(col, lang, False), "href": href})
    return out


def _bundles(section: Section, lang: str, outputs: _Outputs, statuses: dict[str, str]) -> dict[str, str]:
    """One XLSX per place of ``section`` holding the tables of its reports in ``lang`` (a failed run's
    partial tables left out): slug → href."""
    from khuyencong.views import bundle

    base = paths.reports_dir()
    folders: dict[str, list[Path]] = {}
    for r in sorted(section.runs, key=lambda r: r.rel_dir):
        if r.lang == lang and statuses.get(r.run_id) != "failed" and (base / r.rel_dir).is_dir():
            folders.setdefault(r.slug, []).append(base / r.rel_dir)
    sources = [i18n.t("site_bundle_sources", lang)]
    out = {}
    for place in section.places:
        tables = bundle.tables_of(folders.get(place.slug, []))
        if not tables:
            continue
        chosen, area = folders[place.slug], _name(place, lang)
        target = chosen[0].parent / bundle.bundle_name(place.slug)
        inputs = {"area": area, "sources": sources,
                  "tables": [[p.relative_to(base).as_posix(), sha256_file(p)] for _, p in tables]}
        # status None: each table's own stamp (a brief's SYNTHETIC tables, the real record's REAL ones)
        out[place.slug] = outputs.make(target, inputs, lambda t, f=chosen, a=area: bundle.write(
            t, a, f, None, lang, sources=sources, base=base))
    return out


# ---------------------------------------------------------------- the page

def _section(s: Section, statuses: dict[str, str], lang: str, maps: list[dict], bundles: dict[str, str],
             map_headline: str) -> dict:
    by_slug: dict[str, list[Run]] = {}
    for r in s.runs:
        by_slug.setdefault(r.slug, []).append(r)
    ordered = s.places[:1] + sorted(s.places[1:], key=lambda p: p.slug)
    shown = map_headline if any(m["key"] == map_headline for m in maps) else next((m["key"] for m in maps), None)
    return {"title": i18n.t("boundaries_" + s.boundaries, lang), "boundaries": s.boundaries,
            "synthetic": s.status == "SYNTHETIC",
            "cards": [_card(p, by_slug.get(p.slug, []), s.numbers, statuses, lang, s.boundaries,
                            bundles.get(p.slug)) for p in ordered],
            "maps": [dict(m, shown=m["key"] == shown,
                          caption=i18n.t("site_map_caption", lang, measure=m["label"], status=s.status))
                     for m in maps],
            "regions": sorted({(c.region_code, i18n.t(f"region.{c.region_code}", lang))
                               for c in provinces.records(s.boundaries)})}


def _real_section(lang: str, runs: list[Run], processed_dir: Path | str | None) -> dict | None:
    """The REAL section (:mod:`khuyencong.views.real_summary`), each province linked to its real-record report."""
    from khuyencong.views import real_summary

    reports = {r.code: _link(r, i18n.t("site_real_col_report", lang)) for r in runs
               if r.notebook.name == real_summary.NOTEBOOK and r.lang == lang and r.boundaries == "2025"}
    return real_summary.index(lang, reports, processed_dir)


def render(lang: str, sections: list[tuple], statuses: dict[str, str],
           data_status: str, data_version: str, generated: str, years: tuple[int, int],
           real: dict | None = None, maps: dict[str, list[dict]] | None = None,
           bundles: dict[str, dict[str, str]] | None = None, map_headline: str = DEFAULT_MAP_HEADLINE) -> str:
    """The index page in ``lang``; ``sections``: :class:`Section` (or the same fields as a tuple; a
    missing status is ``data_status``); ``real``: the REAL section shown first (:func:`_real_section`),
    None for none; ``maps`` and ``bundles``: boundaries → :func:`_maps` / :func:`_bundles`."""
    chosen = [Section(*s[:4], s[4] if len(s) > 4 and s[4] else data_status) for s in sections]
    other = "en" if lang == "vi" else "vi"
    meta = " · ".join([i18n.t("site_period", lang, start=years[0], end=years[1]),
                       i18n.t("site_generated", lang, date=generated),
                       i18n.t("site_data_version", lang, version=data_version)])
    shown = [_section(s, statuses, lang, (maps or {}).get(s.boundaries, []), (bundles or {}).get(s.boundaries, {}),
                      map_headline) for s in chosen]
    return _template().render(
        lang=lang, other=other, other_file=INDEX_FILES[other], meta=meta,
        t=lambda key: i18n.t(key, lang), css=Markup((_TEMPLATES / "index.css").read_text(encoding="utf-8")),
        # one banner on top when everything shown is SYNTHETIC; otherwise over each SYNTHETIC section only
        page_banner=real is None and data_status == "SYNTHETIC" and all(s["synthetic"] for s in shown),
        real=real, sections=shown,
        headlines=[{"key": k, "label": _label(k, lang), "definition": i18n.t(_LABELS[k] + "_def", lang)}
                   for k in _columns()],
        footer_note=i18n.t("site_headline_note", lang))


def build_site(places: dict[str, list[Place]], runs: list[Run], statuses: dict[str, str], data_version: str,
               generated: str, years: tuple[int, int], processed_dir: Path | str | None = None,
               map_headline: str = DEFAULT_MAP_HEADLINE) -> list[Path]:
    """Write ``index.html`` / ``index.en.html``, the maps and the province bundles.

    ``places``: boundaries → the national overview and every province (:func:`config.places`);
    ``statuses``: run_id → ok/failed for the runs that have been executed; ``map_headline``: the
    map shown first (reports.yml's ``map_headline``, checked by :mod:`runner.config`).
    """
    from khuyencong.analysis.headlines import headline_numbers

    sections, status = [], "REAL"
    for boundaries, chosen in places.items():
        numbers, st = headline_numbers(boundaries, years[0], years[1], processed_dir)
        status = "SYNTHETIC" if st == "SYNTHETIC" else status
        sections.append(Section(boundaries, chosen, [r for r in runs if r.boundaries == boundaries], numbers, st))
    outputs, written = _Outputs(), []
    for lang in ("vi", "en"):
        maps = {s.boundaries: _maps(s, lang, outputs) for s in sections}
        bundles = {s.boundaries: _bundles(s, lang, outputs, statuses) for s in sections}
        target = paths.reports_dir() / INDEX_FILES[lang]
        real = _real_section(lang, runs, processed_dir)
        atomic_write_text(target, render(lang, sections, statuses, status, data_version, generated, years, real,
                                         maps, bundles, map_headline))
        written.append(target)
    outputs.save()
    log.info("index: %d map(s) and bundle(s) rewritten", outputs.written)
    return written
