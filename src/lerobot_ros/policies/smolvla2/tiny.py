"""A tiny SmolVLM (config + trained tokenizer) written to a folder, for tests and offline work.

No SmolVLM tokenizer or weights may be downloaded here, so tests build a miniature of the real
thing: a SmolVLMConfig with a small SigLIP-style vision tower and a small Llama text model, and a
byte-level BPE tokenizer trained in a few milliseconds with the SmolVLM special tokens and chat
template. Everything is saved with ``save_pretrained`` so the policy loads it through the same
``AutoConfig`` / ``AutoTokenizer.from_pretrained`` path that users take with a Hub name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    LlamaConfig,
    PreTrainedTokenizerFast,
    SmolVLMConfig,
    SmolVLMImageProcessor,
    SmolVLMProcessor,
    SmolVLMVideoProcessor,
    SmolVLMVisionConfig,
)

from .configuration import SmolVLA2Config

BOS_TOKEN = "<|im_start|>"
END_OF_UTTERANCE = "<end_of_utterance>"
PAD_TOKEN = "<|im_end|>"
UNK_TOKEN = "<|endoftext|>"
IMAGE_TOKEN = "<image>"
FAKE_IMAGE_TOKEN = "<fake_token_around_image>"
GLOBAL_IMAGE_TOKEN = "<global-img>"
SAY_TOKENS = ("<say>", "</say>")

# The SmolVLM special tokens, in the roles SmolVLM's tokenizer_config gives them.
SPECIAL_TOKENS = [
    UNK_TOKEN,
    BOS_TOKEN,
    PAD_TOKEN,
    END_OF_UTTERANCE,
    FAKE_IMAGE_TOKEN,
    IMAGE_TOKEN,
    GLOBAL_IMAGE_TOKEN,
    *(f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)),
]

# SmolVLM's chat template, extended so that a message's content may also be a plain string (the
# recipes render strings; HF-style block lists keep working, image blocks become <image>).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}{{ ': ' + message['content'] }}"
    "{% else %}{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for block in message['content'] %}"
    "{% if block['type'] == 'text' %}{{ block['text'] }}{% elif block['type'] == 'image' %}{{ '<image>' }}{% endif %}"
    "{% endfor %}{% endif %}"
    "<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

BUILTIN_CORPUS = (
    "User: pick up the red cube and put it in the bowl\nAssistant: reach for the red cube",
    "Plan: 1. reach the cube 2. grasp the cube 3. lift it 4. place it in the bowl",
    "Memory: the cube is in the bowl. Completed subtask: grasp the cube",
    "Previous memory: nothing yet. Previous plan: open the drawer, then close it",
    "move the arm to the left, open the gripper, close the gripper, go home, stop",
    "What is on the table? There is a blue cup, a green block and a yellow sponge.",
    "<say>Okay, I will fold the towel first.</say> Sure, I can do that for you.",
    "stack the blocks on top of each other, push the button, wipe the table clean",
    "The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 , . ! ? : ;",
)

# Rows of the LM vocabulary kept free above the tokenizer for FAST action tokens (see modeling).
FAST_RESERVED_ROWS = 1024 + 128


def train_tokenizer(corpus: Iterable[str] = (), vocab_size: int = 640) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with SmolVLM's special tokens, chat template and <say> markers."""
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator([*BUILTIN_CORPUS, *corpus], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS_TOKEN,
        eos_token=END_OF_UTTERANCE,
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        extra_special_tokens={
            "fake_image_token": FAKE_IMAGE_TOKEN,
            "image_token": IMAGE_TOKEN,
            "global_image_token": GLOBAL_IMAGE_TOKEN,
            "end_of_utterance_token": END_OF_UTTERANCE,
        },
        padding_side="right",
        model_max_length=8192,
    )
    # Plain added tokens: skip_special_tokens keeps them, so decoded speech keeps its markers.
    tokenizer.add_tokens(list(SAY_TOKENS))
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_smolvlm_config(vocab_size: int, image_token_id: int) -> SmolVLMConfig:
    """A SmolVLM with the real layout (SigLIP tower, pixel shuffle, Llama text) at toy width."""
    text = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=6,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
    )
    vision = SmolVLMVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=64,
        patch_size=8,
    )
    return SmolVLMConfig(
        text_config=text.to_dict(),
        vision_config=vision.to_dict(),
        scale_factor=2,
        image_token_id=image_token_id,
        tie_word_embeddings=False,
    )


def tiny_processor(tokenizer: PreTrainedTokenizerFast, config: SmolVLMConfig) -> SmolVLMProcessor:
    """SmolVLM's processor sized for the tiny tower (one image = one tower-sized tile).

    Our SmolVLA2 needs only the tokenizer; LeRobot's SmolVLA loads the whole processor from the VLM
    folder (``AutoProcessor``), as from the Hub's SmolVLM. Building one needs ``num2words`` (LeRobot's
    smolvla extra brings it).
    """
    vision = config.vision_config
    return SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(
            size={"longest_edge": vision.image_size}, max_image_size={"longest_edge": vision.image_size}
        ),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(),
        image_seq_len=(vision.image_size // vision.patch_size) ** 2 // config.scale_factor**2,
        chat_template=tokenizer.chat_template,
    )


def write_tiny_vlm(folder: str | Path, *, corpus: Iterable[str] = (), processor: bool = False) -> Path:
    """Write a tiny SmolVLM config and tokenizer into ``folder`` and return the folder.

    ``corpus`` adds domain text (tasks, subtasks) to the tokenizer's training text so they take few
    tokens. The text vocabulary leaves ``FAST_RESERVED_ROWS`` rows above the tokenizer for FAST.
    ``processor`` also writes SmolVLM's processor (:func:`tiny_processor`), which LeRobot's SmolVLA
    (``--policy.vlm_model_name=<folder>``) loads.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(corpus)
    vocab_size = 64 * math.ceil((len(tokenizer) + FAST_RESERVED_ROWS) / 64)
    config = tiny_smolvlm_config(vocab_size, tokenizer.convert_tokens_to_ids(IMAGE_TOKEN))
    config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if processor:
        tiny_processor(tokenizer, config).save_pretrained(folder)
    return folder


def tiny_config(
    vlm_folder: str | Path,
    *,
    state_dim: int,
    action_dim: int,
    cameras: Sequence[str],
    **overrides,
) -> SmolVLA2Config:
    """A SmolVLA2Config over the tiny VLM that trains a few hundred steps on 2 CPU cores quickly.

    Four of the six text layers are kept (so truncation is exercised), the expert alternates self-
    and cross-attention like the full model, and images are pad-resized to the tiny tower's 64 px.
    """
    settings = dict(
        vlm_model_name=str(vlm_folder),
        image_features=list(cameras),
        state_dim=state_dim,
        action_dim=action_dim,
        load_vlm_weights=False,
        num_vlm_layers=4,
        resize_imgs_with_padding=(64, 64),
        tokenizer_max_length=128,
    )
    settings.update(overrides)
    return SmolVLA2Config(**settings)
