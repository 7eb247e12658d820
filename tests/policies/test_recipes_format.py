"""Recipe YAML: the shipped blend loads as specified; mistakes fail at load naming file, recipe, field."""

from __future__ import annotations

import textwrap

import pytest

from lerobot_ros.policies.recipes import RecipeError, load_recipe, parse_binding, shipped_recipe_path


def write(tmp_path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_shipped_blend_has_the_two_flavours_with_weights_summing_to_one():
    recipe = load_recipe(shipped_recipe_path())
    weights = {c.name: c.weight for c in recipe.components}
    assert weights == {
        "action_execution": 0.60,
        "memory_update": 0.10,
        "user_interjection_response": 0.15,
        "ask_vqa_top": 0.075,
        "ask_vqa_wrist": 0.075,
    }
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    action = recipe.component("action_execution")
    assert action.messages[0].content == "${task}\nPlan: ${plan}\nMemory: ${memory}"
    assert [t.stream for t in action.messages] == ["low_level", "low_level"]
    assert [t.target for t in action.messages] == [False, True]
    for component in recipe.components[1:]:
        assert {t.stream for t in component.messages} == {"high_level"}, component.name
        assert all(t.if_present for t in component.messages), component.name
    assert [c.route for c in recipe.components] == [None, None, None, "vqa", "vqa"]


def test_a_recipe_without_messages_or_blend_is_refused(tmp_path):
    with pytest.raises(RecipeError, match=r"bad.yaml: recipe 'bad': give exactly one of 'messages:'"):
        load_recipe(write(tmp_path, "description: nothing\n"))


def test_a_turn_without_stream_names_file_recipe_and_field(tmp_path):
    path = write(tmp_path, """
        blend:
          first:
            weight: 1
            messages:
              - {role: user, content: "${task}"}
    """)
    with pytest.raises(RecipeError, match=r"bad.yaml: recipe 'first': messages\[0\]: field 'stream' is required"):
        load_recipe(path)


@pytest.mark.parametrize("weight", [0, -0.5, "heavy", True])
def test_blend_weights_must_be_positive_numbers(tmp_path, weight):
    path = write(tmp_path, f"""
        blend:
          first:
            weight: {weight}
            messages:
              - {{role: user, content: "${{task}}", stream: low_level}}
    """)
    with pytest.raises(RecipeError, match=r"recipe 'first': field 'weight' must be a number > 0"):
        load_recipe(path)


def test_blends_cannot_nest(tmp_path):
    path = write(tmp_path, """
        blend:
          outer:
            blend:
              inner: {weight: 1, messages: [{role: user, content: x, stream: low_level}]}
    """)
    with pytest.raises(RecipeError, match=r"recipe 'outer': field 'blend': blends cannot nest"):
        load_recipe(path)


def test_unknown_binding_in_content_is_named(tmp_path):
    path = write(tmp_path, """
        messages:
          - {role: user, content: "${task} ${colour}", stream: low_level}
    """)
    with pytest.raises(RecipeError, match=r"messages\[0\] uses unknown binding\(s\) \['colour'\]"):
        load_recipe(path)


def test_a_recipe_that_supervises_nothing_is_refused(tmp_path):
    path = write(tmp_path, """
        messages:
          - {role: user, content: "${task}", stream: high_level}
          - {role: assistant, content: "${subtask}", stream: high_level}
    """)
    with pytest.raises(RecipeError, match="supervises nothing"):
        load_recipe(path)


def test_only_assistant_turns_can_be_targets(tmp_path):
    path = write(tmp_path, """
        messages:
          - {role: user, content: "${task}", stream: high_level, target: true}
    """)
    with pytest.raises(RecipeError, match=r"messages\[0\]: field 'target': only assistant turns"):
        load_recipe(path)


def test_bad_binding_and_image_block_are_named(tmp_path):
    path = write(tmp_path, """
        bindings: {previous: "nth_prev(style=memory)"}
        messages:
          - {role: user, content: "${previous}", stream: low_level}
    """)
    with pytest.raises(RecipeError, match=r"bindings.previous: nth_prev needs offset=N"):
        load_recipe(path)
    path = write(tmp_path, """
        messages:
          - role: user
            content: [{type: image, feature: front}]
            stream: low_level
    """)
    with pytest.raises(RecipeError, match=r"messages\[0\]: content\[0\]: an image block needs 'feature: "):
        load_recipe(path)


def test_unknown_fields_are_refused(tmp_path):
    path = write(tmp_path, """
        messages:
          - {role: user, content: "${task}", stream: low_level, tagret: true}
    """)
    with pytest.raises(RecipeError, match=r"messages\[0\]: unknown field\(s\) \['tagret'\]"):
        load_recipe(path)


@pytest.mark.parametrize("text, problem", [
    ("latest(style=plan)", "unknown resolver 'latest'"),
    ("active_at(t)", "active_at needs style="),
    ("active_at(t, style=plan, offset=2)", "offset= only applies to nth_prev/nth_next"),
    ("nth_next(style=plan, offset=0)", "offset must be a whole number >= 1"),
    ("emitted_at(t, colour=red)", "unknown argument 'colour'"),
    ("emitted_at(t, style=memory, at=new)", "at=<binding name> only applies to nth_prev/nth_next"),
    ("subtask", "is not a resolver call"),
])
def test_binding_syntax_errors(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_binding(text)


def test_binding_syntax_accepts_quotes_and_filters():
    binding = parse_binding("emitted_at(t, style='vqa', role=user, camera=\"observation.images.wrist\")")
    assert (binding.resolver, binding.style, binding.role, binding.camera) == (
        "emitted_at", "vqa", "user", "observation.images.wrist")
    assert parse_binding("nth_next(style=subtask, offset=2)").offset == 2


def test_an_unknown_shipped_recipe_names_where_it_looked():
    with pytest.raises(FileNotFoundError,
                       match="no shipped recipe 'nonexistent' at config/recipes/nonexistent.yaml; looked in"):
        shipped_recipe_path("nonexistent")
