"""The SYNTHETIC demo set: a seeded generator with known truth, kept apart from the real record.

The generator plants known effects (co-funding ratios, the programme effect on labour
productivity, the link between extension spending and industrial growth) so the analyses can be
checked against the truth. Modules, in the order the data flow through them:

* :mod:`.params` — the seed, :class:`DemoParams` and the random streams;
* :mod:`.register`, :mod:`.survey`, :mod:`.draws` — the seeded draws (canonical tables) and
  the truth they imply;
* :mod:`.render`, :mod:`.plant` — the tables as provinces write them, with planted problems;
* :mod:`.write` — file bytes, the truth sidecar, README and provenance (:func:`generate`);
* :mod:`.annex_render` — register rows laid out as a provincial annex (titles, sections, totals);
* :mod:`.scale` — large files for benchmarks;
* :mod:`.truth` — reads the sidecar; the only module analyses may import.

The public names below are loaded on first use, so importing :mod:`.truth` does not import the
generator (openpyxl, the planting code).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "DEMO_SEED": "params", "DemoParams": "params", "NORTHERN_REGIONS": "params", "EFFECT_CATEGORIES": "params",
    "frames": "draws", "simulate_survey": "survey",
    "FileSpec": "render", "FILE_SPECS": "render", "REJECTION_REASONS": "plant",
    "generate": "write", "DemoSummary": "write", "encode_cp1258": "write", "SYNTHETIC_TITLE": "write",
    "NOT_REAL": "write",
    "generate_register_csv": "scale", "annex_xlsx": "annex_render",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
