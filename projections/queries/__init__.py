"""Queries over the read models, one module per screen (being split out of ``queue``)."""

from projections.queries.queue import *  # noqa: F403
from projections.queries.queue import _json  # noqa: F401
