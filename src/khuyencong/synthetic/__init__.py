"""The SYNTHETIC demo set: a seeded generator with known truth, kept apart from the real record."""
