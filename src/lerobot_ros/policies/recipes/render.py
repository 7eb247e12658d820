"""Render one recipe component at one frame into chat messages (no tokenizer involved)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...dataset.language import LanguageRow
from .frame import FrameLanguage
from .resolvers import DEFAULT_BINDINGS, resolve
from .schema import (
    PLACEHOLDER,
    TASK_PLACEHOLDER,
    ImageBlock,
    MessageTurn,
    RecipeComponent,
)


@dataclass
class RenderedSample:
    """A training sample's text side.

    ``messages`` are HF chat dicts (``content`` a string, or a list of ``{"type": "image",
    "feature": ...}`` / ``{"type": "text", "text": ...}`` blocks; assistant ``tool_calls`` kept);
    ``streams[i]`` is the stream of ``messages[i]``; ``targets`` the indices of supervised messages;
    ``images`` the camera features named by image blocks.
    """

    messages: list[dict]
    streams: list[str]
    targets: list[int]
    predict_actions: bool
    recipe_name: str
    images: list[str] = field(default_factory=list)


def blend_draw(sample_index: int) -> float:
    """A uniform number in [0, 1) from ``blake2b(str(sample_index))`` (8-byte digest, as LeRobot).

    It picks the blend component: a sample index always renders the same way, in every worker and
    every run, and the same index picks the same component as LeRobot's renderer.
    """
    return _digest(str(sample_index)) / 2**64


def task_phrasing(frame: FrameLanguage, persistent: list[LanguageRow], sample_index: int) -> str:
    """The task itself or one of its ``task_aug`` rephrasings (user rows), all equally likely.

    Keyed on ``blake2b("task_aug:<index>")`` like LeRobot, independent of the blend draw. Unlike
    LeRobot 0.6.1, which picks only among the rephrasings when there are any, the canonical task
    stays in the pool: it is what the runtime prompts with.
    """
    options = [frame.task]
    options += [r.content for r in persistent if r.style == "task_aug" and r.role == "user" and r.content]
    options += [t for t in frame.task_augmentations if t]
    return options[_digest(f"task_aug:{sample_index}") % len(options)]


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def render_component(
    component: RecipeComponent, frame: FrameLanguage, sample_index: int, recipe_name: str
) -> RenderedSample | None:
    """Render ``component`` at ``frame``; None when no kept turn is supervised."""
    persistent, events = frame.rows
    rows: dict[str, LanguageRow | None] = {}

    def row(name: str) -> LanguageRow | None:
        if name not in rows:
            binding = component.bindings.get(name) or DEFAULT_BINDINGS[name]
            t = frame.timestamp
            if binding.at is not None:
                anchor = row(binding.at)
                if anchor is None:
                    rows[name] = None
                    return None
                t = anchor.timestamp if anchor.timestamp is not None else t
            rows[name] = resolve(binding, t, persistent, events, name)
        return rows[name]

    task = task_phrasing(frame, persistent, sample_index)

    def fill(text: str) -> str:
        def one(match) -> str:
            if match.group(1) == TASK_PLACEHOLDER:
                return task
            found = row(match.group(1))
            return (found.content or "") if found is not None else ""

        return PLACEHOLDER.sub(one, text)

    messages, streams, targets, images = [], [], [], []
    for turn in component.messages:
        if turn.if_present is not None and row(turn.if_present) is None:
            continue
        if turn.target and not any(m["role"] == "user" for m in messages):
            continue  # an answer with no question kept before it (e.g. a VQA answer logged alone) teaches nothing
        message = _message(turn, fill, row)
        if message is None:
            continue
        if turn.target:
            targets.append(len(messages))
        messages.append(message)
        streams.append(turn.stream)
        if not isinstance(turn.content, str):
            images += [b.feature for b in turn.content or () if isinstance(b, ImageBlock)]
    predict_actions = "low_level" in streams
    if not targets and not predict_actions:
        return None
    return RenderedSample(messages, streams, targets, predict_actions, f"{recipe_name}/{component.name}", images)


def _message(turn: MessageTurn, fill, row) -> dict | None:
    message: dict = {"role": turn.role}
    if isinstance(turn.content, str):
        message["content"] = fill(turn.content)
    elif turn.content is not None:
        message["content"] = [
            {"type": "image", "feature": b.feature} if isinstance(b, ImageBlock)
            else {"type": "text", "text": fill(b.text)}
            for b in turn.content
        ]
    if turn.tool_calls_from is not None:
        source = row(turn.tool_calls_from)
        if source is not None and source.tool_calls:
            message["tool_calls"] = [dict(call) for call in source.tool_calls]
    if "content" not in message and "tool_calls" not in message:
        return None  # a tool-call turn whose call did not fire at this frame says nothing
    return message
