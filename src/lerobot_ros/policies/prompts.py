"""The chat prompts SmolVLA2 sees at inference, one builder per runtime question.

Training renders its prompts from ``config/recipes/smolvla2_hirobot.yaml``; the runtime builds them
here. The two must agree token for token (``tests/policies/test_prompt_identity.py`` checks it), so
every runtime prompt is written in the same shape as one recipe component:

========================  ================================  ===============================
runtime question          messages built here               recipe component
========================  ================================  ===============================
next subtask              ``subtask_messages``              action_execution (user turn)
action chunk              ``action_messages``               action_execution (both turns)
new memory                ``memory_update_messages``        memory_update
reply to an interjection  ``interjection_messages``         user_interjection_response
question about the scene  ``vqa_messages``                  ask_vqa_top / ask_vqa_wrist
========================  ================================  ===============================

Encode them with ``ChatTokenizer.encode(messages, add_generation_prompt=True)`` to ask for text, and
with ``ChatTokenizer.encode(messages, targets=ACTION_TARGETS)`` for the action chunk (the subtask turn
is causal in training, so it is causal at inference too).
"""

from __future__ import annotations

# The assistant subtask turn of ``action_messages`` is the supervised span in training.
ACTION_TARGETS = (1,)


def control_prompt(task: str, plan: str | None, memory: str | None) -> str:
    """The fused control context: the bare task, then the labelled plan and memory.

    The labels are always printed, even when the plan or memory is still empty, so the model sees
    one fixed layout from the first frame to the last.
    """
    return f"{task}\nPlan: {plan or ''}\nMemory: {memory or ''}"


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def subtask_messages(task: str, plan: str | None, memory: str | None) -> list[dict]:
    """Ask for the current subtask: the control prompt alone, then the generation prompt."""
    return [_user(control_prompt(task, plan, memory))]


def action_messages(task: str, plan: str | None, memory: str | None, subtask: str) -> list[dict]:
    """Condition the action expert: the control prompt plus the subtask as the assistant's reply."""
    return [*subtask_messages(task, plan, memory), {"role": "assistant", "content": subtask}]


def memory_update_messages(
    task: str, plan: str | None, memory: str | None, completed_subtask: str
) -> list[dict]:
    """Ask for the new memory after ``completed_subtask`` ended; ``memory`` is the memory before."""
    return [*subtask_messages(task, plan, memory), _user(f"Completed subtask: {completed_subtask}")]


def interjection_messages(task: str, plan: str | None, memory: str | None, interjection: str) -> list[dict]:
    """Ask for the new plan and the spoken reply to what the user just said.

    The answer is the new plan text followed by ``<say>reply</say>``; split it with
    ``lerobot_ros.runtime.text.split_plan_and_say``.
    """
    return [*subtask_messages(task, plan, memory), _user(interjection)]


def vqa_messages(question: str) -> list[dict]:
    """Ask a question about the scene; the cameras enter through the image features, not the text."""
    return [_user(question)]
