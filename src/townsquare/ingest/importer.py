"""Import a JSONL or CSV file of posts: every row is stored, counted as a duplicate, or rejected with its
line number and reason. Rows read = stored + duplicates + rejected, always."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from townsquare.ingest.exports import EXPORT_READERS
from townsquare.ingest.pipeline import ingest_records
from townsquare.ingest.readers import Row, RowError, read_csv, read_jsonl
from townsquare.orgs.models import Organisation
from townsquare.posts.normalise import PostFormatError, PostRecord, parse_post

BATCH_SIZE = 500


@dataclass
class ImportReport:
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.read == self.stored + self.duplicates + len(self.rejected)

    def summary(self) -> str:
        return (
            f"rows read {self.read} = stored {self.stored} + duplicates {self.duplicates} "
            f"+ rejected {len(self.rejected)}"
        )


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix in {".csv", ".tsv"}:
        return "csv"
    raise ValueError(f"{path}: cannot tell the format from the name; give --format jsonl or --format csv")


def import_file(
    *,
    organisation: Organisation,
    path: Path,
    file_format: str,
    mapping: dict[str, str] | None,
    network: str,
    date_format: str | None = None,
    progress: Callable[[int], None] | None = None,
    author: str = "",
) -> ImportReport:
    """Import PATH; `progress(bytes_read)` is called as the file is consumed."""
    report = ImportReport()
    with path.open(encoding="utf-8-sig", newline="\n") as handle:
        rows: Iterator[Row | RowError]
        if file_format == "csv":
            if not mapping:
                raise ValueError("a CSV import needs --map field=column,... (at least id and text)")
            rows = read_csv(handle, mapping)
        elif file_format in EXPORT_READERS:
            rows = EXPORT_READERS[file_format](handle, author=author)
        else:
            rows = read_jsonl(handle)
        batch: list[PostRecord] = []
        for item in rows:
            report.read += 1
            if isinstance(item, RowError):
                report.rejected.append(item)
                continue
            try:
                batch.append(parse_post(item.data, default_network=network, date_format=date_format))
            except PostFormatError as error:
                report.rejected.append(RowError(item.line, str(error)))
                continue
            if len(batch) >= BATCH_SIZE:
                _store(organisation, batch, report)
                batch = []
                if progress:
                    progress(handle.buffer.tell() if hasattr(handle, "buffer") else 0)
        if batch:
            _store(organisation, batch, report)
        if progress:
            progress(path.stat().st_size)
    return report


def _store(organisation: Organisation, batch: list[PostRecord], report: ImportReport) -> None:
    result = ingest_records(organisation=organisation, records=batch, source="import")
    report.stored += len(result.stored)
    report.duplicates += result.duplicates
