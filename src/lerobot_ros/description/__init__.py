"""Robot descriptions: the URDFs in urdf/, generated from kinematics given as data."""
