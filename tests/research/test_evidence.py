"""Research outputs as SPD evidence and output files (pure domain): the level each row's
research evidence supports, the one rule by which it counts (``evidence.counted``), and the
proposal's rules for attaching an output's file."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from services.domain.errors import IllegalTransition, InvalidValue, NotAllowed
from services.domain.regency_index import SpdEntry
from services.domain.research import events as rev
from services.domain.research.evidence import counted, counted_rows, level_13a, research_level
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import OutputFile
from tests.research.test_domain import ADMIN, OPERATOR, STRANGER, brief, ctx, executed, proposal


def pdf(tag: str = "a") -> OutputFile:
    sha = (tag * 64)[:64]
    return OutputFile(
        name="brief.pdf",
        content_type="application/pdf",
        size=1234,
        sha256=sha,
        storage_key=f"{sha[:2]}/{sha}",
    )


@pytest.mark.parametrize(
    ("count", "level"), [(0, 0), (1, 1), (3, 1), (4, 2), (7, 2), (8, 3), (20, 3)]
)
def test_13a_level_follows_the_count_of_recommendations(count: int, level: int) -> None:
    assert level_13a(count) == level == research_level("13a", count, None)


def test_14_follows_the_agenda_and_15_gets_no_level_from_research() -> None:
    assert [
        research_level("14", 0, s) for s in (None, "rancangan", "disepakati", "ditetapkan")
    ] == [
        0,
        1,
        2,
        3,
    ]
    assert research_level("15", 9, "ditetapkan") is None


def test_counted_takes_the_higher_level_and_never_lowers_a_row() -> None:
    empty = SpdEntry()
    assert counted(None, None) == empty and counted(empty, 0) == empty
    assert counted(empty, 2) == SpdEntry(claimed_level=2, verified_level=2)
    declared = SpdEntry(claimed_level=3, verified_level=None)  # declared, not yet verified
    assert counted(declared, 2) == SpdEntry(claimed_level=3, verified_level=2)
    verified = SpdEntry(claimed_level=3, verified_level=3)
    assert counted(verified, 1) == verified
    returned = SpdEntry(claimed_level=1, verified_level=0)  # Bappeda returned the sheet's row
    assert counted(returned, 2) == SpdEntry(claimed_level=2, verified_level=2)
    assert counted(SpdEntry(claimed_level=2, verified_level=1), None).verified_level == 1


def test_counted_rows_adds_rows_only_research_supports() -> None:
    sheet = {"1": SpdEntry(claimed_level=3, verified_level=3)}
    rows = counted_rows(sheet, {"13a": 2, "14": 0, "15": None})
    assert rows == {"1": sheet["1"], "13a": SpdEntry(claimed_level=2, verified_level=2)}


def test_an_output_file_is_one_event_and_replays() -> None:
    p = executed()
    output = brief()
    p.add_output(ctx(OPERATOR), output)
    p.attach_output_file(ctx(OPERATOR), output.output_id, pdf("a"))
    event = p.pending_events[-1]
    assert isinstance(event, rev.ResearchOutputFileAttached) and event.file.sha256 == "a" * 64
    p.attach_output_file(ctx(ADMIN), output.output_id, pdf("b"))  # a new version replaces it
    assert p.outputs[output.output_id].file == pdf("b")
    replayed = ResearchProposal(p.id)
    for e in p.pending_events:
        replayed.apply(msgspec.json.decode(msgspec.json.encode(e), type=type(e)))
    assert replayed.outputs[output.output_id].file == pdf("b")


def test_output_file_rules() -> None:
    p = executed()
    output = brief()
    p.add_output(ctx(OPERATOR), output)
    with pytest.raises(InvalidValue, match="tidak ditemukan"):
        p.attach_output_file(ctx(OPERATOR), uuid.uuid4(), pdf())
    p.attach_output_file(ctx(OPERATOR), output.output_id, pdf())
    with pytest.raises(InvalidValue, match="sudah terunggah"):
        p.attach_output_file(ctx(OPERATOR), output.output_id, pdf())
    with pytest.raises(NotAllowed):
        p.attach_output_file(ctx(STRANGER), output.output_id, pdf("c"))
    with pytest.raises(IllegalTransition):  # a draft has no outputs to attach files to
        proposal().attach_output_file(ctx(OPERATOR), output.output_id, pdf("c"))
