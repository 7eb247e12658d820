"""Robot types as declarative tables, and the robot core that drives one over a motor bus."""
