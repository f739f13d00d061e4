"""benchmarks/receivables.py keeps running (a tiny scale; nothing is timed here)."""

from __future__ import annotations

import subprocess
import sys

from support.shared import REPO_ROOT


def test_the_receivables_benchmark_runs_and_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "receivables.py"), "--scale", "0.002"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "sum 100 %/10 %" in done.stdout and "peak RSS" in done.stdout
    assert done.stdout.count("ageing") == 2
