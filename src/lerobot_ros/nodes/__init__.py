"""Thin rclpy adapters over the core: parameters, publishers, subscriptions and calls into it."""
