"""``khuyencong run``: incremental, parallel, failure-tolerant, locked, atomic report regeneration.

Each test works on a copy of a tiny project (tests/run_project.py) with KHUYENCONG_ROOT set;
kernel starts cost ~1-2 s each, so the matrices are small.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml

from khuyencong import fingerprint
from khuyencong.cli import configure_logging
from khuyencong.cli import main as cli_main
from khuyencong.runner import config as runconfig
from khuyencong.runner import pdf
from khuyencong.runner.lock import LockHeld
from khuyencong.runner.plan import reason
from khuyencong.runner.run import Options, run_reports
from run_project import make_project, tables, write_tables

SRC = Path(__file__).resolve().parents[2] / "src"
MATRIX = {"nb_prov": "provinces"}  # national scope: see the failures test
ALL_RUNS = ["vi/all/nb_prov", "vi/can-tho/nb_prov", "vi/ha-noi/nb_prov"]


@contextmanager
def project(root: Path):
    old = os.environ.get("KHUYENCONG_ROOT")
    os.environ["KHUYENCONG_ROOT"] = str(root)
    try:
        yield root
    finally:
        if old is None:
            del os.environ["KHUYENCONG_ROOT"]
        else:
            os.environ["KHUYENCONG_ROOT"] = old


def run(root: Path, **options) -> int:
    """Run in-process. The package hash is pinned: other work on src/ must not make runs look stale
    (code-change detection itself is covered by test_reasons and test_package_hash_follows_the_code)."""
    configure_logging()  # as the CLI does: messages on stdout
    with project(root), pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingerprint, "package_hash", lambda cache: "pinned-package-hash")
        return run_reports(Options(**options))


def lines(out: str, prefix: str) -> dict[str, str]:
    """{label: reason} of the plan lines starting with ``prefix`` ("run" or "skip")."""
    found = {}
    for line in out.splitlines():
        if line.startswith(prefix + ": "):
            why, _, label = line[len(prefix) + 2:].rpartition(" — ")
            found[label] = why
    return found


def notebook_bytes(root: Path, labels=ALL_RUNS) -> dict[str, bytes]:
    return {lab: (root / "reports" / lab / f"{lab.rsplit('/', 1)[1]}.ipynb").read_bytes() for lab in labels}


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    """A project whose matrix (3 runs) has been run once with 2 workers."""
    root = make_project(tmp_path_factory.mktemp("golden") / "p", MATRIX)
    assert run(root, workers=2) == 0
    return root


@pytest.fixture
def copy(golden, tmp_path) -> Path:
    return Path(shutil.copytree(golden, tmp_path / "p"))


def change_rows(root: Path, codes_2025: set[str]) -> None:
    frames = tables()
    reg = frames["register"]
    hit = reg["province_code_2025"].isin(codes_2025)
    reg.loc[hit, "state_support"] = reg.loc[hit, "state_support"] + 1
    write_tables(root, frames)


# ---------------------------------------------------------------- with kernels

def test_first_run_executes_everything_and_records_it(golden):
    reports = golden / "reports"
    for label in ALL_RUNS:
        name = label.rsplit("/", 1)[1]
        for suffix in (".ipynb", ".html"):
            assert (reports / label / f"{name}{suffix}").exists(), label
        assert (reports / label / "rows.csv").exists(), "output_dir must reach the notebook"
    text = (reports / "vi/ha-noi/nb_prov/nb_prov.ipynb").read_text(encoding="utf-8")
    assert "Hà Nội 8 1088" in text and '"execution"' not in text
    assert str(golden) not in text and ".staging" not in text
    assert 'output_dir = \\"../reports/vi/ha-noi/nb_prov\\"' in text
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert {"git", "python", "packages", "data_version", "generated"} <= set(manifest)
    assert len(manifest["runs"]) == 3
    rec = next(r for r in manifest["runs"] if r["label"] == "vi/ha-noi/nb_prov")
    for key in ("parameters", "inputs", "started", "finished", "duration_s", "cells_s", "status", "git", "environment",
                "reproduce", "outputs"):
        assert key in rec, key
    assert rec["status"] == "ok" and rec["error"] is None
    assert rec["inputs"]["register"]["rows"] == "province_code_2025=01"
    assert rec["parameters"]["province"] == "01" and "-r province 01" in rec["reproduce"]  # the code, resolved once
    assert (reports / "index.html").exists() and (reports / "index.en.html").exists()
    assert not (reports / ".staging").exists() and not (reports / ".state/lock.json").exists()


def test_second_run_skips_everything_and_says_so(copy, capsys):
    before = notebook_bytes(copy)
    mtimes = {p: p.stat().st_mtime_ns for p in (copy / "reports").rglob("*.ipynb")}
    index = {p: p.stat().st_mtime_ns for p in (copy / "reports").glob("*.*") if p.is_file()}  # pages and manifest
    start = time.perf_counter()
    assert run(copy) == 0
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert lines(out, "skip") == {lab: "unchanged" for lab in ALL_RUNS}
    assert lines(out, "run") == {}
    assert notebook_bytes(copy) == before
    assert mtimes == {p: p.stat().st_mtime_ns for p in (copy / "reports").rglob("*.ipynb")}
    assert index == {p: p.stat().st_mtime_ns for p in (copy / "reports").glob("*.*") if p.is_file()}, "index rebuilt for nothing"
    assert elapsed < 5


def test_changing_one_province_reruns_only_what_reads_it(copy, capsys):
    change_rows(copy, {"01"})
    assert run(copy, workers=2) == 0
    out = capsys.readouterr().out
    assert lines(out, "run") == {lab: "inputs changed: register" for lab in ("vi/all/nb_prov", "vi/ha-noi/nb_prov")}
    assert lines(out, "skip") == {"vi/can-tho/nb_prov": "unchanged"}
    text = (copy / "reports/vi/ha-noi/nb_prov/nb_prov.ipynb").read_text(encoding="utf-8")
    assert "Hà Nội 8 1096" in text  # 8 projects, Σ state support 1088 + 8 × 1


def test_failures_timeouts_and_dead_kernels_do_not_stop_the_others(tmp_path, capsys):
    root = make_project(tmp_path / "p", {"nb_nat": "national", "nb_fail": "national",
                                         "nb_dead": "national", "nb_slow": "national"}, timeout=3)
    assert run(root, workers=4) == 1
    out = capsys.readouterr().out
    reports = root / "reports"
    assert (reports / "vi/all/nb_nat/nb_nat.html").exists()
    summary = {line.split(":", 1)[0].strip(): line for line in out.splitlines() if line.startswith("  FAILED")}
    assert "ZeroDivisionError: division by zero" in summary["FAILED vi/all/nb_fail"]
    assert "DeadKernelError" in summary["FAILED vi/all/nb_dead"]
    assert "CellTimeoutError" in summary["FAILED vi/all/nb_slow"]
    partial = (reports / "vi/all/nb_fail/nb_fail.ipynb").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in partial and "before" in partial
    assert (reports / "vi/all/nb_fail/nb_fail.html").exists()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.count('class="failed"') == 3
    assert run(root, dry_run=True) == 0
    again = lines(capsys.readouterr().out, "run")
    assert again == {f"vi/all/{n}": "previous failure" for n in ("nb_fail", "nb_dead", "nb_slow")}


def test_killed_run_leaves_complete_reports_and_the_next_run_finishes(copy):
    before = notebook_bytes(copy)
    change_rows(copy, {"01", "92"})  # every run must re-run
    env = {**os.environ, "KHUYENCONG_ROOT": str(copy), "PYTHONPATH": str(SRC)}
    start = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "khuyencong.cli", "run", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    states = copy / "reports/.state/runs"
    try:
        deadline = time.time() + 600  # a guard against a hang, not a time limit
        while not any(p.stat().st_mtime > start for p in states.glob("*.json")):
            assert proc.poll() is None and time.time() < deadline, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    after_kill = notebook_bytes(copy)  # every report is still there and complete (old or new)
    changed = [lab for lab in ALL_RUNS if after_kill[lab] != before[lab]]
    assert 1 <= len(changed) < len(ALL_RUNS)
    for lab, data in after_kill.items():
        nb = json.loads(data)
        assert nb["cells"][-1]["outputs"], f"{lab} is incomplete"
    again = subprocess.run([sys.executable, "-m", "khuyencong.cli", "run", "--workers", "2"], env=env,
                           capture_output=True, text=True, timeout=900)  # same (unpinned) code hash as the killed run
    assert again.returncode == 0, again.stdout + again.stderr
    out = again.stdout
    assert "taking over a stale lock" in out
    # a run killed between publishing its outputs and dropping its publishing note runs again, said so
    cut = {lab for lab in ALL_RUNS if f"note: {lab} was being published when a run was interrupted" in out}
    assert cut <= set(changed)
    assert set(lines(out, "run")) == (set(ALL_RUNS) - set(changed)) | cut
    assert not (copy / "reports/.staging").exists()
    assert all(json.loads(b)["cells"][-1]["outputs"] for b in notebook_bytes(copy).values())


def test_workers_and_dask_give_identical_notebooks(copy, golden, capsys):
    distributed = pytest.importorskip("distributed")
    chosen = ["vi/ha-noi/nb_prov"]
    filters = {"provinces": ["Hà Nội"], "force": True}
    assert run(copy, workers=1, **filters) == 0
    serial = notebook_bytes(copy, chosen)
    capsys.readouterr()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert run(copy, scheduler=cluster.scheduler_address, **filters) == 0
    assert lines(capsys.readouterr().out, "run") == {lab: "forced" for lab in chosen}
    assert notebook_bytes(copy, chosen) == serial == notebook_bytes(golden, chosen)


# ---------------------------------------------------------------- without kernels

def test_force_and_dry_run_run_nothing(copy, capsys):
    state = {p: p.read_bytes() for p in (copy / "reports").rglob("*") if p.is_file()}
    assert run(copy, force=True, dry_run=True) == 0
    out = capsys.readouterr().out
    assert lines(out, "run") == {lab: "forced" for lab in ALL_RUNS}
    assert "nothing was executed" in out
    change_rows(copy, {"92"})
    assert run(copy, dry_run=True, provinces=["Sóc Trăng"]) == 0  # legacy name → Cần Thơ
    assert lines(capsys.readouterr().out, "run") == {"vi/can-tho/nb_prov": "inputs changed: register"}
    assert state == {p: p.read_bytes() for p in (copy / "reports").rglob("*") if p.is_file()}


HOLD_LOCK = """
import sys, time
from pathlib import Path
from khuyencong.runner.lock import RunLock
with RunLock(Path(sys.argv[1]), Path(sys.argv[2]), command="khuyencong run"):
    print("holding", flush=True)
    time.sleep(60)
"""


@contextmanager
def lock_holder(root: Path):
    """A process holding the report lock of ``root`` until the block ends (killed with SIGKILL)."""
    reports = root / "reports"
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(reports / ".lock"),
                             str(reports / ".state/lock.json")], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_lock_blocks_a_second_run_and_is_released_when_its_holder_dies(copy, capsys):
    with lock_holder(copy) as holder:
        with pytest.raises(LockHeld, match=f"pid {holder.pid} on .*khuyencong run"):
            run(copy)
        with project(copy):
            assert cli_main(["run"]) == 3
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and "khuyencong run" in err and "Traceback" not in err
    assert run(copy) == 0  # the holder was killed: the OS released its lock
    assert f"taking over a stale lock: pid {holder.pid}" in capsys.readouterr().out
    assert not (copy / "reports/.state/lock.json").exists()


@pytest.mark.parametrize("garbage", ["[1, 2]", '"me"', "{not json"])
def test_a_lock_note_holding_garbage_is_reported_not_a_traceback(copy, capsys, garbage):
    note = copy / "reports/.state/lock.json"
    with lock_holder(copy):
        note.write_text(garbage)
        with project(copy):
            assert cli_main(["run", "--dry-run"]) == 0  # a dry run takes no lock
            assert cli_main(["run"]) == 3
        assert "an unknown process" in capsys.readouterr().err
    note.write_text(garbage)  # left by a holder that died
    assert run(copy) == 0
    assert "taking over a stale lock: an unknown process" in capsys.readouterr().out


def test_hostile_province_strings_cannot_leave_reports(copy, capsys):
    outside = sorted(p.name for p in copy.parent.iterdir())
    with project(copy):
        assert cli_main(["run", "--province", "../../etc", "--dry-run"]) == 2
        assert "unknown province '../../etc'" in capsys.readouterr().err
        config = runconfig.load_config()
        with pytest.raises(runconfig.ConfigError):
            runconfig.build_matrix(runconfig.Config(**{**config.__dict__, "provinces": ["../../etc"]}))
        run0 = runconfig.build_matrix(config)[0]
        evil = runconfig.Run(run0.notebook, None, "all", "../../../evil", "vi", "2025", 2012, 2024)
        with pytest.raises(runconfig.ConfigError, match="leave reports"):
            runconfig.inside_reports(evil.rel_dir)
        with pytest.raises(runconfig.ConfigError):
            runconfig.inside_reports("")
    assert sorted(p.name for p in copy.parent.iterdir()) == outside


def test_reasons():
    from dataclasses import replace

    from khuyencong.runner.plan import Fingerprint

    fp = Fingerprint(notebook="a", parameters={"lang": "vi"}, inputs={"register": "x", "plans": "y"}, code="c",
                     environment="e", kernel="k", formats=["html"])
    ok = {"status": "ok", "fingerprint": fp.record()}
    assert reason(fp, ok, True, False) is None
    assert reason(fp, ok, True, True) == "forced"
    assert reason(fp, None, False, False) == "new"
    assert reason(fp, {**ok, "status": "failed"}, True, False) == "previous failure"
    assert reason(fp, ok, False, False) == "outputs missing"
    changed = replace(fp, notebook="b", inputs={"register": "x", "plans": "z"}, code="d")
    assert reason(changed, ok, True, False) == "notebook changed; code changed; inputs changed: plans"


def test_table_hashes_change_only_for_the_changed_province(tmp_path):
    frames = tables()
    write_tables(tmp_path, frames)
    path = tmp_path / "data/processed/register.parquet"
    first = fingerprint.table_hashes(path)
    reg = frames["register"]
    reg.loc[reg["province_code"] == "94", "state_support"] += 1  # Sóc Trăng, part of Cần Thơ (92)
    write_tables(tmp_path, frames)
    second = fingerprint.table_hashes(path)
    assert first["province_code_2025"]["01"] == second["province_code_2025"]["01"]
    assert first["province_code_2025"]["92"] != second["province_code_2025"]["92"]
    assert first["province_code"]["93"] == second["province_code"]["93"]
    assert first["all"] != second["all"]
    write_tables(tmp_path, tables())
    assert fingerprint.table_hashes(path) == first  # same content → same hashes


def test_slugs_come_from_the_registry():
    place, note = runconfig.resolve_province("ha noi", "2025")
    assert (place.name, place.slug, place.name_en, note) == ("Hà Nội", "ha-noi", "Hanoi", "")
    place, note = runconfig.resolve_province("Sóc Trăng", "2025")
    assert place.slug == "can-tho" and note == "Sóc Trăng → Cần Thơ (2025 boundaries)"
    assert runconfig.resolve_province("94", "legacy")[0].slug == "soc-trang"
    for everything in ("all", "*", " ALL "):
        assert runconfig.resolve_province(everything, "2025") == (runconfig.NATIONAL, "")


def test_package_hash_follows_the_code_and_notebook_hash_ignores_outputs(tmp_path, monkeypatch):
    import nbformat

    from khuyencong import paths

    pkg = tmp_path / "pkg"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(paths, "PACKAGE_DIR", pkg)
    cache = fingerprint.HashCache(tmp_path / "state")
    first = fingerprint.package_hash(cache)
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    assert fingerprint.package_hash(cache) == first
    (pkg / "a.py").write_text("x = 2\n")
    assert fingerprint.package_hash(cache) != first

    nb_path = tmp_path / "n.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, nb_path)
    before = fingerprint.notebook_code_hash(nb_path)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nbformat.write(nb, nb_path)
    assert fingerprint.notebook_code_hash(nb_path) == before
    nb.cells[0].source = "print(2)"
    nbformat.write(nb, nb_path)
    assert fingerprint.notebook_code_hash(nb_path) != before


def test_runs_write_nothing_in_the_users_home(copy, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR")}
    env.update(HOME=str(home), KHUYENCONG_ROOT=str(copy), PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "khuyencong.cli", "run", "--force", "--province", "Hà Nội"],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
    assert (copy / "reports/.state/kernel/ipython").is_dir()


@pytest.mark.skipif(not any(shutil.which(b) for b in pdf.BROWSERS), reason="no Chromium installed")
def test_pdf_runs_write_nothing_in_the_users_home(copy, tmp_path):
    """Issue 23: a run printing PDFs with Chromium wrote ~/.config/chromium/Crash Reports/ and ~/.cache/dconf."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR")}
    env.update(HOME=str(home), KHUYENCONG_ROOT=str(copy), PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "khuyencong.cli", "run", "--force", "--province", "Hà Nội",
                           "--formats", "html,pdf"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((copy / "reports").rglob("*.pdf"))
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []


def test_the_browser_keeps_its_home_config_and_cache_in_its_profile(tmp_path):
    env = pdf.browser_env(tmp_path / "profile")
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        assert env[key].startswith(str(tmp_path / "profile")), key


@pytest.mark.skipif(not any(shutil.which(b) for b in pdf.BROWSERS), reason="no Chromium installed")
def test_formats_per_notebook_and_the_override(tmp_path, capsys):
    root = make_project(tmp_path / "p", {"nb_prov": "provinces", "nb_echo": "national"}, provinces=["Cần Thơ"])
    config = yaml.safe_load((root / "reports.yml").read_text(encoding="utf-8"))
    config["notebooks"][0]["formats"] = ["html", "pdf"]
    (root / "reports.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert run(root, workers=1) == 0
    published = {p.relative_to(root / "reports").as_posix() for p in (root / "reports").rglob("*.pdf")}
    assert published == {"vi/can-tho/nb_prov/nb_prov.pdf", "vi/all/nb_prov/nb_prov.pdf"}
    capsys.readouterr()
    assert run(root, workers=1, formats=["html"], dry_run=True) == 0
    out = capsys.readouterr().out
    assert out.count("run: formats changed") == 2 and "skip: unchanged — vi/all/nb_echo" in out


def test_shared_tables_are_declared_in_reports_yml():
    brief = next(nb for nb in runconfig.load_config(SRC.parent / "reports.yml").notebooks
                 if nb.name == "90_province_report")
    assert brief.shared == ("area_tables",)
    assert runconfig._notebook({"name": "nb"}, 0).shared == ()
    with pytest.raises(runconfig.ConfigError, match=r"unknown shared table\(s\) \['everything'\]"):
        runconfig._notebook({"name": "nb", "shared": ["everything"]}, 0)


def test_after_a_partial_run_the_index_links_no_report_of_older_data(copy):
    """Issue 19: after a one-province run on new data the index still linked the other provinces'
    old briefs as if they were current."""
    change_rows(copy, {"92"})  # Cần Thơ's rows change; only Hà Nội is run again
    assert run(copy, provinces=["Hà Nội"]) == 0
    index = (copy / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="vi/ha-noi/nb_prov/nb_prov.html"' in index
    assert 'href="vi/can-tho/nb_prov/nb_prov.html"' not in index and "chưa làm lại với số liệu hiện tại" in index
    assert run(copy, provinces=["Cần Thơ"]) == 0  # remade: linked again
    assert 'href="vi/can-tho/nb_prov/nb_prov.html"' in (copy / "reports" / "index.html").read_text(encoding="utf-8")
