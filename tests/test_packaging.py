"""The installed distribution carries every subpackage and the embedded data."""

from __future__ import annotations

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def test_every_subpackage_is_listed(repo_root):
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(repo_root).parts)
        for init in (repo_root / "forecast").rglob("__init__.py")
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
    assert "cropcast_data" in listed
    assert config["tool"]["setuptools"]["package-dir"]["cropcast_data"] == "data"
