"""Vocabulary every layer shares: provinces (63/34), Vietnamese figures, labels, dataset formats, schemas."""
