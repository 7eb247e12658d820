"""Teleoperation: a leader arm read by hand, a follower arm that mirrors it (no rclpy here)."""
