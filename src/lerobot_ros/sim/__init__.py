"""The simulated world around a simulated robot: what its cameras see (``camera``).

The servos themselves are simulated a layer lower, at the wire protocol (:mod:`lerobot_ros.servo_sim`).
"""
