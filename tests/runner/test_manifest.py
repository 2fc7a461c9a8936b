"""The published manifest (runner/manifest.py) records the command without machine paths."""
from __future__ import annotations

from khuyencong.runner.manifest import command_line


def test_the_recorded_command_shows_paths_relative_to_the_project(tmp_path, monkeypatch):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    argv = ["/opt/venv/bin/khuyencong", "run", "--config", str(tmp_path / "my reports.yml"),
            f"--config={tmp_path}/other.yml", "--province", "Hà Nội", "/elsewhere/x.yml"]
    shown = command_line(argv)
    assert shown == "khuyencong run --config 'my reports.yml' --config=other.yml --province 'Hà Nội' x.yml"
    assert str(tmp_path) not in shown and "/opt" not in shown
