"""SmolVLA2 and what feeds it: recipes, chat tokenization, FAST action tokens, runtime prompts."""
