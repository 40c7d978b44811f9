"""The HTTP toolkit every context's routes use: request context, problems, If-Match, idempotency,
security, input guard, limits. It imports no context (import contracts in pyproject.toml); the
command route's policy check is identity's (services/identity/command_route.py)."""
