import stat

import pytest

from khuyencong.files import atomic_path, atomic_write_text, sha256_file


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "một")
    atomic_write_text(target, "hai")
    assert target.read_text(encoding="utf-8") == "hai"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_crash_keeps_previous_content_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_sha256_matches_hashlib(tmp_path):
    import hashlib

    data = b"29.229,2 tri\xe1\xbb\x87u \xc4\x91\xe1\xbb\x93ng" * 100_000
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()
