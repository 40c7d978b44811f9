"""The research HTTP tests run on the review tests' seeded regency (real PostgreSQL)."""

from tests.review.conftest import regency  # noqa: F401 (a fixture)
