"""Bulk member import: read a CSV or XLSX file row by row, validate, upsert in batches.

The file is never loaded whole: CSV is read line by line (UTF-8, a BOM allowed),
XLSX through openpyxl's read-only mode, which streams the sheet's XML. Each batch
of BATCH_SIZE rows is one transaction that upserts the members (by email, so a
second run of the same file creates nothing), stores the row errors and moves the
job's counters, `processed` included: a job that restarts (its worker died) skips
the rows already committed and goes on. After each commit a progress event is
published (commit, then publish).

Columns (the header row, any order, case-insensitive): `email` and `name` are
required; `company`, `phone` and `tier` are optional.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import io
import itertools
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tortoise import connections
from tortoise.transactions import in_transaction

from subgraphs.directory.chambers import allocate_numbers
from subgraphs.directory.errors import InvalidImportFile
from subgraphs.directory.events import IMPORT_PROGRESS, ImportProgress
from subgraphs.directory.models import (
    ImportFormat,
    ImportJob,
    ImportRowError,
    ImportStatus,
    Membership,
    MembershipStatus,
)
from subgraphs.directory.progress import progress_of
from subgraphs.kit.emails import normalise_email
from subgraphs.kit.errors import BadUserInput

if TYPE_CHECKING:
    from collections.abc import Iterator

    from subgraphs.kit.pubsub import Broker

__all__ = [
    "BATCH_SIZE",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "MemberRow",
    "check_file",
    "detect_format",
    "error_report",
    "read_rows",
    "run_import",
]

logger = logging.getLogger("agora.subgraphs")

BATCH_SIZE = 500
# Batches between two refreshes of the members table's statistics (PostgreSQL).
ANALYZE_EVERY = 10
REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("company", "phone", "tier")
MAX_FIELD = 200
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One data row: its number in the file (the header is row 1) and its cells."""

    row: int
    cells: dict[str, str]


def detect_format(path: Path, filename: str) -> ImportFormat:
    """XLSX when the file is a zip holding a workbook, CSV for text; else
    InvalidImportFile. The name's extension must agree with the content."""
    with path.open("rb") as file:
        head = file.read(4096)
    name = filename.lower()
    if head.startswith(_XLSX_MAGIC):
        if not zipfile.is_zipfile(path):
            raise InvalidImportFile("not a spreadsheet (a broken zip)")
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise InvalidImportFile("not a spreadsheet (a zip without a workbook)")
        return ImportFormat.XLSX
    if name.endswith((".xlsx", ".xlsm")):
        raise InvalidImportFile("not a spreadsheet (.xlsx that is not a workbook)")
    if b"\x00" in head:
        raise InvalidImportFile("not a spreadsheet or CSV file (binary content)")
    if not name.endswith((".csv", ".txt")):
        raise InvalidImportFile("expected a .csv or .xlsx file")
    return ImportFormat.CSV


def _header(cells: list[Any]) -> list[str]:
    names = [str(cell or "").strip().lower() for cell in cells]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise InvalidImportFile(f"missing column(s): {', '.join(missing)}")
    return names


def _csv_rows(path: Path) -> Iterator[list[str]]:
    # Strict UTF-8: a Latin-1 or broken file fails on its first bad byte.
    with path.open("rb") as raw:
        text = codecs.getreader("utf-8-sig")(raw, "strict")
        try:
            yield from csv.reader(text)
        except UnicodeDecodeError as error:
            raise InvalidImportFile(
                f"the text is not UTF-8 (byte {error.start} of a line)"
            ) from None
        except csv.Error as error:
            raise InvalidImportFile(f"the CSV is malformed: {error}") from None


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported on use: a large module
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as file:
        try:
            # A file object: the stored upload has no .xlsx name to go by.
            workbook = load_workbook(file, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as e:
            raise InvalidImportFile(f"not a readable spreadsheet ({e})") from None
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield list(values)
        finally:
            workbook.close()


def read_rows(path: Path, format: ImportFormat) -> Iterator[MemberRow]:
    """The data rows of a member file, streamed; InvalidImportFile when the file
    cannot be read at all (raised by the first next() for a missing column)."""
    source = _xlsx_rows(path) if format is ImportFormat.XLSX else _csv_rows(path)
    header: list[str] | None = None
    for number, values in enumerate(source, start=1):
        if header is None:
            header = _header(values)
            continue
        if not any(str(v or "").strip() for v in values):
            continue
        cells = {
            name: str(value if value is not None else "").strip()
            for name, value in zip(header, values, strict=False)
            if name
        }
        yield MemberRow(number, cells)
    if header is None:
        raise InvalidImportFile("the file is empty")


def check_file(path: Path, filename: str) -> ImportFormat:
    """The file's format, once it is known to import: a CSV or XLSX file with the
    required columns, and (CSV) UTF-8 text throughout. InvalidImportFile otherwise.

    Blocking (it reads the file): run it in a thread. Checking the whole text here
    means a broken byte near the end fails the upload, not a half-done import.
    """
    format = detect_format(path, filename)
    rows = read_rows(path, format)
    with contextlib.suppress(StopIteration):
        next(rows)  # the header (and the first row) parse
    if format is ImportFormat.CSV:
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        offset = 0
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    raise InvalidImportFile(
                        f"the text is not UTF-8 (at byte {offset + error.start})"
                    ) from None
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise InvalidImportFile("the text is not UTF-8 (at its end)") from None
    return format


@dataclass
class _Valid:
    row: int
    email: str
    name: str
    company: str
    phone: str
    tier: str


@dataclass
class _Batch:
    valid: list[_Valid] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def _validate(row: MemberRow, seen: set[str], batch: _Batch) -> None:
    raw_email = row.cells.get("email", "")
    name = row.cells.get("name", "")
    if not raw_email:
        batch.errors.append((row.row, "", "email is required"))
        return
    if not name:
        batch.errors.append((row.row, raw_email[:320], "name is required"))
        return
    try:
        email = normalise_email(raw_email)
    except BadUserInput:
        batch.errors.append((row.row, raw_email[:320], "email is not valid"))
        return
    if email in seen:
        batch.errors.append((row.row, email, "email repeats an earlier row"))
        return
    seen.add(email)
    tier = row.cells.get("tier", "") or "standard"
    batch.valid.append(
        _Valid(
            row.row,
            email,
            name[:MAX_FIELD],
            row.cells.get("company", "")[:MAX_FIELD],
            row.cells.get("phone", "")[:40],
            tier[:40],
        )
    )


async def _commit(job: ImportJob, batch: _Batch, position: int) -> ImportProgress:
    """Upsert one batch and move the job's counters, in one transaction."""
    async with in_transaction("directory"):
        emails = [v.email for v in batch.valid]
        existing = {
            m.email: m
            for m in await Membership.filter(
                chamber_id=job.chamber_id, email__in=emails
            )
        }
        new = [v for v in batch.valid if v.email not in existing]
        first = await allocate_numbers(job.chamber_id, len(new)) if new else 0
        await Membership.bulk_create(
            [
                Membership(
                    chamber_id=job.chamber_id,
                    email=v.email,
                    display_name=v.name,
                    company=v.company,
                    phone=v.phone,
                    tier=v.tier,
                    status=MembershipStatus.PENDING,
                    number=first + offset,
                )
                for offset, v in enumerate(new)
            ]
        )
        changed: list[Membership] = []
        for v in batch.valid:
            member = existing.get(v.email)
            if member is None:
                continue
            fields = (v.name, v.company, v.phone, v.tier)
            if fields != (
                member.display_name,
                member.company,
                member.phone,
                member.tier,
            ):
                member.display_name, member.company, member.phone, member.tier = fields
                changed.append(member)
        if changed:
            await Membership.bulk_update(
                changed, fields=["display_name", "company", "phone", "tier"]
            )
        await ImportRowError.bulk_create(
            [
                ImportRowError(job_id=job.id, row=row, email=email, message=message)
                for row, email, message in batch.errors
            ],
            ignore_conflicts=True,
        )
        since, job.position = job.position, position
        job.processed += len(batch.valid) + len(batch.errors)
        job.created += len(new)
        job.updated += len(batch.valid) - len(new)
        job.failed += len(batch.errors)
        await job.save(
            update_fields=["position", "processed", "created", "updated", "failed"]
        )
    return progress_of(job, batch.errors, since=since)


async def _publish(broker: Broker | None, progress: ImportProgress) -> None:
    """After the commit, at least once: what Redis refuses is sent again in order,
    and a subscriber that misses it reads the job's row (directory.progress)."""
    if broker is None:
        return
    await IMPORT_PROGRESS.publish_reliably(broker, progress.job_id, progress)


async def _analyze() -> None:
    # A table that grows by thousands of rows in seconds has stale statistics, and
    # PostgreSQL then answers each batch's email lookup with a sequential scan
    # (50,000 rows took 52 s instead of 20): refresh them as the import goes.
    client = connections.get("directory")
    if client.capabilities.dialect == "postgres":
        await client.execute_script("ANALYZE directory_membership")


def _take(rows: Iterator[MemberRow], count: int) -> list[MemberRow]:
    return list(itertools.islice(rows, count))


async def run_import(
    job_id: str, *, broker: Broker | None = None, batch_size: int = BATCH_SIZE
) -> ImportJob:
    """Run (or resume) an import job to its end; the finished job.

    The file is read `batch_size` rows at a time in a thread (parsing never holds
    the event loop); a restarted job skips the rows up to `job.position`, the last
    row it committed. Row problems are row errors, not a failed job; a file that
    cannot be read fails the job with the reason.
    """
    job = await ImportJob.get(id=job_id)
    if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return job
    job.status = ImportStatus.RUNNING
    await job.save(update_fields=["status"])
    seen: set[str] = set()
    try:
        rows = read_rows(Path(job.path), job.format)
        batches = 0
        while chunk := await asyncio.to_thread(_take, rows, batch_size):
            batch = _Batch()
            for row in chunk:
                # Committed before a restart: only remember its email.
                _validate(row, seen, _Batch() if row.row <= job.position else batch)
            if chunk[-1].row > job.position:
                if batches % ANALYZE_EVERY == 0:
                    await _analyze()
                batches += 1
                await _publish(broker, await _commit(job, batch, chunk[-1].row))
    except InvalidImportFile as error:
        return await _finish(job, broker, error=error.reason)
    return await _finish(job, broker)


async def _finish(
    job: ImportJob, broker: Broker | None, *, error: str | None = None
) -> ImportJob:
    job.status = ImportStatus.FAILED if error else ImportStatus.SUCCEEDED
    job.error = error
    job.finished_at = datetime.now(UTC)
    await job.save(update_fields=["status", "error", "finished_at"])
    await asyncio.to_thread(_remove, Path(job.path))
    await _publish(broker, progress_of(job, since=job.position))
    return job


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


async def error_report(job: ImportJob) -> str:
    """The job's row errors as CSV text (row, email, message)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "email", "message"])
    for error in await ImportRowError.filter(job=job).order_by("row"):
        writer.writerow([error.row, error.email, error.message])
    return out.getvalue()
