"""khuyencong: reproducible measurement of Vietnam's industrial-extension programme (khuyến công)."""

__version__ = "0.1.0"
