"""``make demo``: the whole pipeline on a simulated SO-101, in one process, in a few minutes.

Record a few teleoperated, live-annotated episodes (a scripted hand moves a simulated leader arm,
teleop_node drives the simulated follower, camera_node renders it, recorder_node writes the
dataset), train a tiny SmolVLA2 on them, and let policy_node drive the arm with it. Modules:
``settings`` (sizes, output folder, DDS environment, node parameters), ``pipeline`` (the stages on
one executor), ``people`` (the annotator and operator nodes), ``report`` (the closing summary).
Run ``python -m lerobot_ros.demo --help``.
"""
