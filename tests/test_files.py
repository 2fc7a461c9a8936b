import stat

import openpyxl
import pytest

from khuyencong.files import atomic_path, atomic_write_text, sha256_file, stable_xlsx


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


def test_stable_xlsx_gives_equal_bytes_for_equal_content():
    def book() -> openpyxl.Workbook:
        wb = openpyxl.Workbook()
        wb.active.append(["Năm", 2024])
        wb.active.merge_cells("A2:B2")
        wb.active.merge_cells("A3:A4")
        return wb

    assert stable_xlsx(book()) == stable_xlsx(book())


# ---------------------------------------------------------------- load_yaml

def _yaml(tmp_path, content) -> "Path":
    path = tmp_path / "m.yml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_load_yaml_reads_plain_yaml_with_small_aliases(tmp_path):
    from khuyencong.files import load_yaml

    assert load_yaml(_yaml(tmp_path, "a: &d {x: 1}\nb: *d\n")) == {"a": {"x": 1}, "b": {"x": 1}}
    assert load_yaml(_yaml(tmp_path, "")) is None


@pytest.mark.parametrize("content, expected", [
    ("a: !!python/object/apply:os.system ['touch PWNED']\n", "m.yml, line 1: could not determine a constructor"),
    ("a: [1, 2\nb: 3\n", "m.yml, line 2: not valid YAML"),
    ("a: &a [1, *a]\n", "inside its own anchor"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    (b"a: caf\xe9\n", "not UTF-8"),
])
def test_load_yaml_refuses_unsafe_or_broken_files_with_one_message(tmp_path, content, expected):
    from khuyencong.errors import InputError
    from khuyencong.files import load_yaml

    with pytest.raises(InputError, match=None) as info:
        load_yaml(_yaml(tmp_path, content))
    assert expected in str(info.value)
    assert not (tmp_path / "PWNED").exists()


def test_load_yaml_measures_an_alias_bomb_without_building_it(tmp_path, monkeypatch):
    import time

    from khuyencong.files import load_yaml
    from khuyencong.limits import LimitExceeded

    levels = "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 10)}]\n" for i in range(9))
    path = _yaml(tmp_path, "l0: &l0 [x]\n" + levels)
    start = time.perf_counter()
    with pytest.raises(LimitExceeded, match="KHUYENCONG_MAX_YAML_ALIASES=") as info:
        load_yaml(path, shown="config/m.yml")
    assert time.perf_counter() - start < 2 and str(info.value).startswith("config/m.yml (aliases): ")
    monkeypatch.setenv("KHUYENCONG_MAX_YAML_BYTES", "10")
    with pytest.raises(LimitExceeded, match="over the limit of 10 "):
        load_yaml(path)
