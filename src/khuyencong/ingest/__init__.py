"""raw → processed: read raw files, validate, clean, parse GSO/MOF/published figures, record provenance, export."""
