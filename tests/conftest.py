"""Test modules live in folders that mirror src/khuyencong/; the shared builders in tests/fixtures/ are importable from all of them."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
