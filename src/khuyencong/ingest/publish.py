"""Publish the files of one clean as a set: a kill at any moment leaves the whole old set or the whole new one.

An output folder (``data/processed/``) holds::

    .sets/<id>/...            one complete set of files, with .manifest.json (sha256 of each file)
    .current -> .sets/<id>    the set in force: a relative symbolic link, replaced in one rename
    <name> -> .current/<name> each file under its usual name (``rejected/x.csv -> ../.current/rejected/x.csv``)

Readers open ``data/processed/register.parquet`` as before and get the bytes of the set in force;
switching sets is one :func:`os.replace` of ``.current``. A plain file left by an older version is
first adopted into the set in force (same bytes), so what readers see never changes before the switch.
A file of the old set that this clean does not write (another dataset) is carried into the new set.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from khuyencong.files import atomic_write_text, sha256_file

SETS, CURRENT, MANIFEST = ".sets", ".current", ".manifest.json"


def manifest(out: Path) -> dict[str, str]:
    """{file name: sha256} of the set in force in ``out`` (empty when there is none)."""
    try:
        return json.loads((Path(out) / CURRENT / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class SetWriter:
    """Write files into a staging folder with :meth:`path`, then :meth:`publish` them as one set."""

    def __init__(self, out: Path | str):
        self.out = Path(out)
        self.staging = self.out / SETS / f".staging-{os.getpid()}"
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)
        self.names: list[str] = []

    def __enter__(self) -> "SetWriter":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def path(self, name: str) -> Path:
        """Where to write the file published as ``out/name``."""
        self.names.append(name)
        target = self.staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self) -> None:
        """Make the staged files the set in force (see the module docstring)."""
        plain = [n for n in self.names if (self.out / n).is_file() and not (self.out / n).is_symlink()]
        if plain:
            self._adopt(plain)
        old = manifest(self.out)
        for name in sorted(set(old) - set(self.names)):
            _link_or_copy(self.out / CURRENT / name, self.staging / name)
        set_id = _commit(self.staging, self.out)
        for name in self.names:
            _ensure_link(self.out, name)
        _switch(self.out, set_id)
        _prune(self.out, set_id)

    def _adopt(self, plain: list[str]) -> None:
        """Plain files of an older version join the set in force, then show through links (same bytes)."""
        folder = self.out / SETS / f".adopt-{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        for name in sorted(set(manifest(self.out)) - set(plain)):
            _link_or_copy(self.out / CURRENT / name, folder / name)
        for name in plain:
            _link_or_copy(self.out / name, folder / name)
        _switch(self.out, _commit(folder, self.out))
        for name in plain:
            _point(self.out, name)


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)


def _commit(folder: Path, out: Path) -> str:
    """Write the manifest of ``folder`` and rename it to ``.sets/<id>`` (id from the content)."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                   and p.name != MANIFEST)
    content = {name: sha256_file(folder / name) for name in files}
    text = json.dumps(content, indent=1, sort_keys=True) + "\n"
    atomic_write_text(folder / MANIFEST, text)
    set_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    final = out / SETS / set_id
    if final.exists():
        shutil.rmtree(folder)  # the same set is already there (a clean of unchanged inputs)
    else:
        os.replace(folder, final)
    return set_id


def _ensure_link(out: Path, name: str) -> None:
    """``out/name`` as a link into ``.current`` (a new name dangles until the switch: absent before it)."""
    if not (out / name).is_symlink():
        _point(out, name)


def _point(out: Path, name: str) -> None:
    visible = out / name
    visible.parent.mkdir(parents=True, exist_ok=True)
    _replace_with_link(visible, os.path.relpath(out / CURRENT / name, visible.parent))


def _replace_with_link(path: Path, target: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _switch(out: Path, set_id: str) -> None:
    _replace_with_link(out / CURRENT, f"{SETS}/{set_id}")


def _prune(out: Path, keep: str) -> None:
    """Remove the sets no longer in force and the staging folders of processes that died."""
    for entry in (out / SETS).iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith("."):  # .staging-<pid>, .adopt-<pid>
            pid = entry.name.rpartition("-")[2]
            if pid.isdigit() and (int(pid) == os.getpid() or _alive(int(pid))):
                continue
        shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
