"""Atomic writes, checksums, stable XLSX bytes and bounded YAML: a crash never leaves half a file, every
file has a fingerprint, a workbook with equal content is saved with equal bytes, and a YAML file
is read safely (no code, no alias bomb) or refused with one clear message."""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from khuyencong import limits
from khuyencong.errors import InputError

if TYPE_CHECKING:
    import openpyxl

FIXED_TIME = datetime(2012, 5, 21, 0, 0, 0)  # stamped into XLSX files so bytes are stable


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    On any exception the temporary file is removed and ``target`` keeps its previous content.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: Path | str, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target: Path | str, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(target, text.encode(encoding))


def sha256_file(path: Path | str, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stable_xlsx(wb: openpyxl.Workbook) -> bytes:
    """Save ``wb`` with fixed document dates and zip timestamps, so equal content gives equal bytes."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "khuyencong"
    raw = io.BytesIO()
    wb.save(raw)
    return stable_zip(raw.getvalue(), _stable_member)


def stable_zip(data: bytes, member=lambda name, content: content) -> bytes:
    """An Office file (a zip) rewritten with fixed member times and modes; ``member(name, bytes)``
    may normalise each member's content. Equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, member(info.filename, src.read(info.filename)))
    return out.getvalue()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_MERGE = re.compile(rb"<mergeCell [^>]*/>")


def _stable_member(name: str, data: bytes) -> bytes:
    """openpyxl stamps the save time into core.xml and writes merged ranges in set order: fix both."""
    if name == "docProps/core.xml":
        stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        return _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
    if name.startswith("xl/worksheets/") and b"<mergeCell " in data:
        cells = sorted(_MERGE.findall(data))
        it = iter(cells)
        return _MERGE.sub(lambda m: next(it), data)
    return data


def load_yaml(path: Path | str, shown: str | None = None, error: type[InputError] = InputError) -> Any:
    """The content of a YAML file, read with the safe loader within :mod:`khuyencong.limits`.

    Raises ``error`` (an :class:`~khuyencong.errors.InputError` subclass) naming ``shown`` (the
    name to print, default the file name) for a file that is too large, not UTF-8, not valid
    YAML, uses a tag such as ``!!python/object`` (never executed) or whose aliases expand too far.
    """
    import yaml

    path = Path(path)
    shown = shown or path.name
    with open(path, "rb") as fh:
        raw = fh.read(int(limits.YAML_BYTES.value()) + 1)
        limits.YAML_BYTES.check(max(len(raw), os.fstat(fh.fileno()).st_size), shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    loader = _bounded_loader()(text)
    loader.shown = shown
    try:
        return loader.get_single_data()
    except yaml.constructor.ConstructorError as exc:
        raise error(f"{shown}{_where(exc)}: {exc.problem}; only plain YAML values (text, numbers, lists, "
                    "mappings) are allowed, tags such as !!python/... are never run") from None
    except yaml.YAMLError as exc:
        what = getattr(exc, "problem", None) or str(exc)
        raise error(f"{shown}{_where(exc)}: not valid YAML ({what}); fix the line shown") from None
    except _DuplicateKey as dup:
        raise error(f"{shown}, line {dup.again}: the key {dup.key!r} is given again (first on line {dup.first}); "
                    "keep one of them") from None
    except _RecursiveAlias:
        raise error(f"{shown}: an alias (*name) sits inside its own anchor (&name) and would expand "
                    "without end; copy the values instead") from None
    except RecursionError:
        raise error(f"{shown}: nested too deeply to read; flatten its lists and mappings") from None
    finally:
        loader.dispose()


def _where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f", line {mark.line + 1}" if mark is not None else ""


@lru_cache(maxsize=1)
def _bounded_loader():
    """The loader class, built on first use so importing this module does not import yaml."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """The safe loader, refusing a document whose aliases expand to too many nodes."""

        shown = "YAML file"

        def compose_document(self):
            node = super().compose_document()
            expanded = _expanded_size(node, {}, set())
            limits.YAML_ALIASES.check(expanded - _distinct_size(node, set()), f"{self.shown} (aliases)")
            return node

        def construct_mapping(self, node, deep=False):
            """A key given twice is refused: YAML would keep the second without a word."""
            lines: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue  # an unhashable key is refused by the constructor itself
                if key in lines:
                    raise _DuplicateKey(key, lines[key], key_node.start_mark.line + 1)
                lines[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return BoundedLoader


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, again: int):
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def _children(node) -> list:
    """The nodes directly inside a sequence or mapping node (keys and values); none for a scalar."""
    if not isinstance(node.value, list):
        return []
    return [part for item in node.value for part in (item if isinstance(item, tuple) else (item,))]


def _expanded_size(node, sizes: dict, open_: set) -> int:
    """Nodes in ``node`` once every alias is expanded (memoised by node, so a bomb is measured, not built)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        raise _RecursiveAlias
    open_.add(key)
    total = 1 + sum(_expanded_size(child, sizes, open_) for child in _children(node))
    open_.discard(key)
    sizes[key] = total
    return total


def _distinct_size(node, seen: set) -> int:
    if id(node) in seen:
        return 0
    seen.add(id(node))
    return 1 + sum(_distinct_size(child, seen) for child in _children(node))


class _RecursiveAlias(Exception):
    """An alias inside its own anchor: a structure without end once expanded."""
