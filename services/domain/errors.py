"""Domain errors: each one carries what a person needs to fix the problem.

The HTTP layer turns them into RFC 9457 problem responses; the messages are in Bahasa Indonesia
because they are shown to users as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


class DomainError(Exception):
    """Base of every rule violation. ``code`` is a stable machine-readable slug."""

    code = "domain-error"
    status = 422

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class IllegalTransition(DomainError):
    """A command that the lifecycle table does not allow in the current status for this role."""

    code = "illegal-transition"
    status = 409

    def __init__(self, command: str, status: str, role: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "tidak ada"
        super().__init__(
            f"Perintah '{command}' tidak diizinkan untuk peran '{role}' saat status '{status}'. "
            f"Yang diizinkan: {allowed_text}.",
            command=command,
            current_status=status,
            role=role,
            allowed=list(allowed),
        )


class IncompleteSubmission(DomainError):
    """Submission refused because required items are missing; lists exactly which."""

    code = "incomplete-submission"
    status = 422

    def __init__(self, missing: Sequence[Any]) -> None:
        labels = [getattr(m, "label", str(m)) for m in missing]
        super().__init__(
            "Inovasi belum lengkap: " + "; ".join(labels),
            missing=list(missing),
        )


class EndorsementRequired(DomainError):
    """Submission refused until the head of the organisation has endorsed the innovation."""

    code = "endorsement-required"
    status = 422

    def __init__(self, head: str) -> None:
        super().__init__(
            f"Inovasi belum disahkan. {head} harus mengesahkan usulan ini di SI-RISMA sebelum "
            f"diajukan, atau operator mengunggah surat pengesahan yang ditandatangani {head}.",
            endorser=head,
        )


class DeadlinePassed(DomainError):
    code = "deadline-passed"
    status = 422

    def __init__(self, deadline: datetime, deadline_text: str) -> None:
        super().__init__(
            f"Batas waktu pengajuan telah lewat ({deadline_text}).",
            deadline=deadline.isoformat(),
        )


class CallNotOpen(DomainError):
    code = "call-not-open"
    status = 422


class InvalidValue(DomainError):
    """A value that breaks a domain rule (not a schema error: those are caught earlier)."""

    code = "invalid-value"
    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field = field


class NotAllowed(DomainError):
    """The actor may not do this to this record (scoping, conflict of interest)."""

    code = "forbidden"
    status = 403


class ConflictOfInterest(NotAllowed):
    code = "conflict-of-interest"


class AuthenticationRequired(DomainError):
    code = "unauthenticated"
    status = 401

    def __init__(self, message: str = "Silakan masuk terlebih dahulu.") -> None:
        super().__init__(message)
