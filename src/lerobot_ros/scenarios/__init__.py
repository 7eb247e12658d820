"""Scenarios for demos, tests and benchmarks: a task of the simulated SO-101 in poses, language cues and
a scripted hand on the leader arm. Above training (they write datasets) and beside the demo."""
