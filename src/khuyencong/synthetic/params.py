"""What shapes the SYNTHETIC demo set: the seed, the parameters and the random streams."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEMO_SEED = 20120521
NORTHERN_REGIONS = ("RRD", "NMM")
EFFECT_CATEGORIES = ("technology", "demonstration", "cleaner_production")


@dataclass(frozen=True)
class DemoParams:
    """Everything that shapes the demo set; written into the truth sidecar."""

    year_first: int = 2012
    year_last: int = 2024
    projects_min: int = 8
    projects_max: int = 30
    kcqg_share: float = 0.30
    mean_state_support: float = 29229.2 / 220  # million VND per project (Bắc Giang 2014–2020 order)
    state_sigma: float = 0.6  # log-normal spread of state support
    kcqg_multiplier: float = 1.8  # national projects are larger
    repeat_share: float = 0.12  # projects going to an establishment supported before
    category_mix: dict = field(default_factory=lambda: {
        "training": 0.20, "management": 0.05, "demonstration": 0.12, "technology": 0.33,
        "cleaner_production": 0.03, "typical_products": 0.06, "fairs": 0.08, "consulting": 0.04,
        "information": 0.04, "cooperation": 0.02, "international": 0.01, "programme_capacity": 0.02})
    support_multiplier: dict = field(default_factory=lambda: {
        "training": 0.6, "management": 0.6, "demonstration": 1.8, "technology": 1.3,
        "cleaner_production": 1.0, "typical_products": 0.8, "fairs": 0.8, "consulting": 0.6,
        "information": 0.5, "cooperation": 1.0, "international": 1.0, "programme_capacity": 1.0})
    # Median contribution / state support for a province with zero effect (0 = no co-funding).
    cofunding_ratio: dict = field(default_factory=lambda: {
        "training": 0.0, "management": 0.1, "demonstration": 6.0, "technology": 5.0,
        "cleaner_production": 3.0, "typical_products": 0.5, "fairs": 0.8, "consulting": 0.3,
        "information": 0.0, "cooperation": 1.5, "international": 0.2, "programme_capacity": 0.0})
    ratio_sigma: float = 0.35  # project-level log noise of the co-funding ratio
    province_ratio_sd: float = 0.25  # sd of the province effect on log co-funding ratio
    status_mix: dict = field(default_factory=lambda: {
        "completed": 0.90, "adjusted": 0.05, "stopped": 0.02, "deferred": 0.03})
    # Survey: programme effect on log(output/worker), by category of the first support.
    survey_supported: int = 1500
    survey_comparison: int = 1500
    att_by_category: dict = field(default_factory=lambda: {
        "technology": 0.24, "demonstration": 0.21, "cleaner_production": 0.15})
    att_sd: float = 0.06  # sd of the establishment-level effect around its category mean
    event_path: dict = field(default_factory=lambda: {"0": 0.4, "1": 0.75, "2+": 1.0})
    workers_effect: float = 0.04  # effect on log workers, same event path
    productivity_trend: float = 0.012  # common log growth per year
    selection_productivity: float = 0.10  # supported establishments are a bit more productive…
    selection_workers: float = 0.20  # …and larger (levels only: trends are parallel)
    support_years: tuple = (2016, 2021)
    # Provinces: percentage points of industrial growth per 0.1 % of industrial GRDP spent.
    grdp_beta: float = 2.0
    northern_trainee_attainment: float = 0.82
    attainment_mean: float = 0.97
    # Messy cells.
    bad_share: float = 0.015
    survey_bad_share: float = 0.01
    variant_share: float = 0.04
    whitespace_share: float = 0.03


def rng(seed: int, stream: int) -> np.random.Generator:
    """An independent stream per component, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, stream])


def years(params: DemoParams) -> list[int]:
    """The years the demo set covers."""
    return list(range(params.year_first, params.year_last + 1))
