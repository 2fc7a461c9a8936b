"""numbers → what a reader sees: tables, figures and the texts of the briefs, in Vietnamese or English."""
