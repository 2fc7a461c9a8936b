"""``khuyencong run`` against a bad ``reports.yml`` and a hostile machine: one message and an exit
code from the table in :mod:`khuyencong.errors`, never a traceback, and reports left whole.

No kernel is started: :func:`khuyencong.runner.pool.run_all` is replaced by a fake that writes
each run's notebook into its staging folder, so what is tested is the coordinator.
"""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from khuyencong import fingerprint
from khuyencong.cli import main as cli_main
from khuyencong.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERRUPTED, EXIT_OK
from khuyencong.runner import pool, publish, run as runmod
from khuyencong.runner.execute import RunResult
from run_project import make_project

LABELS = ["vi/all/nb_prov", "vi/can-tho/nb_prov", "vi/ha-noi/nb_prov"]


def fake_run_all(specs, workers, scheduler=None):
    """Each run 'executes' by writing its notebook and HTML into staging, stamped with the time."""
    for spec in specs:
        staging = Path(spec.staging)
        staging.mkdir(parents=True, exist_ok=True)
        stamp = runmod.datetime.now(runmod.timezone.utc).isoformat()
        for suffix in (".ipynb", ".html"):
            (staging / f"{spec.name}{suffix}").write_text(stamp, encoding="utf-8")
        yield RunResult(spec.run_id, "ok", None, stamp, stamp, 0.0, None, "test")


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = make_project(tmp_path / "p", {"nb_prov": "provinces"})
    monkeypatch.setenv("KHUYENCONG_ROOT", str(root))
    monkeypatch.setattr(pool, "run_all", fake_run_all)
    monkeypatch.setattr(fingerprint, "package_hash", lambda cache: "pinned-package-hash")
    return root


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(["run", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def records(root: Path) -> dict[str, dict]:
    return {json.loads(p.read_text())["label"]: json.loads(p.read_text())
            for p in (root / "reports/.state/runs").glob("*.json")}


# ---------------------------------------------------------------- reports.yml

BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))

BAD_CONFIGS = {
    "syntax": ("years: [2012, 2024\nnotebooks: []\n", "line 2: not valid YAML"),
    "a list": ("- years\n- notebooks\n", "must be a mapping of settings"),
    "a string": ("just some text\n", "must be a mapping of settings"),
    "code tag": ("years: !!python/object/apply:os.system ['touch PWNED']\n", "tags such as !!python"),
    "alias bomb": (BOMB, "KHUYENCONG_MAX_YAML_ALIASES="),
    "not utf-8": (b"years: [2012, 2024] # caf\xe9\n", "not UTF-8"),
    "years words": ("years: [first, last]\n", "years must be a whole number"),
    "notebooks mapping": ("notebooks: {name: nb_prov}\n", "'notebooks' must be a list"),
    "title list": ("notebooks: [{name: nb_prov, title: [a, b]}]\n", "title must be text or a mapping"),
    "inputs number": ("notebooks: [{name: nb_prov, inputs: 5}]\n", "inputs must be a list of table names"),
    "parameters list": ("notebooks: [{name: nb_prov, parameters: [1]}]\n", "parameters must be a mapping"),
    "timeout text": ("timeout: soon\nnotebooks: [{name: nb_prov}]\n", "timeout (seconds per cell) must be"),
    "kernel list": ("kernel: [a]\nnotebooks: [{name: nb_prov}]\n", "kernel must be a Jupyter kernel name"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_bad_reports_yml_is_one_message_and_exit_2(root, capsys, case):
    content, expected = BAD_CONFIGS[case]
    target = root / "reports.yml"
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, _, err = cli(capsys, "--dry-run")
    assert code == EXIT_BAD_INPUT
    assert err.startswith("error: ") and "reports.yml" in err and expected in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (root / "PWNED").exists() and not Path("PWNED").exists()


def test_an_oversized_reports_yml_says_how_to_raise_the_limit(root, capsys, monkeypatch):
    monkeypatch.setenv("KHUYENCONG_MAX_YAML_BYTES", "100")
    code, _, err = cli(capsys, "--dry-run")
    assert code == EXIT_BAD_INPUT
    assert "reports.yml" in err and "over the limit of 100" in err and "KHUYENCONG_MAX_YAML_BYTES=" in err


# ---------------------------------------------------------------- the machine

def test_a_staging_folder_that_is_a_symlink_is_refused_and_never_emptied(root, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (root / "reports/.staging").symlink_to(outside)
    code, _, err = cli(capsys)
    assert code == EXIT_ENVIRONMENT
    assert "reports/.staging is a symbolic link" in err and "rm reports/.staging" in err
    assert (outside / "precious.txt").read_text() == "keep me"
    assert not (root / "reports/.state/lock.json").exists()


def test_a_full_disk_during_a_run_is_exit_5_and_leaves_no_half_state(root, capsys, monkeypatch):
    assert cli(capsys)[0] == EXIT_OK
    before = {lab: (root / "reports" / lab / "nb_prov.ipynb").read_text() for lab in LABELS}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(root / "reports/.state/runs/x.json"))

    monkeypatch.setattr(publish, "write_record", full)
    code, _, err = cli(capsys, "--force")
    assert code == EXIT_ENVIRONMENT
    assert "no space left on the device" in err and "free some disk space" in err
    assert not (root / "reports/.staging").exists() and not (root / "reports/.state/lock.json").exists()
    monkeypatch.undo()
    monkeypatch.setenv("KHUYENCONG_ROOT", str(root))
    monkeypatch.setattr(pool, "run_all", fake_run_all)
    monkeypatch.setattr(fingerprint, "package_hash", lambda cache: "pinned-package-hash")
    code, out, _ = cli(capsys)  # the run whose record could not be written runs again
    assert code == EXIT_OK and "was being published when a run was interrupted" in out
    assert "run: new — vi/all/nb_prov" in out
    assert all((root / "reports" / lab / "nb_prov.ipynb").exists() for lab in before)


def test_a_read_only_reports_folder_is_exit_5(root, capsys, monkeypatch):
    from khuyencong.runner import lock

    def read_only(target, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr(lock, "atomic_write_text", read_only)
    code, _, err = cli(capsys)
    assert code == EXIT_ENVIRONMENT
    assert "read-only" in err and "reports/.state/lock.json" in err


def test_reports_parts_on_another_file_system_are_exit_5_and_keep_the_old_report(root, capsys, monkeypatch):
    assert cli(capsys)[0] == EXIT_OK
    label = "vi/ha-noi/nb_prov"
    old = (root / "reports" / label / "nb_prov.ipynb").read_text()
    real_rename = os.rename

    def cross_device(source, target):
        if ".staging" in str(source):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(source), str(target))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", cross_device)
    code, _, err = cli(capsys, "--force", "--province", "Hà Nội")
    assert code == EXIT_ENVIRONMENT
    assert "different file systems" in err and "reports/" in err
    assert (root / "reports" / label / "nb_prov.ipynb").read_text() == old
    assert not (root / "reports/.trash").exists() and not (root / "reports/.staging").exists()


# ---------------------------------------------------------------- manifest truth

def test_a_run_killed_before_its_manifest_is_shown_by_the_next_run(root, capsys, monkeypatch):
    assert cli(capsys)[0] == EXIT_OK

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # every report and record is new; the manifest was not rewritten

    with monkeypatch.context() as mp:
        mp.setattr(runmod, "_refresh_index", killed)
        assert cli_main(["run", "--force"]) == EXIT_INTERRUPTED
    capsys.readouterr()
    code, out, _ = cli(capsys)
    assert code == EXIT_OK and "run:" not in out
    manifest = json.loads((root / "reports/manifest.json").read_text(encoding="utf-8"))
    shown = {r["label"]: r["finished"] for r in manifest["runs"]}
    assert shown == {lab: rec["finished"] for lab, rec in records(root).items()}
    for lab, finished in shown.items():
        assert (root / "reports" / lab / "nb_prov.ipynb").read_text() == finished


def test_outputs_published_without_their_record_run_again(root, capsys, monkeypatch):
    assert cli(capsys)[0] == EXIT_OK
    with monkeypatch.context() as mp:  # killed between the rename and the record
        mp.setattr(publish, "write_record", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
        assert cli_main(["run", "--force", "--province", "Hà Nội"]) == EXIT_INTERRUPTED
    capsys.readouterr()
    code, out, _ = cli(capsys)
    assert code == EXIT_OK
    assert "vi/ha-noi/nb_prov was being published when a run was interrupted" in out
    assert "run: new — vi/ha-noi/nb_prov" in out and "skip: unchanged — vi/can-tho/nb_prov" in out
    rec = records(root)["vi/ha-noi/nb_prov"]
    assert (root / "reports/vi/ha-noi/nb_prov/nb_prov.ipynb").read_text() == rec["finished"]
    assert not any((root / "reports/.state/publishing").iterdir())


def test_an_unreachable_dask_scheduler_is_exit_5_with_the_fix():
    """Issue 23: `--scheduler tcp://127.0.0.1:1` ended in an OSError traceback."""
    import pytest

    from khuyencong.errors import EnvironmentProblem
    from khuyencong.runner.pool import executor

    with pytest.raises(EnvironmentProblem, match="no Dask scheduler answers at tcp://127.0.0.1:1") as caught:
        with executor(1, "tcp://127.0.0.1:1"):
            pass
    assert caught.value.exit_code == EXIT_ENVIRONMENT and "run without --scheduler" in str(caught.value)


def test_ctrl_c_stops_the_run_keeps_finished_reports_and_exits_130(tmp_path):
    """Issue 20: Ctrl-C (SIGINT to the process group) mid-run ended in a KeyboardInterrupt traceback."""
    import signal
    import subprocess
    import sys
    import time

    root = make_project(tmp_path / "p", {"nb_prov": "provinces", "nb_slow": "national"})
    env = {**os.environ, "KHUYENCONG_ROOT": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "khuyencong.cli", "run", "--workers", "2"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    def published(name: str) -> list:  # not the copies being written in reports/.staging
        reports = root / "reports"
        return [p for p in reports.rglob(name) if not any(x.startswith(".") for x in p.relative_to(reports).parts)]

    deadline = time.time() + 600
    while time.time() < deadline and len(published("nb_prov.html")) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group, workers and kernels too
    out, err = proc.communicate(timeout=600)  # a guard against a hang, not a time limit
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "interrupted: the reports finished before the interruption are published" in err
    assert len(published("nb_prov.html")) == 3 and not published("nb_slow.html")
    assert not (root / "reports" / ".state" / "lock.json").exists()
