"""benchmarks/reconcile.py keeps running (``--quick``: a smoke run; nothing is timed here)."""

from __future__ import annotations

import re
import subprocess
import sys

from support.shared import REPO_ROOT


def test_the_reconcile_benchmark_runs_and_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "reconcile.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    sizes = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) entries", out)]
    assert len(sizes) == 2 and sizes[1] == 10 * sizes[0]
    stored = [int(n.replace(",", "")) for n in re.findall(r"\(([\d,]+) bookings stored\)", out)]
    assert stored == sizes
    found = re.findall(r"([\d,]+) matched, ([\d,]+) unmatched", out)
    assert [int(m.replace(",", "")) + int(u.replace(",", "")) for m, u in found] == sizes
    assert all(int(m.replace(",", "")) > 0 for m, _ in found)
    for phase in ("import", "reconcile"):
        figures = re.findall(rf"{phase} +([\d.]+) s wall +([\d.]+) s CPU +peak +(\d+) MiB", out)
        assert len(figures) == 2 and all(float(peak) > 0 for _, _, peak in figures)
        assert re.search(rf"{phase} +growth 100 %/10 %: wall +[\d.]+, CPU +[\d.]+", out)
    assert "not judged at scale 0.002" in out and "load average" in out
