"""Typed form of a recipe: message turns grouped into components, a recipe being one or a blend."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .resolvers import Binding

ROLES = ("user", "assistant", "system", "tool")
STREAMS = ("high_level", "low_level")
ROUTES = ("vqa",)
# ${task} is filled from the task (or a task_aug rephrasing), never from a binding.
TASK_PLACEHOLDER = "task"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RecipeError(ValueError):
    """A recipe file is invalid; the message names the file, the recipe and the field."""


@dataclass(frozen=True)
class ImageBlock:
    """An image in a turn: which camera feature the text talks about (the pixels enter separately)."""

    feature: str


@dataclass(frozen=True)
class TextBlock:
    text: str


@dataclass(frozen=True)
class MessageTurn:
    """One chat turn of a recipe.

    ``content`` is a template string or a list of blocks (None for a turn made only of tool calls).
    ``stream`` says which head learns from the sample: ``low_level`` anywhere in the rendered
    sample turns on the action (flow) loss; ``target`` puts text cross-entropy on this turn.
    ``if_present`` drops the turn when that binding finds no row; ``tool_calls_from`` copies the
    tool calls of the row a binding finds.
    """

    role: str
    stream: str
    content: str | tuple[ImageBlock | TextBlock, ...] | None = None
    target: bool = False
    if_present: str | None = None
    tool_calls_from: str | None = None

    def placeholders(self) -> set[str]:
        texts = [self.content] if isinstance(self.content, str) else [
            b.text for b in self.content or () if isinstance(b, TextBlock)
        ]
        return {name for text in texts for name in PLACEHOLDER.findall(text)}

    def bindings_used(self) -> set[str]:
        used = self.placeholders() - {TASK_PLACEHOLDER}
        return used | {name for name in (self.if_present, self.tool_calls_from) if name}


@dataclass(frozen=True)
class RecipeComponent:
    """A list of turns with its bindings; in a blend, also its weight and optional route."""

    name: str
    messages: tuple[MessageTurn, ...]
    bindings: dict[str, Binding] = field(default_factory=dict)
    weight: float = 1.0
    route: str | None = None
