"""The scheduling helpers of ``ledgerlink validate --jobs`` (the runs themselves are tested
through the command in test_validate_command.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledgerlink._validate_jobs import _Run

_FORKABLE = """
import threading
from ledgerlink._validate_jobs import _can_fork_here
from ubl.validate import _schematron

fresh = _can_fork_here()
release = threading.Event()
waiter = threading.Thread(target=release.wait)
waiter.start()
with_a_thread = _can_fork_here()
release.set()
waiter.join()
after_the_thread = _can_fork_here()
_schematron._processor()
print(fresh, with_a_thread, after_the_thread, _can_fork_here())
"""


def test_this_process_forks_its_workers_only_before_saxon_starts_and_with_no_other_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FORKABLE], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "False", "True", "False"]


def test_the_template_takes_a_chunk_of_the_smallest_files_and_the_rest_keep_their_order(
    tmp_path: Path,
) -> None:
    # The smallest files are the least likely to stop the template, whose forks do the
    # heaviest group; the others stay in input order, in chunks of the same size.
    paths = []
    for index in range(40):
        path = tmp_path / f"{index:02d}.xml"
        path.write_bytes(b"<Invoice/>" + b" " * (1000 if index not in (7, 23) else 0))
        paths.append(str(path))
    run = _Run(paths, "auto", jobs=2)  # 40 files over 2 jobs: chunks of 2
    assert list(run.groups) == ["en16931"]  # no CustomizationID
    assert run._take_smallest("en16931") == [7, 23]
    rest = [index for index in range(40) if index not in (7, 23)]
    assert list(run.groups["en16931"]) == [rest[i : i + 2] for i in range(0, 38, 2)]
