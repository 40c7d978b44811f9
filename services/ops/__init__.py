"""Operations: logs with correlation ids, request/command/task metrics, health, graceful
shutdown, local PostgreSQL/Redis processes and ``sirisma cluster`` (the distributed shape on one
machine without Docker)."""
