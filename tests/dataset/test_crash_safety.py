"""SIGKILL a recording at random moments: repair keeps every finished episode, bit for bit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dataset_helpers import check_recording, create, killed_writer, record_episode

from lerobot_ros.dataset import DatasetReader, DatasetWriter, repair

TRIALS = 20


def _trial(tmp_path, seed: int) -> tuple[int, bool]:
    root, reported = killed_writer(tmp_path / f"trial-{seed}", seed)
    if not (root / "meta" / "info.json").exists():
        return 0, False  # killed before the dataset was created: nothing was saved
    report = repair(root)
    episodes = check_recording(root, reported)
    assert not repair(root).changed, "repair of a repaired folder changed something"
    if seed % 4 == 0:  # and the repaired folder takes new episodes
        writer = DatasetWriter.resume(root)
        record_episode(writer, episodes, 4, language=True)
        writer.close()
        assert DatasetReader(root).num_episodes == episodes + 1
        check_recording(root, reported, unreported=episodes + 1 - len(reported))
    return episodes, report.changed


def test_sigkill_at_random_moments_loses_only_the_episode_in_progress(tmp_path):
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda seed: _trial(tmp_path, seed), range(TRIALS)))
    episodes = [n for n, _ in outcomes]
    # The seeded delays (0-1 s) spread the kills over the run, whatever the machine's speed: some
    # early, some late, and some in the middle of a save that left tails to cut.
    assert max(episodes) - min(episodes) >= 3, episodes
    assert any(changed for _, changed in outcomes), "no trial was killed in the middle of a save"


def test_killed_resume_keeps_the_first_session(tmp_path):
    folder = tmp_path / "twice"
    root, first = killed_writer(folder, seed=101)
    repair(root)
    kept = check_recording(root, first)
    root, second = killed_writer(folder, seed=102, resume=True)
    repair(root)
    # At most one unreported episode per session (each committed just before its kill).
    total = check_recording(root, first + second, unreported=2)
    assert total >= kept


def test_repair_of_a_healthy_dataset_changes_nothing(tmp_path):
    writer = create(tmp_path / "ds")
    for episode in range(2):
        record_episode(writer, episode, 3)
    assert not repair(tmp_path / "ds").changed
