"""Notification context: tells people what concerns them, reminds, escalates, keeps the audit trail.

Where things are:

* ``relay``: follows the event log (own tracking position) and plans side effects into the outbox;
  ``directory``: the relay's own picture of accounts, calls and innovations;
  ``rules``: who gets what for each event; ``schedules``: reminders and SLA escalation (beat).
* ``outbox``: one row per side effect, keyed (source, recipient, channel): the idempotency record;
  ``delivery``: the task bodies (in-app, email over SMTP, audit record); ``mailer``: templates and
  SMTP; ``audit_trail``: daily signed digests and their verification.
* ``celery_app``: the Celery app and beat schedule (``sirisma worker|beat``);
  ``redis_broker``: how the relay publishes; ``embedded``: the same work in a thread when no
  Redis is configured.
* ``routes`` / ``inbox`` / ``operations`` / ``cli`` / ``metrics``: the surfaces for people and
  operators.
"""
