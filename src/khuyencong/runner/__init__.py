"""notebooks → reports/: the report matrix, fingerprints, execution, publishing, manifest and index site."""
