"""``make demo``: the whole pipeline on the simulated SO-101's physics twin, in one process, in a few minutes.

Record a few live-annotated demonstrations of the pick-and-place task (the scripted expert turns a
simulated leader arm, teleop_node drives the follower on the MuJoCo world, camera_node renders it,
recorder_node writes the dataset), train a tiny SmolVLA2 on them, and score it in closed loop on
seeded scenes, as ``lerobot-ros eval`` does. Modules: ``settings`` (sizes, presets, output folder,
node parameters), ``pipeline`` (the stages on one executor), ``narration`` (the annotator's
question and interjection), ``people`` (the annotator and the policy's listener nodes), ``report``
(the closing summary). Run ``python -m lerobot_ros.demo --help``.
"""
