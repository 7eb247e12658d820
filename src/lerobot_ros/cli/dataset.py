"""Inspect and edit LeRobotDataset v3.0 folders, and move them to and from the Hugging Face Hub.

Edits write a NEW folder and never touch the source (recompute-stats, which only rewrites the
statistics, is the exception). Episodes, frame indices and tasks are renumbered contiguously and
videos are copied without re-encoding. Episode lists are comma-separated indices and ranges:
"0,3,5-7".

check reads every file and decodes every video frame (exit status 1 when anything is damaged);
repair shows what it would do to a crashed or damaged dataset, and does it with --apply: a crash's
leftovers are cut, and damaged committed episodes are set aside (the untouched original is moved
to ROOT.damaged-<UTC time>), never deleted.

examples:
  lerobot-ros dataset info ~/datasets/pick_cube
  lerobot-ros dataset check ~/datasets/pick_cube
  lerobot-ros dataset repair ~/datasets/pick_cube            # dry run: what it would do
  lerobot-ros dataset repair ~/datasets/pick_cube --apply
  lerobot-ros dataset delete-episodes ~/datasets/pick_cube ~/datasets/pick_cube_clean --episodes 3,7-9
  lerobot-ros dataset split ~/datasets/pick_cube ~/datasets/pick_cube_split --parts train=0.8 val=0.2
  lerobot-ros dataset merge ~/datasets/a ~/datasets/b --out ~/datasets/ab
  lerobot-ros dataset remove-feature ~/datasets/pick_cube ~/datasets/no_wrist --feature observation.images.wrist
  lerobot-ros dataset recompute-stats ~/datasets/pick_cube
  lerobot-ros dataset plot ~/datasets/pick_cube --out plots/ --episodes 0-2
  lerobot-ros dataset push ~/datasets/pick_cube me/pick_cube
  lerobot-ros dataset pull me/pick_cube ~/datasets/pick_cube_copy
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "dataset"
HELP = "inspect, edit, plot, push and pull LeRobot datasets"


def parse_episodes(text: str) -> list[int]:
    """"0,3,5-7" -> [0, 3, 5, 6, 7]; an argparse type, so a bad list is a usage error."""
    episodes: list[int] = []
    try:
        for item in text.split(","):
            first, _, last = item.strip().partition("-")
            start, stop = int(first), int(last) if last else int(first)
            if start < 0 or stop < start:
                raise ValueError
            episodes.extend(range(start, stop + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad episode list {text!r}: give comma-separated indices and ranges, e.g. 0,3,5-7") from None
    return episodes


def parse_part(text: str) -> tuple[str, list[int] | float]:
    """"train=0.8" or "val=3,5-7": a part's name and its fraction or episode list."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"bad part {text!r}: write NAME=FRACTION or NAME=EPISODES, e.g. train=0.8")
    if "." in value:
        try:
            return name, float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad fraction in {text!r}, e.g. train=0.8") from None
    return name, parse_episodes(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help)

    sub = add("info", "print a dataset's size, features, tasks and episodes, and whether every file reads")
    sub.add_argument("root", type=Path)
    sub = add("check", "read every file and decode every frame; exit status 1 when anything is damaged")
    sub.add_argument("root", type=Path)
    sub = add("repair", "show what repair would do to a crashed or damaged dataset; --apply does it")
    sub.add_argument("root", type=Path)
    sub.add_argument("--apply", "--force", dest="apply", action="store_true",
                     help="repair: cut a crash's leftovers, and set damaged episodes aside (the untouched "
                          "original moves to ROOT.damaged-<UTC time>)")
    sub = add("delete-episodes", "copy a dataset without some episodes")
    sub.add_argument("root", type=Path)
    sub.add_argument("out", type=Path, help="the new dataset folder (must not exist)")
    sub.add_argument("--episodes", required=True, type=parse_episodes, help="episodes to delete, e.g. 0,3,5-7")
    sub = add("split", "write parts of a dataset as new datasets OUT/<name>")
    sub.add_argument("root", type=Path)
    sub.add_argument("out", type=Path, help="folder that receives one dataset per part")
    sub.add_argument("--parts", required=True, nargs="+", type=parse_part, metavar="NAME=VALUE",
                     help="fractions (train=0.8 val=0.2) or episode lists (train=0-7 val=8,9)")
    sub = add("merge", "concatenate datasets of the same fps and features")
    sub.add_argument("roots", type=Path, nargs="+")
    sub.add_argument("--out", required=True, type=Path, help="the new dataset folder (must not exist)")
    sub = add("remove-feature", "copy a dataset without one feature (a column or a camera)")
    sub.add_argument("root", type=Path)
    sub.add_argument("out", type=Path, help="the new dataset folder (must not exist)")
    sub.add_argument("--feature", required=True)
    sub = add("recompute-stats", "recompute every episode's and the combined statistics in place")
    sub.add_argument("root", type=Path)
    sub = add("plot", "write a PNG per episode: state and action curves and a strip of camera frames")
    sub.add_argument("root", type=Path)
    sub.add_argument("--out", required=True, type=Path, help="folder for episode_<n>.png")
    sub.add_argument("--episodes", type=parse_episodes, default=None, help="default: every episode")
    sub = add("push", "upload a dataset folder to a Hugging Face Hub dataset repository")
    sub.add_argument("root", type=Path)
    sub.add_argument("repo_id", help="<owner>/<name>")
    sub.add_argument("--private", action="store_true")
    sub = add("pull", "download a Hugging Face Hub dataset repository into a new folder")
    sub.add_argument("repo_id", help="<owner>/<name>")
    sub.add_argument("out", type=Path, help="the new dataset folder (must not exist)")
    sub.add_argument("--revision", default=None, help="branch, tag or commit (default: main)")


def run(args: argparse.Namespace) -> int:
    """Errors (a missing or damaged dataset, an existing output, a read-only location) end in one
    line through cli/errors.py."""
    actions = {"info": _info, "check": _check, "repair": _repair, "delete-episodes": _delete, "split": _split,
               "merge": _merge, "remove-feature": _remove, "recompute-stats": _recompute, "plot": _plot,
               "push": _push, "pull": _pull}
    return actions[args.dataset_command](args) or 0


def _info(args: argparse.Namespace) -> int:
    from ..dataset import DatasetReader, check_dataset

    # Every data row is read and every video packet demuxed (frames are not decoded: `check` does).
    found = check_dataset(args.root, decode=False)
    reader = DatasetReader.of(args.root, found.info, found.tasks, found.records)
    info = reader.info
    print(f"{reader.root}: LeRobotDataset {info.codebase_version}, robot_type {info.robot_type}, {info.fps} fps")
    print(f"episodes {reader.num_episodes}, frames {reader.num_frames} "
          f"({reader.num_frames / info.fps:.1f} s), tasks {len(reader.tasks.tasks)}")
    print("features:")
    for feature in info.features.features:
        extra = f" {(feature.info or {}).get('video.codec', '')}" if feature.is_video else ""
        print(f"  {feature.key}: {feature.dtype} {list(feature.shape)}{extra}")
    print("tasks:")
    for index, task in enumerate(reader.tasks.tasks):
        print(f"  {index}: {task}")
    print("episodes (index: frames, seconds, tasks):")
    for record in reader.episodes:
        print(f"  {record.episode_index}: {record.length}, {record.length / info.fps:.1f} s, {' / '.join(record.tasks)}")
    if found.healthy:
        print("files: every data row and video packet read (`dataset check` also decodes every frame)")
        return 0
    print(f"DAMAGED: {len(found.problems)} problems:")
    for problem in found.problems:
        print(f"  {problem}")
    print(f"see what repair would do: lerobot-ros dataset repair {args.root}")
    return 1


def _check(args: argparse.Namespace) -> int:
    from ..dataset import check_dataset

    found = check_dataset(args.root)
    print(found.summary())
    return 0 if found.healthy else 1


def _repair(args: argparse.Namespace) -> int:
    from ..dataset import repair

    report = repair(args.root, force=True, dry_run=not args.apply)
    print(report.summary())
    return 0


def _report(result) -> None:
    print(f"wrote {result.root}: {result.episodes} episodes, {result.frames} frames, {result.tasks} tasks")


def _delete(args: argparse.Namespace) -> None:
    from ..dataset.edit import delete_episodes

    _report(delete_episodes(args.root, args.out, args.episodes))


def _split(args: argparse.Namespace) -> None:
    from ..dataset.edit import split

    names = [name for name, _ in args.parts]
    if len(set(names)) != len(names):
        raise ValueError(f"part names {names} repeat; name each part once")
    for result in split(args.root, args.out, dict(args.parts)).values():
        _report(result)


def _merge(args: argparse.Namespace) -> None:
    from ..dataset.edit import merge

    _report(merge(args.roots, args.out))


def _remove(args: argparse.Namespace) -> None:
    from ..dataset.edit import remove_feature

    _report(remove_feature(args.root, args.out, args.feature))


def _recompute(args: argparse.Namespace) -> None:
    from ..dataset.edit import recompute_stats

    recompute_stats(args.root)
    print(f"recomputed the statistics of {args.root}")


def _plot(args: argparse.Namespace) -> None:
    from ..dataset import DatasetReader
    from ..dataset.plot import plot_episode

    episodes = args.episodes if args.episodes is not None else range(DatasetReader(args.root).num_episodes)
    for episode in episodes:
        print(plot_episode(args.root, episode, args.out / f"episode_{episode}.png"))


def _push(args: argparse.Namespace) -> None:
    from ..dataset.hub import push

    print(f"pushed {args.root} to {push(args.root, args.repo_id, args.private)}")


def _pull(args: argparse.Namespace) -> None:
    from ..dataset.hub import pull

    print(f"pulled {args.repo_id} into {pull(args.repo_id, args.out, args.revision)}")
