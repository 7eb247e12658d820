"""Closed-loop evaluation on the physics twin: episodes over the real ROS graph, scored by the simulator.

``metrics`` (plain numpy: Wilson interval, time to success, path length and jerk), ``bench`` (the
composed graph and the people at it: the scripted expert on the leader arm, or policy_node),
``report`` (MP4 per episode, summary plot, JSON); ``lerobot-ros eval`` (cli/eval.py) runs them.
"""
