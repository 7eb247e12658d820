"""Write urdf/<robot_type>.urdf for every robot with a description.

    python -m lerobot_ros.description [urdf_folder]      # default: ./urdf
"""

from __future__ import annotations

import sys
from pathlib import Path

from .robots import DESCRIPTIONS
from .urdf import build


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "urdf")
    folder.mkdir(parents=True, exist_ok=True)
    for type_name, describe in DESCRIPTIONS.items():
        path = folder / f"{type_name}.urdf"
        path.write_text(build(describe()))
        print(path)


if __name__ == "__main__":
    main()
