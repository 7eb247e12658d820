"""Chat messages -> SmolVLA2 language tokens, with the text-loss labels and the causal span flags.

One ``encode`` call serves training and inference, so the prompt the runtime builds is the same
token sequence as the prefix of the training sample it was trained on:

* Messages go through the tokenizer's own chat template (``apply_chat_template``; SmolVLM's renders
  ``<|im_start|>User: ...<end_of_utterance>\\nAssistant: ...<end_of_utterance>\\n``). Image blocks are
  dropped (pixels enter through the image features) and every content becomes a text-block list, the
  form SmolVLM's template expects.
* ``say`` tool calls are written into the assistant text as ``<say>text</say>``, after the message's
  own text and a newline (``lerobot_ros.runtime.text.split_plan_and_say`` is the inverse).
* Supervision of a target (assistant) message starts right after the generation prompt
  ``Assistant:`` and runs through its closing ``<end_of_utterance>``: the role header is the prompt,
  not something to predict, and the end token is predicted so generation stops. The newline after
  the end token is not supervised. Supervised tokens are also flagged ``causal``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .recipes.render import RenderedSample

IGNORE_INDEX = -100
SAY_OPEN, SAY_CLOSE = "<say>", "</say>"


def message_text(message: dict) -> str:
    """The text a message contributes: its text blocks (images dropped), then its say calls."""
    content = message.get("content")
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    else:
        text = "".join(block["text"] for block in content if block.get("type") == "text")
    said = "".join(f"{SAY_OPEN}{_say_text(call)}{SAY_CLOSE}" for call in message.get("tool_calls") or ())
    return f"{text}\n{said}" if text and said else text + said


def _say_text(call: dict) -> str:
    function = call.get("function", {})
    if function.get("name") != "say":
        raise ValueError(f"tool call {call!r}: only the 'say' tool can be written into the chat text")
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):  # OpenAI style: arguments as a JSON string
        arguments = json.loads(arguments)
    return arguments["text"]


@dataclass
class EncodedChat:
    """One encoded conversation (1-D tensors of equal length)."""

    tokens: torch.Tensor  # int64 token ids
    attention_mask: torch.Tensor  # bool, True on real tokens
    causal: torch.Tensor  # bool, True on supervised (target) tokens
    text_labels: torch.Tensor  # int64, the token id on supervised tokens, -100 elsewhere
    predict_actions: bool = False

    def supervised_ids(self) -> list[int]:
        return self.tokens[self.text_labels != IGNORE_INDEX].tolist()


class ChatTokenizer:
    """Encode chats with ``tokenizer``'s chat template, at most ``max_length`` tokens each."""

    def __init__(self, tokenizer, max_length: int):
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("the tokenizer has no chat template; SmolVLA2 needs SmolVLM's")
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; set one before building batches")
        self.tokenizer = tokenizer
        self.max_length = max_length

    def render(self, messages: Sequence[dict], *, add_generation_prompt: bool = False) -> str:
        """The chat template's text for ``messages``."""
        plain = [{"role": m["role"], "content": [{"type": "text", "text": message_text(m)}]} for m in messages]
        return self.tokenizer.apply_chat_template(
            plain, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def _ids(self, text: str, with_offsets: bool = False):
        out = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=with_offsets)
        return (out["input_ids"], out["offset_mapping"]) if with_offsets else out["input_ids"]

    def encode(
        self,
        messages: Sequence[dict],
        *,
        targets: Sequence[int] = (),
        add_generation_prompt: bool = False,
        streams: Sequence[str] | None = None,
    ) -> EncodedChat:
        """Tokens, mask, causal flags and labels of ``messages``; ``targets`` are supervised.

        ``streams`` (one per message) sets ``predict_actions`` when any is ``low_level``.
        """
        text = self.render(messages, add_generation_prompt=add_generation_prompt)
        ids, offsets = self._ids(text, with_offsets=True)
        supervised = [False] * len(ids)
        last_supervised = 0
        for index in sorted(set(targets)):
            first, end = self._target_span(messages, index, text, ids, offsets, add_generation_prompt)
            for j in range(first, end):
                supervised[j] = True
            last_supervised = max(last_supervised, end)
        if len(ids) > self.max_length:
            if not targets or last_supervised > self.max_length:
                raise ValueError(
                    f"chat of {len(ids)} tokens exceeds max_length={self.max_length} "
                    f"({'a supervised span would be cut' if targets else 'the prompt would be cut'}); "
                    "raise tokenizer_max_length or shorten the annotations"
                )
            warnings.warn(
                f"chat of {len(ids)} tokens cut to max_length={self.max_length} after its last target",
                stacklevel=2,
            )
            ids, supervised = ids[: self.max_length], supervised[: self.max_length]
        tokens = torch.tensor(ids, dtype=torch.long)
        causal = torch.tensor(supervised, dtype=torch.bool)
        return EncodedChat(
            tokens=tokens,
            attention_mask=torch.ones(len(ids), dtype=torch.bool),
            causal=causal,
            text_labels=torch.where(causal, tokens, torch.full_like(tokens, IGNORE_INDEX)),
            predict_actions=bool(streams) and "low_level" in streams,
        )

    def encode_sample(self, sample: RenderedSample) -> EncodedChat:
        """Encode a recipe-rendered training sample."""
        return self.encode(sample.messages, targets=sample.targets, streams=sample.streams)

    def _target_span(self, messages, index, text, ids, offsets, generation_prompt: bool) -> tuple[int, int]:
        """Token range [first, end) of the supervised part of ``messages[index]``."""
        if not 0 <= index < len(messages) or messages[index]["role"] != "assistant":
            raise ValueError(f"target {index} must index an assistant message of the {len(messages)} given")
        prompt = self.render(messages[:index], add_generation_prompt=True)
        # The usual target is the last message: then the whole text is what runs through it.
        last = index == len(messages) - 1 and not generation_prompt
        through = text if last else self.render(messages[: index + 1])
        if not (text.startswith(through) and through.startswith(prompt)):
            raise ValueError(
                "the chat template does not render a conversation as the concatenation of its turns; "
                "training and inference prompts could not be made token-identical"
            )
        prompt_ids = self._ids(prompt)
        if ids[: len(prompt_ids)] != prompt_ids:
            raise ValueError(
                f"the tokenizer merges tokens across the end of the generation prompt {prompt[-20:]!r}; "
                "the prompt the runtime builds would not be a prefix of the training sample"
            )
        span_end = len(through.rstrip())  # through the end-of-utterance token, not the newline after it
        end = len(prompt_ids)
        while end < len(ids) and offsets[end][0] < span_end:
            end += 1
        return len(prompt_ids), end

    def collate(self, items: Sequence[EncodedChat]) -> dict[str, torch.Tensor]:
        """Stack encoded chats into the policy's batch keys, right-padded to the longest."""
        if not items:
            raise ValueError("collate needs at least one encoded chat")
        length = max(len(item.tokens) for item in items)

        def pad(name: str, value) -> torch.Tensor:
            rows = [getattr(item, name) for item in items]
            return torch.stack([torch.cat([r, r.new_full((length - len(r),), value)]) for r in rows])

        return {
            "observation.language.tokens": pad("tokens", self.tokenizer.pad_token_id),
            "observation.language.attention_mask": pad("attention_mask", False),
            "observation.language.causal": pad("causal", False),
            "text_labels": pad("text_labels", IGNORE_INDEX),
            "predict_actions": torch.tensor([item.predict_actions for item in items], dtype=torch.bool),
        }
