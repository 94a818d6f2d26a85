"""What every paged list of the API takes: ``limit`` and ``cursor`` (the ``next`` of the
previous page), and a date range; see :mod:`gateway.cursors`."""

from __future__ import annotations

from pydantic import Field

from gateway import cursors
from gateway.api.types import AwareTime, Limited, Query
from postgate.services import listing
from postgate.services.listing import Window


class PageQuery(Query):
    limit: int = Field(default=listing.DEFAULT_LIMIT, ge=1, le=listing.MAX_LIMIT)
    cursor: Limited(cursors.MAX_LENGTH) | None = Field(  # type: ignore[valid-type]
        default=None, description="The `next` of the previous page, with the same filters."
    )


class DatedPageQuery(PageQuery):
    since: AwareTime | None = Field(default=None, description="At or after this time.")
    until: AwareTime | None = Field(default=None, description="Before this time.")

    def window(self) -> Window:
        return Window(self.since, self.until)
