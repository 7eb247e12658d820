"""Generated-text checks: a collapsed language head is rejected with a reason, never used."""

from lerobot_ros.runtime.text import (EMPTY, NO_LETTERS, SPECIAL_TOKENS, TOO_LONG, UNBALANCED_SAY, PlanAndSpeech,
                                      check_line, split_plan_and_say)


def test_a_line_is_normalised_and_kept():
    checked = check_line("  grasp the\n red cube ")
    assert checked.ok and checked.text == "grasp the red cube"


def test_collapsed_outputs_are_rejected_with_their_reason():
    assert check_line("").rejection == EMPTY
    assert check_line("\n \n").rejection == EMPTY
    assert check_line("... 1 2 ,").rejection == NO_LETTERS
    assert check_line("<end_of_utterance> reach").rejection == SPECIAL_TOKENS
    assert check_line("reach <say>hi").rejection == UNBALANCED_SAY
    assert check_line("a" * 401).rejection == TOO_LONG


def test_plan_and_speech_are_split():
    assert split_plan_and_say("1. open 2. close <say>Sure, the drawer first.</say>") == \
        PlanAndSpeech("1. open 2. close", ("Sure, the drawer first.",))
    assert split_plan_and_say("<say>ok</say>") == PlanAndSpeech("", ("ok",))
    assert split_plan_and_say("<say> </say>") == EMPTY
    assert split_plan_and_say("plan <say>unfinished") == UNBALANCED_SAY
    assert split_plan_and_say("<|im_start|> <say>ok</say>") == SPECIAL_TOKENS
