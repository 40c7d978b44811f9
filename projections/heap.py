"""Keep the garbage collector's full passes out of the live lag of a projector process.

CPython's oldest generation is scanned whole every time enough objects have survived into it,
and a runner makes survivors fast: each batch's envelopes and folds outlive a few young
collections before the step ends. Traced in `sirisma project` (``bench/follower.py --trace``):
while catching up, a full pass every 0.3–1 s over the ~60 K objects of the imported code and warm
caches; live at 800 commands/s, one every 10–20 s, 80–540 ms each on a busy 2-core machine, and
each held every model's position still.

Once the runner has caught up, everything alive is code and long-lived state; ``gc.freeze()``
moves it out of the collector's sight, so later full passes only scan what was allocated since.
Done once per process: objects frozen are never collected as cycles, so only what exists after
start-up (not the churn of live steps) is frozen. Only in a process whose main thread IS the
runner (``sirisma project``); a runner in a background thread of a web worker or a test leaves
its host's collector alone.
"""

from __future__ import annotations

import gc
import threading

_settled = False


def owns_process() -> bool:
    """True when the calling thread is the process's main thread (the runner is its job)."""
    return threading.current_thread() is threading.main_thread()


def settle() -> bool:
    """Freeze everything alive; once per process. True when it froze now. No collection first:
    it would be one more full pass, in the live lag of the first events after start-up (a
    start-up cycle that is garbage already stays, a few objects)."""
    global _settled
    if _settled:
        return False
    _settled = True
    gc.freeze()
    return True
