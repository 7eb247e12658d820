"""Speech output for the policy's ``say`` (espeak-ng), independent of ROS."""
