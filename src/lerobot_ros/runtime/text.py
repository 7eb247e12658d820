"""Checks and parsing of generated text, so a collapsed language head is visible, not silent.

A small VLM fine-tuned on few annotations sometimes generates nothing, a newline, or token soup.
LeRobot's runtime filtered that with heuristics inside a broad ``except``; here every rejection has
a named reason that the runtime counts and reports in diagnostics, and the previous value stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SAY_PATTERN = re.compile(r"<say>(.*?)</say>", re.DOTALL)
_LEFTOVER_MARKUP = re.compile(r"<\|?[\w/-]*\|?>")  # special tokens that leaked into decoded text


class Rejection(str):
    """Why a generated text was not used (one of the constants below)."""


EMPTY = Rejection("empty")
NO_LETTERS = Rejection("no letters")
SPECIAL_TOKENS = Rejection("special tokens in text")
UNBALANCED_SAY = Rejection("unbalanced <say> markers")
TOO_LONG = Rejection("too long")


@dataclass(frozen=True)
class Checked:
    """A generated text after the checks: ``text`` is usable when ``rejection`` is None."""

    text: str
    rejection: Rejection | None = None

    @property
    def ok(self) -> bool:
        return self.rejection is None


def check_line(raw: str, max_chars: int = 400) -> Checked:
    """A subtask, memory or answer: one non-empty text with letters, no markup, bounded length."""
    text = " ".join(raw.split())
    if not text:
        return Checked(text, EMPTY)
    if "<say>" in text or "</say>" in text:
        return Checked(text, UNBALANCED_SAY if text.count("<say>") != text.count("</say>") else SPECIAL_TOKENS)
    return _check_words(text, max_chars)


def _check_words(text: str, max_chars: int) -> Checked:
    if _LEFTOVER_MARKUP.search(text):
        return Checked(text, SPECIAL_TOKENS)
    if not any(c.isalpha() for c in text):
        return Checked(text, NO_LETTERS)
    if len(text) > max_chars:
        return Checked(text, TOO_LONG)
    return Checked(text)


@dataclass(frozen=True)
class PlanAndSpeech:
    """An interjection's answer: the new plan and what to say (either may be empty, not both)."""

    plan: str
    say: tuple[str, ...]


def split_plan_and_say(raw: str, max_chars: int = 1000) -> PlanAndSpeech | Rejection:
    """Split ``plan <say>speech</say>`` output; a Rejection when it is empty or malformed."""
    if raw.count("<say>") != raw.count("</say>"):
        return UNBALANCED_SAY
    speech = tuple(" ".join(s.split()) for s in SAY_PATTERN.findall(raw))
    speech = tuple(s for s in speech if s)
    plan = " ".join(SAY_PATTERN.sub(" ", raw).split())
    if not plan and not speech:
        return EMPTY
    for part in (plan, *speech):
        if part:
            checked = _check_words(part, max_chars)
            if not checked.ok:
                return checked.rejection
    return PlanAndSpeech(plan, speech)
