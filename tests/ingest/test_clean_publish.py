"""``clean`` publishes its files as one set: a kill at any moment leaves the whole old set or the whole new one.

The set in force is recorded with its fingerprint (``.current/.manifest.json``: sha256 of each file),
so a test can tell a consistent set from a mixed one without knowing the outputs in advance.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.raw_files import REGISTER_HEADER, register_row, write_csv
from khuyencong.errors import InputError
from khuyencong.files import sha256_file
from khuyencong.ingest import publish
from khuyencong.ingest.clean import clean_all

SRC = Path(__file__).resolve().parents[2] / "src"
CLEAN = "import sys; from pathlib import Path; from khuyencong.ingest.clean import clean_all; " \
        "clean_all({'register': [Path(sys.argv[1])]}, out_dir=sys.argv[2])"


def visible(out: Path) -> dict[str, bytes]:
    """Every output as readers see it (through the links), by name."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".")}


def registers(tmp_path: Path) -> tuple[Path, Path]:
    old = write_csv(tmp_path / "old.csv", REGISTER_HEADER, [register_row()])
    new = write_csv(tmp_path / "new.csv", REGISTER_HEADER,
                    [register_row(pid=f"DA-{i}", support=str(100 + i)) for i in range(300)] + [register_row(year=1)])
    return old, new


def test_visible_files_are_the_set_in_force(tmp_path):
    old, _ = registers(tmp_path)
    out = tmp_path / "out"
    clean_all({"register": [old]}, out_dir=out)
    manifest = publish.manifest(out)
    assert set(manifest) == set(visible(out))
    assert all(sha256_file(out / name) == digest for name, digest in manifest.items())


def test_an_empty_input_folder_fails_and_leaves_the_old_tables(tmp_path):
    old, _ = registers(tmp_path)
    out = tmp_path / "out"
    clean_all({"register": [old]}, out_dir=out)
    before = visible(out)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no table file found"):
        clean_all({"register": [tmp_path / "empty"]}, out_dir=out)
    assert visible(out) == before


def test_plain_files_of_an_older_version_are_adopted_without_changing_what_readers_see(tmp_path):
    old, new = registers(tmp_path)
    clean_all({"register": [old]}, out_dir=tmp_path / "ref")
    out = tmp_path / "out"
    for name, data in visible(tmp_path / "ref").items():  # as an older version left them: plain files
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / "survey.parquet").write_bytes(b"another dataset")
    clean_all({"register": [new]}, out_dir=out)
    assert (out / "register.parquet").is_symlink() and visible(out)["survey.parquet"] == b"another dataset"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """Inputs, the old set (cleaned once, copied per test) and the two sets' visible bytes."""
    root = tmp_path_factory.mktemp("sets")
    old, new = registers(root)
    clean_all({"register": [old]}, out_dir=root / "old")
    clean_all({"register": [new]}, out_dir=root / "new")
    return {"old": old, "new": new, "old_out": root / "old", "sets": [visible(root / "old"), visible(root / "new")]}


def old_set(built: dict, out: Path) -> Path:
    shutil.copytree(built["old_out"], out, symlinks=True)
    return out


@pytest.mark.parametrize("step", range(12))
def test_a_failure_at_any_step_of_publishing_leaves_one_whole_set(tmp_path, monkeypatch, built, step):
    """Each rename and link (of staging and publishing) fails in turn: an in-process stand-in for a kill."""
    out = old_set(built, tmp_path / "out")
    calls = {"n": 0}

    def failing(real):
        def call(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == step + 1:
                raise OSError("killed here")
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(publish.os, "replace", failing(os.replace))
    monkeypatch.setattr(publish.os, "symlink", failing(os.symlink))
    try:
        clean_all({"register": [built["new"]]}, out_dir=out)
    except OSError:
        pass
    assert visible(out) in built["sets"]
    if step == 5:
        monkeypatch.undo()
        clean_all({"register": [built["new"]]}, out_dir=out)  # the next clean finishes the job
        assert visible(out) == built["sets"][1]


def test_killing_clean_at_random_moments_leaves_the_old_or_the_new_set(tmp_path, built):
    """SIGKILL at 4 random moments (seeded) of a clean subprocess, late in its run where it writes and
    publishes; budget about 30 s on a shared machine."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    start = time.time()
    subprocess.run([sys.executable, "-c", CLEAN, str(built["new"]), str(tmp_path / "timing")], env=env, check=True)
    duration = time.time() - start
    rng = random.Random(12)
    for i in range(4):
        out = old_set(built, tmp_path / f"out{i}")
        proc = subprocess.Popen([sys.executable, "-c", CLEAN, str(built["new"]), str(out)], env=env,
                                start_new_session=True)
        time.sleep(rng.uniform(0.7, 1.05) * duration)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert visible(out) in built["sets"]
