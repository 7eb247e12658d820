"""Training recipes: YAML that turns a frame's language annotations into supervised chat samples.

See docs/recipes.md for the format. ``load_recipe(path).render(frame, sample_index)`` gives a
``RenderedSample`` (or None); ``lerobot_ros.policies.chat.ChatTokenizer`` turns it into tokens.
"""

from .frame import FrameLanguage
from .loader import load_recipe, recipe_from_dict, shipped_recipe_path
from .recipe import Recipe
from .render import RenderedSample
from .resolvers import (
    DEFAULT_BINDINGS,
    EMITTED_AT_TOLERANCE_S,
    AmbiguousBindingError,
    Binding,
    parse_binding,
)
from .schema import MessageTurn, RecipeComponent, RecipeError

__all__ = [
    "DEFAULT_BINDINGS",
    "EMITTED_AT_TOLERANCE_S",
    "AmbiguousBindingError",
    "Binding",
    "FrameLanguage",
    "MessageTurn",
    "Recipe",
    "RecipeComponent",
    "RecipeError",
    "RenderedSample",
    "load_recipe",
    "parse_binding",
    "recipe_from_dict",
    "shipped_recipe_path",
]
