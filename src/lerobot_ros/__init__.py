"""LeRobot for ROS 2: drivers, simulators, recording and the SmolVLA2 policy.

Core logic (``motors``, ``robots``, ``sim``, ``cameras``) is plain Python importable without rclpy;
``nodes`` holds thin rclpy adapters over it.
"""

__version__ = "0.1.0"
