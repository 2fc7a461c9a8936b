"""processed → numbers: selection of a province and years, metrics, estimators, panels, headline figures."""
