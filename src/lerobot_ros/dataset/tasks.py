"""``meta/tasks.parquet``: the task strings and their ``task_index``.

LeRobot reads it with ``pandas.read_parquet`` and expects a frame indexed by ``task`` with one
``task_index`` column. pandas finds its index through the ``pandas`` schema metadata, so we write
that metadata ourselves (the documented pandas-on-Arrow format) instead of depending on pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import write_atomically
from .layout import TASKS_PATH

_PANDAS_METADATA = {
    "index_columns": ["task"],
    "column_indexes": [
        {
            "name": None,
            "field_name": None,
            "pandas_type": "unicode",
            "numpy_type": "object",
            "metadata": {"encoding": "UTF-8"},
        }
    ],
    "columns": [
        {"name": "task_index", "field_name": "task_index", "pandas_type": "int64",
         "numpy_type": "int64", "metadata": None},
        {"name": "task", "field_name": "task", "pandas_type": "unicode",
         "numpy_type": "object", "metadata": None},
    ],
    "attributes": {},
    "creator": {"library": "pyarrow", "version": pa.__version__},
    "pandas_version": "2.2.0",
}


@dataclass
class TaskTable:
    """Tasks in ``task_index`` order (a task's position is its index)."""

    tasks: list[str] = field(default_factory=list)

    def index_of(self, task: str) -> int | None:
        try:
            return self.tasks.index(task)
        except ValueError:
            return None

    def with_tasks(self, tasks: list[str]) -> TaskTable:
        """A copy with any of ``tasks`` not yet known appended (new indices at the end)."""
        merged = list(self.tasks)
        for task in tasks:
            if task not in merged:
                merged.append(task)
        return TaskTable(merged)

    def to_arrow(self) -> pa.Table:
        table = pa.table(
            {"task_index": pa.array(range(len(self.tasks)), pa.int64()), "task": pa.array(self.tasks, pa.string())}
        )
        return table.replace_schema_metadata({"pandas": json.dumps(_PANDAS_METADATA)})

    def write(self, root: Path) -> None:
        write_atomically(root / TASKS_PATH, lambda tmp: pq.write_table(self.to_arrow(), tmp))

    @classmethod
    def load(cls, root: Path) -> TaskTable:
        path = root / TASKS_PATH
        if not path.exists():
            return cls()
        table = pq.read_table(path)
        # A pandas index may be stored under its name or as __index_level_0__ when unnamed.
        task_column = "task" if "task" in table.column_names else "__index_level_0__"
        pairs = sorted(zip(table.column("task_index").to_pylist(), table.column(task_column).to_pylist()))
        if [i for i, _ in pairs] != list(range(len(pairs))):
            raise ValueError(f"{path}: task_index values are not 0..{len(pairs) - 1}; the file is damaged")
        return cls([task for _, task in pairs])
