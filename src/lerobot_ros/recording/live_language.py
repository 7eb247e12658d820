"""Live language capture: which String topics become which rows of the v3.0 language columns.

LeRobot only annotates language offline (``lerobot-annotate``); the recorder captures it live from
std_msgs/String topics, configured in the recording YAML's ``language`` section::

    language:                       # omitted: these defaults; `language: false`: no language columns
      subtask: subtask              # persistent rows, style subtask (role assistant)
      plan: plan                    # persistent rows, style plan
      memory: memory                # persistent rows, style memory
      say: say                      # speech event: role assistant, the `say` tool call
      user_input: user_input        # interjection event: role user
      vqa:                          # view-dependent events, one entry per camera
        - {camera: observation.images.front, query: vqa/front/query, answer: vqa/front/answer}

A topic set to ``null`` or ``""`` is not subscribed. How the rows are placed on frames is the
session's job (``recording/recording_session.py``); this module only maps a message to a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..dataset.language import LanguageRow, say
from .errors import RecordingConfigError

PERSISTENT_KINDS = ("subtask", "plan", "memory")
EVENT_KINDS = ("say", "user_input")
VQA_KINDS = ("vqa_query", "vqa_answer")
DEFAULT_TOPICS = {kind: kind for kind in PERSISTENT_KINDS + EVENT_KINDS}


@dataclass(frozen=True)
class LanguageTopic:
    """One subscribed String topic: its ``kind`` (subtask, plan, memory, say, user_input, vqa_query,
    vqa_answer) and, for VQA, the camera key the question is about."""

    topic: str
    kind: str
    camera: str | None = None

    @property
    def persistent(self) -> bool:
        return self.kind in PERSISTENT_KINDS

    def row(self, text: str, timestamp_s: float | None = None) -> LanguageRow:
        """The language row for one message; persistent rows need the time they become active."""
        if self.kind in PERSISTENT_KINDS:
            return LanguageRow(role="assistant", content=text, style=self.kind, timestamp=timestamp_s)
        if self.kind == "say":
            return say(text)
        if self.kind == "user_input":
            return LanguageRow(role="user", content=text, style="interjection")
        role = "user" if self.kind == "vqa_query" else "assistant"
        return LanguageRow(role=role, content=text, style="vqa", camera=self.camera)


def load_language_topics(raw: object, camera_keys: tuple[str, ...]) -> tuple[LanguageTopic, ...] | None:
    """The ``language`` section of a recording YAML (already parsed) -> topics, or None when off.

    ``raw`` is None (section absent: the default topics), False (no language columns) or a mapping.
    """
    if raw is False:
        return None
    if raw is None or raw is True:
        raw = {}
    if not isinstance(raw, Mapping):
        raise RecordingConfigError("'language' must be a mapping of kind -> topic, true, or false")
    unknown = set(raw) - set(DEFAULT_TOPICS) - {"vqa"}
    if unknown:
        raise RecordingConfigError(
            f"language: unknown kinds {sorted(unknown)}; use {sorted(DEFAULT_TOPICS)} and vqa")
    topics = []
    for kind, default in DEFAULT_TOPICS.items():
        topic = raw.get(kind, default)
        if topic in (None, ""):
            continue
        if not isinstance(topic, str):
            raise RecordingConfigError(f"language.{kind}: expected a topic name, got {topic!r}")
        topics.append(LanguageTopic(topic, kind))
    vqa = raw.get("vqa") or []
    if not isinstance(vqa, list):
        raise RecordingConfigError("language.vqa must be a list of {camera, query, answer} entries")
    for entry in vqa:
        if not isinstance(entry, Mapping) or set(entry) != {"camera", "query", "answer"}:
            raise RecordingConfigError(f"language.vqa entry {entry!r}: needs exactly camera, query and answer")
        if entry["camera"] not in camera_keys:
            raise RecordingConfigError(
                f"language.vqa camera {entry['camera']!r} is not a camera feature; cameras: {list(camera_keys)}")
        topics.append(LanguageTopic(entry["query"], "vqa_query", entry["camera"]))
        topics.append(LanguageTopic(entry["answer"], "vqa_answer", entry["camera"]))
    names = [t.topic for t in topics]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RecordingConfigError(f"language: topics {repeated} are used for two kinds; give each its own")
    return tuple(topics)
