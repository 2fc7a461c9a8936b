"""Published reports: no stderr/warnings, no pandas row numbers, no absolute paths; format checks."""
import nbformat
import pandas as pd
import pytest

from khuyencong.runner import exports


def test_tidy_moves_warnings_to_the_log_and_drops_row_numbers(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="/home/u/x.py:3: UserWarning: boo\n"),
                    nbformat.v4.new_output("display_data", data={"text/html": pd.DataFrame({"a": [1, 2]}).to_html()})]
    nb.cells.append(cell)
    path, log = tmp_path / "r.ipynb", tmp_path / "run.log"
    nbformat.write(nb, path)
    exports.tidy(path, str(log))
    out = nbformat.read(path, as_version=4).cells[0].outputs
    assert len(out) == 1 and "<th>0</th>" not in out[0].data["text/html"] and "<td>2</td>" in out[0].data["text/html"]
    assert "UserWarning" in log.read_text()
    assert exports.leaks(nbformat.writes(nbformat.read(path, as_version=4))) == []


def test_leaks_finds_paths_and_warnings():
    assert exports.leaks("see /home/me/project/x.py and C:\\Users\\me\\x") != []
    assert exports.leaks("UserWarning: careful") == ["UserWarning: "]
    assert exports.leaks("1/7/2025 · a/b.csv · https://example.org/home/x") == []


def test_check_formats():
    assert exports.check_formats(["pdf"]) == ("html", "pdf")
    with pytest.raises(ValueError, match="unknown format"):
        exports.check_formats(["odt"])
