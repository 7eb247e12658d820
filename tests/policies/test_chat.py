"""ChatTokenizer on the tiny SmolVLM tokenizer: template, label masks, say calls, truncation, batches."""

from __future__ import annotations

import pytest
import torch
from recipe_helpers import INTERJECTION_FRAME, PLANS, SPEECH, frame, tiny_tokenizer

from lerobot_ros.policies import prompts
from lerobot_ros.policies.chat import IGNORE_INDEX, ChatTokenizer, message_text
from lerobot_ros.policies.recipes import load_recipe, shipped_recipe_path
from lerobot_ros.policies.recipes.render import render_component
from lerobot_ros.runtime.text import PlanAndSpeech, split_plan_and_say

RECIPE = load_recipe(shipped_recipe_path())
SAY_CALL = {"type": "function", "function": {"name": "say", "arguments": {"text": SPEECH}}}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return tiny_tokenizer(tmp_path_factory.mktemp("tiny_vlm"))


@pytest.fixture(scope="module")
def chat(tokenizer):
    return ChatTokenizer(tokenizer, max_length=256)


def supervised_text(tokenizer, encoded) -> str:
    return tokenizer.decode(encoded.supervised_ids())


def test_tokens_are_the_tokenizers_own_chat_template(tokenizer, chat):
    messages = prompts.action_messages("stack the blocks", "plan", "memory", "grasp the red block")
    blocks = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in messages]
    expected = tokenizer.apply_chat_template(blocks, tokenize=True, return_dict=False)
    assert chat.encode(messages).tokens.tolist() == expected
    assert chat.render(messages) == (
        "<|im_start|>User: stack the blocks\nPlan: plan\nMemory: memory<end_of_utterance>\n"
        "Assistant: grasp the red block<end_of_utterance>\n")


def test_only_the_target_reply_and_its_end_token_are_supervised(tokenizer, chat):
    messages = [
        {"role": "user", "content": "stack the blocks"},
        {"role": "assistant", "content": "not this one"},
        {"role": "user", "content": "and now?"},
        {"role": "assistant", "content": "grasp the red block"},
    ]
    encoded = chat.encode(messages, targets=[3])
    # The role header is the prompt; the end token is learned so generation stops; the newline after it is not.
    assert supervised_text(tokenizer, encoded) == " grasp the red block<end_of_utterance>"
    supervised = encoded.text_labels != IGNORE_INDEX
    assert torch.equal(encoded.causal, supervised)
    assert torch.equal(encoded.text_labels[supervised], encoded.tokens[supervised])
    first = int(supervised.nonzero()[0])
    assert tokenizer.decode(encoded.tokens[:first]).endswith("and now?<end_of_utterance>\nAssistant:")
    assert tokenizer.decode(encoded.tokens[int(supervised.nonzero()[-1]) + 1:]) == "\n"
    both = chat.encode(messages, targets=[1, 3])
    assert supervised_text(tokenizer, both) == (
        " not this one<end_of_utterance> grasp the red block<end_of_utterance>")
    assert not chat.encode(messages).causal.any()


def test_image_blocks_are_dropped_from_the_text(tokenizer, chat):
    with_image = [{"role": "user", "content": [{"type": "image", "feature": "observation.images.wrist"},
                                               {"type": "text", "text": "where is the cube?"}]}]
    text_only = [{"role": "user", "content": "where is the cube?"}]
    tokens = chat.encode(with_image, add_generation_prompt=True).tokens
    assert torch.equal(tokens, chat.encode(text_only, add_generation_prompt=True).tokens)
    assert tokenizer.convert_tokens_to_ids("<image>") not in tokens.tolist()


def test_say_calls_are_written_as_say_markers_after_the_plan(tokenizer, chat):
    sample = render_component(RECIPE.component("user_interjection_response"), frame(INTERJECTION_FRAME), 0, "r")
    encoded = chat.encode_sample(sample)
    text = supervised_text(tokenizer, encoded)
    assert text == f" {PLANS[1][1]}\n<say>{SPEECH}</say><end_of_utterance>"
    # The runtime's parser inverts the flattening.
    assert split_plan_and_say(text.removesuffix("<end_of_utterance>")) == PlanAndSpeech(PLANS[1][1], (SPEECH,))
    # The say markers are single tokens of the tokenizer.
    say_id = tokenizer.convert_tokens_to_ids("<say>")
    assert encoded.tokens.tolist().count(say_id) == 1


def test_say_call_forms(chat):
    assert message_text({"role": "assistant", "tool_calls": [SAY_CALL]}) == f"<say>{SPEECH}</say>"
    as_json = {"type": "function", "function": {"name": "say", "arguments": '{"text": "hello"}'}}
    assert message_text({"role": "assistant", "content": "", "tool_calls": [as_json, SAY_CALL]}) == (
        f"<say>hello</say><say>{SPEECH}</say>")
    wave = {"type": "function", "function": {"name": "wave", "arguments": {}}}
    with pytest.raises(ValueError, match="only the 'say' tool"):
        chat.encode([{"role": "assistant", "tool_calls": [wave]}])


def test_targets_must_be_assistant_messages(chat):
    with pytest.raises(ValueError, match="target 0 must index an assistant message"):
        chat.encode([{"role": "user", "content": "hi"}], targets=[0])
    with pytest.raises(ValueError, match="target 3 must index an assistant message"):
        chat.encode([{"role": "user", "content": "hi"}], targets=[3])


def test_too_long_chats_fail_loudly_unless_only_the_tail_after_the_targets_is_cut(tokenizer):
    messages = prompts.action_messages("stack the blocks", "plan", "memory", "grasp the red block")
    full = ChatTokenizer(tokenizer, 256).encode(messages, targets=[1])
    length = len(full.tokens)
    expected = f"chat of {length} tokens exceeds max_length=10 .a supervised span would be cut"
    with pytest.raises(ValueError, match=expected):
        ChatTokenizer(tokenizer, 10).encode(messages, targets=[1])
    with pytest.raises(ValueError, match="the prompt would be cut"):
        ChatTokenizer(tokenizer, 10).encode(messages[:1], add_generation_prompt=True)
    with pytest.warns(UserWarning, match=f"cut to max_length={length - 1} after its last target"):
        cut = ChatTokenizer(tokenizer, length - 1).encode(messages, targets=[1])
    assert torch.equal(cut.tokens, full.tokens[:-1])
    assert cut.supervised_ids() == full.supervised_ids()


def test_collate_pads_on_the_right(tokenizer, chat):
    long = chat.encode(prompts.action_messages("stack the blocks", "plan", "memory", "grasp"), targets=[1],
                       streams=["low_level", "low_level"])
    short = chat.encode(prompts.vqa_messages("what is on the table?"), add_generation_prompt=True)
    batch = chat.collate([short, long])
    n, m = len(short.tokens), len(long.tokens)
    tokens = batch["observation.language.tokens"]
    assert tokens.shape == (2, m) and tokens.dtype == torch.long
    assert torch.equal(tokens[0, :n], short.tokens)
    assert (tokens[0, n:] == tokenizer.pad_token_id).all()
    assert batch["observation.language.attention_mask"].sum(1).tolist() == [n, m]
    assert batch["observation.language.attention_mask"].dtype == torch.bool
    assert torch.equal(batch["observation.language.causal"][1], long.causal)
    assert not batch["observation.language.causal"][0].any()
    assert (batch["text_labels"][0] == IGNORE_INDEX).all()
    assert torch.equal(batch["text_labels"][1], long.text_labels)
    assert batch["predict_actions"].tolist() == [False, True]


# The template in SmolVLM/SmolVLM2 Hub checkpoints (chat_template.json): block-list content only.
HUB_SMOLVLM_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


@pytest.mark.parametrize("template", ["hub", "transformers"])
def test_checkpoint_templates_give_the_same_tokens(tmp_path, chat, template):
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE

    other = tiny_tokenizer(tmp_path)
    other.chat_template = HUB_SMOLVLM_TEMPLATE if template == "hub" else DEFAULT_CHAT_TEMPLATE
    other_chat = ChatTokenizer(other, max_length=256)
    for frame_index in (0, 60, INTERJECTION_FRAME, 150):
        for component in RECIPE.components:
            sample = render_component(component, frame(frame_index), frame_index, "r")
            if sample is None:
                continue
            mine, theirs = chat.encode_sample(sample), other_chat.encode_sample(sample)
            assert torch.equal(mine.tokens, theirs.tokens) and torch.equal(mine.text_labels, theirs.text_labels)
    question = prompts.vqa_messages("where is the cube?")
    assert torch.equal(chat.encode(question, add_generation_prompt=True).tokens,
                       other_chat.encode(question, add_generation_prompt=True).tokens)


def test_a_tokenizer_without_template_or_pad_token_is_refused(tmp_path):
    bare = tiny_tokenizer(tmp_path)
    bare.chat_template = None
    with pytest.raises(ValueError, match="no chat template"):
        ChatTokenizer(bare, 64)
    unpadded = tiny_tokenizer(tmp_path)
    unpadded.pad_token = None
    with pytest.raises(ValueError, match="no pad token"):
        ChatTokenizer(unpadded, 64)
