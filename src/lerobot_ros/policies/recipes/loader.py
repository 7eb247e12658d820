"""Read and validate a recipe YAML file.

Every error names the file, the recipe (component) and the field, so a typo in a 200-line blend is
found at load time, not as a silent gap in training.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ...package_files import config_path
from .recipe import Recipe
from .resolvers import DEFAULT_BINDINGS, Binding, BindingError, parse_binding
from .schema import (
    ROLES,
    ROUTES,
    STREAMS,
    TASK_PLACEHOLDER,
    ImageBlock,
    MessageTurn,
    RecipeComponent,
    RecipeError,
    TextBlock,
)

_TOP_KEYS = {"messages", "bindings", "blend", "description"}
_COMPONENT_KEYS = {"messages", "bindings", "weight", "route", "description"}
_TURN_KEYS = {"role", "content", "stream", "target", "if_present", "tool_calls_from"}


def load_recipe(path: str | Path) -> Recipe:
    """Load ``path`` (a ``messages:`` recipe or a ``blend:`` of named sub-recipes)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML: {exc}") from exc
    return recipe_from_dict(data, source=str(path), name=path.stem)


def shipped_recipe_path(name: str = "smolvla2_hirobot") -> Path:
    """Path of a recipe shipped in ``config/recipes/`` (source checkout or installed share folder)."""
    return config_path(f"recipes/{name}.yaml", what=f"shipped recipe {name!r} at")


def recipe_from_dict(data: object, *, source: str = "<dict>", name: str = "recipe") -> Recipe:
    """Validate the parsed YAML ``data`` and build the typed ``Recipe``."""
    where = f"{source}: recipe {name!r}"
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: the top level must be a mapping with 'messages:' or 'blend:'")
    _check_keys(data, _TOP_KEYS, where)
    if ("messages" in data) == ("blend" in data):
        raise RecipeError(f"{where}: give exactly one of 'messages:' (one recipe) or 'blend:' (named sub-recipes)")
    if "messages" in data:
        return Recipe(name, (_component(data, name, source, in_blend=False),), source)
    if "bindings" in data:
        raise RecipeError(f"{where}: field 'bindings': in a blend, bindings go inside each sub-recipe")
    blend = data["blend"]
    if not isinstance(blend, dict) or not blend:
        raise RecipeError(f"{where}: field 'blend' must map sub-recipe names to sub-recipes")
    return Recipe(name, tuple(_component(body, str(key), source, in_blend=True) for key, body in blend.items()), source)


def _component(data: object, name: str, source: str, *, in_blend: bool) -> RecipeComponent:
    where = f"{source}: recipe {name!r}"
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: must be a mapping with 'messages:'")
    if "blend" in data:
        raise RecipeError(f"{where}: field 'blend': blends cannot nest; list every sub-recipe in the top blend")
    _check_keys(data, _COMPONENT_KEYS if in_blend else _TOP_KEYS - {"blend"}, where)
    weight = 1.0
    if in_blend:
        weight = data.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise RecipeError(f"{where}: field 'weight' must be a number > 0, got {weight!r}")
    route = data.get("route")
    if route is not None and route not in ROUTES:
        raise RecipeError(f"{where}: field 'route' must be one of {list(ROUTES)}, got {route!r}")
    bindings = _bindings(data.get("bindings") or {}, where)
    turns = data.get("messages")
    if not isinstance(turns, list) or not turns:
        raise RecipeError(f"{where}: field 'messages' must be a non-empty list of turns")
    messages = tuple(_turn(turn, f"{where}: messages[{i}]") for i, turn in enumerate(turns))
    known = DEFAULT_BINDINGS.keys() | bindings.keys()
    for i, turn in enumerate(messages):
        unknown = sorted(turn.bindings_used() - known)
        if unknown:
            raise RecipeError(
                f"{where}: messages[{i}] uses unknown binding(s) {unknown}; declare them under 'bindings:' "
                f"or use a default one {sorted(DEFAULT_BINDINGS)}"
            )
    for key, binding in bindings.items():
        if binding.at is not None:
            anchor = bindings.get(binding.at) or DEFAULT_BINDINGS.get(binding.at)
            if anchor is None:
                raise RecipeError(f"{where}: bindings.{key}: at={binding.at} names no binding; known: {sorted(known)}")
            if anchor.at is not None:
                raise RecipeError(
                    f"{where}: bindings.{key}: at={binding.at} must name a binding without at= of its own")
    if not any(t.target or t.stream == "low_level" for t in messages):
        raise RecipeError(
            f"{where}: field 'messages' supervises nothing: mark a turn 'target: true' (text loss) or "
            "'stream: low_level' (action loss)"
        )
    return RecipeComponent(name, messages, bindings, float(weight), route)


def _bindings(data: object, where: str) -> dict[str, Binding]:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: field 'bindings' must map names to resolver calls")
    bindings = {}
    for key, text in data.items():
        if key == TASK_PLACEHOLDER:
            raise RecipeError(f"{where}: bindings.{key}: 'task' is reserved (the task or a task_aug rephrasing)")
        try:
            bindings[str(key)] = parse_binding(text)
        except BindingError as exc:
            raise RecipeError(f"{where}: bindings.{key}: {exc}") from exc
    return bindings


def _turn(data: object, where: str) -> MessageTurn:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a turn must be a mapping with role, content and stream")
    _check_keys(data, _TURN_KEYS, where)
    role = data.get("role")
    if role not in ROLES:
        raise RecipeError(f"{where}: field 'role' must be one of {list(ROLES)}, got {role!r}")
    stream = data.get("stream")
    if stream not in STREAMS:
        raise RecipeError(f"{where}: field 'stream' is required, one of {list(STREAMS)}, got {stream!r}")
    target = data.get("target", False)
    if not isinstance(target, bool):
        raise RecipeError(f"{where}: field 'target' must be true or false, got {target!r}")
    if target and role != "assistant":
        raise RecipeError(f"{where}: field 'target': only assistant turns are supervised (the model writes them)")
    for key in ("if_present", "tool_calls_from"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise RecipeError(f"{where}: field {key!r} must name a binding, got {data[key]!r}")
    content = _content(data.get("content"), where)
    if content is None and data.get("tool_calls_from") is None:
        raise RecipeError(f"{where}: field 'content' is required unless the turn has 'tool_calls_from'")
    return MessageTurn(role, stream, content, target, data.get("if_present"), data.get("tool_calls_from"))


def _content(data: object, where: str) -> str | tuple[ImageBlock | TextBlock, ...] | None:
    if data is None or isinstance(data, str):
        return data
    if not isinstance(data, list) or not data:
        raise RecipeError(f"{where}: field 'content' must be a string or a list of blocks, got {data!r}")
    blocks: list[ImageBlock | TextBlock] = []
    for j, block in enumerate(data):
        at = f"{where}: content[{j}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "image":
            _check_keys(block, {"type", "feature"}, at)
            feature = block.get("feature")
            if not isinstance(feature, str) or not feature.startswith("observation.images."):
                raise RecipeError(f"{at}: an image block needs 'feature: observation.images.<camera>', got {feature!r}")
            blocks.append(ImageBlock(feature))
        elif kind == "text":
            _check_keys(block, {"type", "text"}, at)
            if not isinstance(block.get("text"), str):
                raise RecipeError(f"{at}: a text block needs 'text: <string>'")
            blocks.append(TextBlock(block["text"]))
        else:
            raise RecipeError(
                f"{at}: a block must be {{type: image, feature: ...}} or {{type: text, text: ...}}, got {block!r}")
    return tuple(blocks)


def _check_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise RecipeError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")
