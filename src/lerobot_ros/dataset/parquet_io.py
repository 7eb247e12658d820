"""Parquet shards that grow by whole episodes and are always complete files.

LeRobot keeps one ``ParquetWriter`` open per shard for a whole session, so a killed process leaves
files without a footer (unreadable) and loses every episode of the session. Here a shard grows by
rewriting it: its existing row groups, then the new episode as one more row group, are written to a
temp file that atomically replaces the shard. Every file on disk therefore always has its footer.
The cost is a re-read and re-write of the current shard per episode, bounded by the shard size
limit (``data_files_size_in_mb``); docs/benchmarks.md measures it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .atomic import write_atomically


def _write_row_groups(tmp: Path, schema: pa.Schema, tables: list[pa.Table]) -> None:
    with pq.ParquetWriter(tmp, schema, compression="snappy", use_dictionary=True) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(len(table), 1))


def _row_groups(path: Path) -> list[pa.Table]:
    parquet = pq.ParquetFile(path)
    return [parquet.read_row_group(i) for i in range(parquet.num_row_groups)]


def append_table(path: Path, table: pa.Table) -> None:
    """Make ``path`` hold its current rows followed by ``table`` (a new row group), atomically."""
    if not path.exists():
        write_atomically(path, lambda tmp: _write_row_groups(tmp, table.schema, [table]))
        return
    existing = _row_groups(path)
    schema = pq.read_schema(path)
    new = table.cast(schema) if table.schema != schema else table
    write_atomically(path, lambda tmp: _write_row_groups(tmp, schema, [*existing, new]))


def keep_rows_below(path: Path, column: str, limit: int) -> int:
    """Drop the rows whose ``column`` is >= ``limit``, atomically; return how many were dropped."""
    groups = _row_groups(path)
    schema = pq.read_schema(path)
    kept = [g.filter(pc.less(g.column(column), limit)) for g in groups]
    kept = [g for g in kept if len(g)]
    dropped = sum(len(g) for g in groups) - sum(len(g) for g in kept)
    if dropped:
        write_atomically(path, lambda tmp: _write_row_groups(tmp, schema, kept))
    return dropped
