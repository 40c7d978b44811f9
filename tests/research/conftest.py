"""The research HTTP tests run on the review tests' seeded regency (real PostgreSQL); the
notification test on the notification tests' runtime without background threads."""

from tests.notification.conftest import quiet_runtime  # noqa: F401 (a fixture)
from tests.review.conftest import regency  # noqa: F401 (a fixture)
