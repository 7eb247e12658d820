"""A tiny PaliGemma + Gemma expert (configs + a locally trained tokenizer), for tests and offline work.

No PaliGemma tokenizer or weights may be downloaded here, so tests build a miniature with the real
layout: a PaliGemmaConfig (SigLIP-style tower, Gemma text model) at toy width, a Gemma config for
the action expert, and a BPE tokenizer with Gemma's special tokens (``<pad>`` 0, ``<eos>`` 1,
``<bos>`` 2, ``<unk>`` 3; ``<bos>`` prepended as Gemma's tokenizer does). Everything is saved with
``save_pretrained`` into one folder, which the policy reads through ``from_pretrained`` as it reads
the ``vlm/`` folder of a saved checkpoint.

The text model keeps pi0.5's 8 query heads and one key/value head (LeRobot's joint attention
reshapes with ``8 * head_dim``), and the expert shares its depth and head size (the two streams
attend jointly layer by layer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import GemmaConfig, PaliGemmaConfig, PreTrainedTokenizerFast, SiglipVisionConfig

from .configuration import PI052Config
from .prompt import CHAT_TEMPLATE

PAD, EOS, BOS, UNK = "<pad>", "<eos>", "<bos>", "<unk>"
SAY_TOKENS = ("<say>", "</say>")
EXPERT_CONFIG_FILE = "expert_config.json"
# LM-head rows kept free above the tokenizer for FAST action tokens (fast_vocab_size + fast_skip_tokens).
FAST_RESERVED_ROWS = 1024 + 128

BUILTIN_CORPUS = (
    "Task: pick up the red cube and put it in the bowl, State: 12 128 255 0 77 200;\nAction: ",
    "User: pick up the red cube\nAssistant: reach for the red cube",
    "Plan: 1. reach the cube 2. grasp the cube 3. lift it 4. place it in the bowl",
    "Memory: the cube is in the bowl. Completed subtask: grasp the cube",
    "What is on the table? There is a blue cup, a green block and a yellow sponge.",
    "<say>Okay, I will fold the towel first.</say> Sure, I can do that for you.",
    "The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 , . ! ? : ;",
    " ".join(str(n) for n in range(256)),
)


def train_tokenizer(corpus: Iterable[str] = (), vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A BPE tokenizer with Gemma's special tokens (in Gemma's ids), ``<bos>`` added by default."""
    core = Tokenizer(models.BPE(unk_token=UNK))
    core.normalizer = normalizers.NFKC()
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, EOS, BOS, UNK],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator([*BUILTIN_CORPUS, *corpus], trainer=trainer)
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, core.token_to_id(BOS))]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK,
        padding_side="right", model_max_length=8192,
    )
    tokenizer.add_tokens(list(SAY_TOKENS))  # plain tokens: decoded speech keeps its markers
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_paligemma_config(vocab_size: int, image_size: int = 32) -> tuple[PaliGemmaConfig, GemmaConfig]:
    """PaliGemma (SigLIP tower + Gemma text, 8 heads, 1 KV head) and the Gemma expert, at toy width."""
    text = GemmaConfig(
        vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=8, num_key_value_heads=1, head_dim=16, hidden_activation="gelu_pytorch_tanh",
    )
    vision = SiglipVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        image_size=image_size, patch_size=8, projection_dim=64,
    )
    config = PaliGemmaConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), image_token_index=vocab_size - 1,
        projection_dim=64, hidden_size=64,
    )
    config.text_config.vocab_size = vocab_size
    expert = GemmaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=8, num_key_value_heads=1, head_dim=16, hidden_activation="gelu_pytorch_tanh",
    )
    return config, expert


def write_tiny_paligemma(folder: str | Path, *, corpus: Iterable[str] = (), image_size: int = 32) -> Path:
    """Write the tiny PaliGemma config, expert config and tokenizer into ``folder``; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(corpus)
    vocab_size = 64 * math.ceil((len(tokenizer) + FAST_RESERVED_ROWS) / 64)
    config, expert = tiny_paligemma_config(vocab_size, image_size)
    config.save_pretrained(folder)
    expert.to_json_file(folder / EXPERT_CONFIG_FILE)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_config(
    vlm_folder: str | Path, *, state_dim: int, action_dim: int, cameras: Sequence[str], **overrides
) -> PI052Config:
    """A PI052Config over the tiny PaliGemma (32 px images, short prompts, chunk 50)."""
    settings = dict(
        vlm_model_name=str(vlm_folder),
        image_features=list(cameras),
        state_dim=state_dim,
        action_dim=action_dim,
        image_resolution=(32, 32),
        tokenizer_max_length=128,
    )
    settings.update(overrides)
    return PI052Config(**settings)
