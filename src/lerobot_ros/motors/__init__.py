"""Servo buses: control tables, value encodings, Feetech and Dynamixel buses, calibration."""
