"""ament_python build of lerobot_ros (also installable with pip for development)."""

import os

from setuptools import find_packages, setup

PACKAGE = "lerobot_ros"


def share_tree(folder: str) -> list[tuple[str, list[str]]]:
    """Install every file under ``folder``, subfolders included, at share/<package>/<same path>."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        paths = sorted(os.path.join(root, f) for f in files if not f.endswith((".pyc", "~")))
        if paths:
            entries.append((f"share/{PACKAGE}/{root}", paths))
    return entries


setup(
    name=PACKAGE,
    version="0.1.0",
    package_dir={"": "src"},
    packages=find_packages("src"),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        *share_tree("launch"),
        *share_tree("config"),
        *share_tree("urdf"),
    ],
    install_requires=[
        "setuptools",
        "numpy",
        "pyserial",
        "pyyaml",
        "feetech-servo-sdk>=1,<2",
        "dynamixel-sdk>=3.7.31,<3.9",
        "opencv-python-headless",
        "pyarrow>=15",
        "av>=14",
        "matplotlib>=3.5",  # lerobot-ros dataset plot
        "huggingface_hub>=0.20",  # lerobot-ros dataset push/pull
        "tqdm",
        "rosbags",  # lerobot-ros convert: rosbag2 (sqlite3, MCAP) without a ROS install
        "mcap",  # lerobot-ros convert --recover-truncated: reading an MCAP cut short
    ],
    # gamepad_node reads pads through pygame's bundled SDL (ROS installs: rosdep's python3-pygame).
    extras_require={
        "gamepad": ["pygame>=2.1"],
        "policy": ["torch", "transformers>=5,<6", "tokenizers", "safetensors"],
        # LeRobot's own policies, robots and teleoperators behind our nodes (Python >= 3.12); its smolvla
        # extra holds transformers below 5.6, as LeRobot's SmolVLA needs (requirements/lerobot.txt)
        "lerobot": ["lerobot[dataset,training,feetech,dynamixel,diffusion,smolvla]==0.6.1"],
        # sim://<robot>?world=<task>, camera_node source:=mujoco, lerobot-ros eval
        "physics": ["mujoco>=3.2"],
        "test": ["pytest", "pytest-timeout", "pygame>=2.1"]},
    zip_safe=True,
    maintainer="lerobot_ros maintainers",
    maintainer_email="maintainers@lerobot-ros.dev",
    description="LeRobot for ROS 2: drivers, simulators, recording and the SmolVLA2 policy.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "robot_node = lerobot_ros.nodes.robot_node:main",
            "camera_node = lerobot_ros.nodes.camera_node:main",
            "gamepad_node = lerobot_ros.nodes.gamepad_node:main",
            "keyboard_node = lerobot_ros.nodes.keyboard_node:main",
            "teleop_node = lerobot_ros.nodes.teleop_node:main",
            "recorder_node = lerobot_ros.nodes.recorder_node:main",
            "policy_node = lerobot_ros.nodes.policy_node:main",
            "say_node = lerobot_ros.nodes.say_node:main",
            "lerobot-ros = lerobot_ros.cli.main:main",
        ],
    },
)
