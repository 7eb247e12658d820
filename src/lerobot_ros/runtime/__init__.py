"""The hierarchical SmolVLA2 runtime, independent of ROS (docs/policy.md).

A control loop at the control rate dispatches blended action chunks; a worker thread runs the
model: subtasks, memory, plans and speech after interjections, visual answers, action chunks.
``nodes/policy_node.py`` wires it to topics.
"""
