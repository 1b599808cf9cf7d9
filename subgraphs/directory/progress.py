"""The importProgress stream: in order, and never missing the end (issue 14).

The job's row is the truth (its counters and `position`, the last file row
committed, move in each batch's transaction); progress events are the prompt to
read it, published at least once (Broker.publish_reliably) after each commit. Each
event says which rows it covers (`since` < row <= `position`). The stream
subscribes FIRST, then reads the job (so nothing falls between), and remembers the
position it delivered. An event at or behind it is seen already (dropped). One that
starts after it means a batch's event was lost; and when the broker reports a gap
(its link was down, or this stream's queue overflowed) events may have been lost:
either way the job's row is read again and, when it moved, sent with the row errors
of the rows in between. So the client sees the counts only grow and always gets
the final state (SUCCEEDED or FAILED), after which the stream ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.directory.events import IMPORT_PROGRESS, ImportProgress
from subgraphs.directory.models import ImportJob, ImportRowError, ImportStatus

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from subgraphs.kit.pubsub import Broker

__all__ = ["import_progress", "progress_of"]

TERMINAL = frozenset({ImportStatus.SUCCEEDED.value, ImportStatus.FAILED.value})


def progress_of(
    job: ImportJob,
    errors: list[tuple[int, str, str]] | None = None,
    *,
    since: int = 0,
) -> ImportProgress:
    """The event for `job` as it stands, covering the rows after `since`."""
    return ImportProgress(
        job_id=str(job.id),
        status=job.status.value,
        processed=job.processed,
        created=job.created,
        updated=job.updated,
        failed=job.failed,
        errors=[
            {"row": row, "email": email, "message": message}
            for row, email, message in errors or ()
        ],
        error=job.error,
        position=job.position,
        since=since,
    )


async def import_progress(
    job: ImportJob, *, broker: Broker
) -> AsyncGenerator[ImportProgress, None]:
    """Where `job` stands now, then after each committed batch, to its end."""
    async with broker.subscribe(IMPORT_PROGRESS.name(job.id)) as live:
        await job.refresh_from_db()  # read after subscribing
        last = progress_of(job)
        yield last
        while last.status not in TERMINAL:
            try:
                payload = await live.get()
            except StopAsyncIteration:
                return
            event = None if payload is None else IMPORT_PROGRESS.decode(payload)
            if event is not None and event.since <= last.position:
                if not _ahead(event, last):
                    continue  # seen already (read from the row, or sent again)
                last = event
                yield event
                continue
            # Events may have been lost: the job's row says where it stands.
            await job.refresh_from_db()
            current = progress_of(
                job, await _row_errors(job, last.position), since=last.position
            )
            if _ahead(current, last):
                last = current
                yield current


def _ahead(event: ImportProgress, last: ImportProgress) -> bool:
    """Whether `event` says more than `last`: more rows, or the end."""
    if event.processed != last.processed:
        return event.processed > last.processed
    return event.status in TERMINAL and last.status not in TERMINAL


async def _row_errors(job: ImportJob, after: int) -> list[tuple[int, str, str]]:
    """The job's row errors in the rows after `after` up to its position."""
    return [
        (error.row, error.email, error.message)
        for error in await ImportRowError.filter(
            job_id=job.id, row__gt=after, row__lte=job.position
        ).order_by("row")
    ]
