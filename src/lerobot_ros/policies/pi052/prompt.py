"""The state as prompt text, and pi0.5's prompt.

pi0.5 reads the normalized state as text: each value in [-1, 1] falls into one of 256 bins
(``np.digitize`` over 256 equal bins, as openpi's PaligemmaTokenizer and LeRobot's
``Pi05PrepareStateTokenizerProcessorStep``) and the bin numbers are written out. LeRobot's pi0.5
prompt is ``"Task: <task>, State: <bins>;\\nAction: "``, tokenized with ``<bos>`` and right-padded
to ``tokenizer_max_length``. PI052 instead starts from a chat (policies.chat, the recipe's
messages) and appends ``"State: <bins>;\\nAction: "`` after it for the action expert.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import Tensor

from ..language_head import MASK_KEY, TOKENS_KEY

STATE_BINS = 256

# PaliGemma's prompt format for chats: <bos>, then "Role: text<eos>\n" per turn; the generation
# prompt is "Assistant:" (the reply, then <eos>, is what the model writes).
CHAT_TEMPLATE = (
    "<bos>{% for message in messages %}"
    "{{ message['role'] | capitalize }}: "
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for block in message['content'] %}{% if block['type'] == 'text' %}{{ block['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "<eos>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def discretize_state(normalized: Tensor) -> np.ndarray:
    """(B, D) normalized state -> (B, D) integer bins in [-1, 255] (values beyond [-1, 1] clip to the ends)."""
    values = normalized.detach().float().cpu().numpy()
    return np.digitize(values, bins=np.linspace(-1, 1, STATE_BINS + 1)[:-1]) - 1


def state_text(bins: np.ndarray) -> str:
    return " ".join(map(str, bins))


def pi05_prompts(tasks: Sequence[str], normalized_state: Tensor) -> list[str]:
    """LeRobot's pi0.5 prompts for a batch of tasks and normalized states."""
    bins = discretize_state(normalized_state)
    prompts = []
    for task, row in zip(tasks, bins, strict=True):
        cleaned = task.strip().replace("_", " ").replace("\n", " ")
        prompts.append(f"Task: {cleaned}, State: {state_text(row)};\nAction: ")
    return prompts


def pi05_language(tokenizer, tasks: Sequence[str], normalized_state: Tensor, max_length: int) -> dict[str, Tensor]:
    """Tokens and attention mask of the pi0.5 prompts, as LeRobot's tokenizer step makes them."""
    encoded = tokenizer(pi05_prompts(tasks, normalized_state), max_length=max_length, truncation=True,
                        padding="max_length", padding_side="right", return_tensors="pt")
    return {TOKENS_KEY: encoded["input_ids"], MASK_KEY: encoded["attention_mask"].bool()}


def state_suffix(tokenizer, normalized_state: Tensor, device) -> tuple[Tensor, Tensor]:
    """PI052's state text after the chat: left-padded tokens (B, S) and their mask (left, so every
    sample's last state token is the last column, where FAST tokens follow)."""
    texts = [f"State: {state_text(row)};\nAction: " for row in discretize_state(normalized_state)]
    encoded = tokenizer(texts, add_special_tokens=False, padding="longest", padding_side="left", return_tensors="pt")
    return encoded["input_ids"].to(device), encoded["attention_mask"].bool().to(device)
