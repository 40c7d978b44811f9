"""The stable core type-checks clean under the project's mypy settings (pyproject.toml).

Only the core is checked here (the domain, the event store, the command handlers), so that a
type error in it fails the suite, while other packages are checked by ``uv run mypy`` in CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ["services/domain", "services/eventstore/store.py", "services/commands.py"]


def test_the_core_is_clean_under_mypy(tmp_path: Path) -> None:
    result = subprocess.run(
        # A private cache: the result does not depend on what other runs left behind.
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), *CORE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
