"""Receiving a member file: stream the upload to disk with a size limit, check it,
and store the job that will import it.

The file goes to AGORA_DATA_DIR/imports/<job id> in 1 MiB chunks (never whole in
memory) and is refused past DIRECTORY_IMPORT_MAX_BYTES (default 50 MiB). It is
checked before the job is stored (importing.check_file): a file that cannot be
imported is a BAD_USER_INPUT answer and creates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from subgraphs.directory.errors import InvalidImportFile
from subgraphs.directory.importing import check_file
from subgraphs.directory.models import ImportJob

if TYPE_CHECKING:
    from subgraphs.directory.models import Chamber
    from subgraphs.kit.settings import Settings

__all__ = ["DEFAULT_MAX_BYTES", "max_upload_bytes", "receive_member_file"]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
CHUNK = 1 << 20


def max_upload_bytes() -> int:
    raw = os.environ.get("DIRECTORY_IMPORT_MAX_BYTES")
    return int(raw) if raw else DEFAULT_MAX_BYTES


def imports_dir(settings: Settings) -> Path:
    return Path(os.environ.get("DIRECTORY_IMPORT_DIR") or settings.data_dir / "imports")


async def _save(upload: Any, target: Path, limit: int) -> None:
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise InvalidImportFile(f"the file is larger than {limit} bytes")
            await asyncio.to_thread(out.write, chunk)


async def receive_member_file(
    settings: Settings, chamber: Chamber, user_id: str, upload: Any
) -> ImportJob:
    """Store the uploaded file and a QUEUED job for it; InvalidImportFile for a
    file that is too large, not CSV or XLSX, lacks a column or is not UTF-8."""
    if not callable(getattr(upload, "read", None)):
        # A value in the JSON variables instead of a file of a multipart request.
        raise InvalidImportFile("send it as a file (a GraphQL multipart request)")
    filename = str(getattr(upload, "filename", None) or "members.csv")[:255]
    folder = imports_dir(settings)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    job_id = uuid.uuid4()
    target = folder / str(job_id)
    try:
        await _save(upload, target, max_upload_bytes())
        format = await asyncio.to_thread(check_file, target, filename)
    except BaseException:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(target.unlink, missing_ok=True)
        raise
    return await ImportJob.create(
        id=job_id,
        chamber_id=chamber.id,
        created_by=user_id,
        filename=filename,
        format=format,
        path=str(target),
    )
