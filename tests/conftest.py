"""Test modules live in folders that mirror src/khuyencong/; the shared builders in tests/fixtures/ are importable from all of them."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Before any test module imports openpyxl: the same XLSX bytes with or without lxml (see khuyencong/__init__.py).
os.environ.setdefault("OPENPYXL_LXML", "False")
