"""Every node's parameters as data (one :class:`~.param.Param` per parameter, a module per node),
importable without rclpy: the nodes declare them, and the docs and parameter-file checks read them
with no ROS install. A parameter is read_only unless its node applies a change while running."""
