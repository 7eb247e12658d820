"""A loaded recipe: one component, or a weighted blend chosen deterministically per sample."""

from __future__ import annotations

from dataclasses import dataclass

from .frame import FrameLanguage
from .render import RenderedSample, blend_draw, render_component
from .schema import RecipeComponent


@dataclass(frozen=True)
class Recipe:
    name: str
    components: tuple[RecipeComponent, ...]
    source: str = "<dict>"

    def component(self, name: str) -> RecipeComponent:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(f"recipe {self.name!r} ({self.source}) has no component {name!r}; "
                       f"it has {[c.name for c in self.components]}")

    def choose(self, sample_index: int) -> RecipeComponent:
        """The weighted draw for ``sample_index`` over all components (before VQA routing)."""
        return _weighted(self.components, blend_draw(sample_index))

    def render(self, frame: FrameLanguage, sample_index: int) -> RenderedSample | None:
        """Render the sample, or None when the chosen component supervises nothing at this frame.

        ``route: vqa`` components go first: when the frame carries a VQA annotation one of them
        renders (the frame's question and answer for that camera), the draw is made among those
        components only, so the rare VQA frames are never spent on another component. Otherwise
        the draw is made over all components; a component whose guards fail at this frame
        (say, memory_update away from a memory change) gives None and the loader takes another
        sample.
        """
        draw = blend_draw(sample_index)
        routed = []
        for component in self.components:
            if component.route == "vqa":
                sample = render_component(component, frame, sample_index, self.name)
                if sample is not None:
                    routed.append((component, sample))
        if routed:
            chosen = _weighted([c for c, _ in routed], draw)
            return next(s for c, s in routed if c is chosen)
        return render_component(_weighted(self.components, draw), frame, sample_index, self.name)


def _weighted(components, draw: float) -> RecipeComponent:
    """The component where ``draw`` (in [0, 1)) falls on the cumulative weights, as LeRobot does."""
    point = draw * sum(c.weight for c in components)
    cumulative = 0.0
    for component in components:
        cumulative += component.weight
        if point < cumulative:
            return component
    return components[-1]  # point within rounding of the total
