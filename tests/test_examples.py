"""Every script in examples/ runs headless in quick mode and writes its outputs."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script: pathlib.Path, tmp_path: pathlib.Path) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    res = subprocess.run(
        [sys.executable, str(script), "--quick", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert any(tmp_path.iterdir()), "the example wrote nothing"


def test_there_are_examples() -> None:
    assert EXAMPLES
