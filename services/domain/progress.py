"""Where an innovation is on its way, and what comes next: the steps are walked from the
lifecycle table, not copied from it.

The main path of a kind of call is a list of commands (the forward step of each stage); walking
them through the table from ``draft`` gives the statuses of the stepper. A status off that path
(a revision round, an entry submitted again) sits at the step that is as far from the end as it
is; a status from which the end cannot be reached (withdrawn, rejected) stops the process.
"""

from __future__ import annotations

from collections import deque

import msgspec

from services.domain.lifecycle import (
    ANNUAL_ONLY,
    KRENOVA_ONLY,
    STATUS_LABELS,
    TRANSITIONS,
    Command,
    Status,
    Transition,
)

#: The forward command of each stage, per kind of call.
MAIN_PATH: dict[str, tuple[Command, ...]] = {
    "annual": (
        Command.SUBMIT,
        Command.ASSIGN_REVIEWER,
        Command.SCORE,
        Command.APPROVE,
        Command.ESTABLISH,
        Command.SELECT_FOR_IGA,
        Command.REPORT_TO_IGA,
    ),
    "krenova": (
        Command.SUBMIT,
        Command.PASS_ADMINISTRATION,
        Command.JUDGE,
        Command.SHORTLIST,
        Command.AWARD,
    ),
}


class Step(msgspec.Struct, frozen=True):
    status: str
    label: str
    state: str  # done | current | todo | stopped (where a withdrawn/rejected one stopped)


class NextMove(msgspec.Struct, frozen=True):
    command: str
    roles: tuple[str, ...]
    target: str
    target_label: str


class Progress(msgspec.Struct, frozen=True):
    steps: tuple[Step, ...]
    status: str
    status_label: str
    on_path: bool  # the status is one of the steps
    stopped: bool  # the end cannot be reached any more (withdrawn, rejected)
    next: tuple[NextMove, ...]


def _rows(kind: str) -> list[Transition]:
    other = KRENOVA_ONLY if kind == "annual" else ANNUAL_ONLY
    return [t for t in TRANSITIONS if t.command not in other and t.target not in (None, t.source)]


def main_statuses(kind: str) -> tuple[Status, ...]:
    """The statuses of the stepper: draft, then each main-path command's target in the table."""
    index = {(t.source, t.command): t for t in _rows(kind)}
    statuses = [Status.DRAFT]
    for command in MAIN_PATH[kind]:
        row = index[(statuses[-1], command)]  # KeyError: the path does not follow the table
        assert row.target is not None
        statuses.append(row.target)
    return tuple(statuses)


def _distances(kind: str, goal: Status) -> dict[Status, int]:
    """Fewest table moves from each status to ``goal`` (absent: unreachable)."""
    into: dict[Status, list[Status]] = {}
    for t in _rows(kind):
        assert t.target is not None
        into.setdefault(t.target, []).append(t.source)
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        here = queue.popleft()
        for source in into.get(here, []):
            if source not in dist:
                dist[source] = dist[here] + 1
                queue.append(source)
    return dist


def progress(status: Status | str, kind: str, stopped_from: Status | str | None = None) -> Progress:
    """``stopped_from``: the status before the last change; for a process that stopped
    (withdrawn, rejected) the steps show how far it had come, the step it stopped at marked."""
    kind = "krenova" if str(kind) == "krenova" else "annual"
    status = Status(str(status))
    path = main_statuses(kind)
    dist = _distances(kind, path[-1])
    here = dist.get(status)
    if here is None and stopped_from is not None and dist.get(Status(str(stopped_from))):
        reached = progress(stopped_from, kind)
        marked = tuple(
            msgspec.structs.replace(s, state="stopped") if s.state == "current" else s
            for s in reached.steps
        )
        return Progress(
            steps=marked,
            status=str(status),
            status_label=STATUS_LABELS[status],
            on_path=False,
            stopped=True,
            next=(),
        )
    if status in path:
        current = path.index(status)
    elif here is None:
        current = -1
    else:  # the step as far from the end as this status is (or the nearest before it)
        current = max(i for i, s in enumerate(path) if dist[s] >= here)
    steps = tuple(
        Step(
            status=str(s),
            label=STATUS_LABELS[s],
            state="done" if i < current else "current" if i == current else "todo",
        )
        for i, s in enumerate(path)
    )
    following = path[current + 1] if status in path and current + 1 < len(path) else None
    moves: list[NextMove] = []
    if here is not None:
        for t in _rows(kind):
            assert t.target is not None
            forward = dist.get(t.target, here) < here
            if t.source == status and (forward or t.target == following):
                moves.append(
                    NextMove(
                        command=str(t.command),
                        roles=tuple(sorted(str(r) for r in t.roles)),
                        target=str(t.target),
                        target_label=STATUS_LABELS[t.target],
                    )
                )
    return Progress(
        steps=steps,
        status=str(status),
        status_label=STATUS_LABELS[status],
        on_path=status in path,
        stopped=here is None and status != path[-1],
        next=tuple(moves),
    )
