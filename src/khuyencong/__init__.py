"""khuyencong: reproducible measurement of Vietnam's industrial-extension programme (khuyến công)."""
import os

# XLSX bytes (demo set, templates) must not depend on whether lxml happens to be installed:
# openpyxl serialises differently with it, and python-docx brings it in. Read when openpyxl is imported.
os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.1.0"
