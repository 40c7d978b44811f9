"""Rendering messages from the Jinja2 templates, and sending email over SMTP.

Every kind of message has ``templates/<kind>.txt`` (blocks ``subject`` and ``content``; the plain
text email and the in-app message) and ``templates/<kind>.html`` (the HTML alternative), both in
Bahasa Indonesia, extending ``base.txt`` / ``base.html``.

SMTP: ``SIRISMA_SMTP_HOST``/``PORT``; ``SIRISMA_SMTP_TLS=true`` means STARTTLS, or implicit TLS
when the port is 465; ``SIRISMA_SMTP_USER``/``PASSWORD`` to log in; ``SIRISMA_MAIL_FROM``.
Errors are sorted into transient (4xx replies, connection trouble: retried with backoff) and
permanent (5xx: retrying cannot help; the task is dead-lettered for an admin).
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any

import msgspec
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from services.config import Settings
from services.notification.schema import utcnow


class TransientError(Exception):
    """Worth retrying later: the mail server or the database is briefly unavailable."""


class PermanentError(Exception):
    """Retrying cannot help (address refused, bad configuration): dead-letter it."""


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    summary: str  # the message without greeting and signature: the in-app body
    text: str
    html: str


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.notification", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    ctx = template.new_context(context)
    return "".join(template.blocks[name](ctx)).strip()


def render(kind: str, params: dict[str, Any], recipient_name: str) -> Rendered:
    env = environment()
    context = {"p": params, "recipient_name": recipient_name}
    text_template = env.get_template(f"{kind}.txt")
    subject = " ".join(_block(text_template, "subject", context).split())
    return Rendered(
        subject=subject,
        summary=_block(text_template, "content", context),
        text=text_template.render(context),
        html=env.get_template(f"{kind}.html").render({**context, "subject": subject}),
    )


def message_id(settings: Settings, idempotency_key: str) -> str:
    """A Message-ID derived from the idempotency key: if a crash ever makes us send the same
    message twice, both copies carry the same id, so mail clients and servers can fold them."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "sirisma.local"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def build(
    settings: Settings, to_name: str, to_addr: str, rendered: Rendered, mid: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = settings.mail_from
    msg["To"] = formataddr((to_name, to_addr))
    msg["Message-ID"] = mid
    msg["Date"] = format_datetime(utcnow())
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """One SMTP conversation; raises TransientError or PermanentError on failure."""
    timeout = settings.smtp_timeout
    try:
        smtp: smtplib.SMTP
        if settings.smtp_tls and settings.smtp_port == 465:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_tls and settings.smtp_port != 465:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= c < 600 for c in codes):
            raise PermanentError(f"alamat ditolak server surel: {exc.recipients}") from exc
        raise TransientError(f"penerima ditolak sementara: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise TransientError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused, timeouts, TLS
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
