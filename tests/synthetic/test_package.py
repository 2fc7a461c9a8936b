"""The synthetic package: public names load on first use, and the truth reader stays light."""
from __future__ import annotations

import subprocess
import sys

import pytest

from khuyencong import synthetic


def test_truth_does_not_import_the_generator():
    code = ("import sys, khuyencong.synthetic.truth; "
            "print(sorted(m for m in sys.modules if m.startswith('khuyencong.synthetic.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['khuyencong.synthetic.truth']"


@pytest.mark.parametrize("name", synthetic.__all__)
def test_public_names_resolve(name):
    assert getattr(synthetic, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        synthetic.no_such_name  # noqa: B018
