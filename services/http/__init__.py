"""The HTTP toolkit every context's routes use: request context, problems, If-Match, idempotency,
security, input guard, limits, the command-route helper. Imports no context's routes and no page."""
