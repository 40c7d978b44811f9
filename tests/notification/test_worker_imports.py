"""A Celery worker process loads no HTTP code: no Litestar, no services.http, no pages.

The worker builds a bare ``Runtime`` (the schema is ``sirisma migrate``'s job, done here by the
test first), so neither the schema's owners nor the app's middleware come with it. Checked in a
fresh interpreter, after the worker has run its scheduled tasks, so lazy imports count too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from services.config import load_settings
from services.startup import start_runtime

WORKER = """
import json, sys
from services.notification import celery_app
from services.notification import audit_trail, delivery, outbox, schedules  # the tasks' own imports

results = [
    celery_app.app.tasks[name].apply().status
    for name in (celery_app.SCAN_TASK, celery_app.SEAL_TASK)
]
celery_app.runtime().close()
loaded = [m for m in sys.modules if m.split(".")[0] == "litestar"
          or m.startswith(("services.http", "services.web", "services.app"))]
print(json.dumps({"results": results, "loaded": sorted(loaded)}))
"""


def test_a_worker_runs_its_tasks_without_litestar(tmp_path: Path) -> None:
    start_runtime(load_settings(env={}, data_dir=str(tmp_path)), background=False).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    env["SIRISMA_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["results"] == ["SUCCESS", "SUCCESS"]
    assert report["loaded"] == []
