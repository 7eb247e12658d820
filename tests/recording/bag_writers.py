"""Bags for the converter tests, written by writers independent of our reader.

A bag is described as a list of ``Msg(topic, msgtype, log_ns, fields)`` with plain-dict fields
(missing fields take their ROS defaults). ``write_rosbags`` writes it with the ``rosbags`` writer
(sqlite3 or MCAP storage, type definitions included as rosbag2 does); ``write_mcap_ros2`` with
Foxglove's ``mcap`` + ``mcap-ros2-support`` writer (a bare .mcap file with ros2msg schemas). Messages
are written in list order, so a test can write log times out of order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from rosbags.interfaces import Nodetype
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

TYPESTORE = get_typestore(Stores.ROS2_JAZZY)
_NUMPY = {"float64": np.float64, "float32": np.float32, "uint8": np.uint8, "int8": np.int8,
          "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64,
          "int16": np.int16, "uint16": np.uint16}


@dataclass(frozen=True)
class Msg:
    topic: str
    msgtype: str
    log_ns: int
    fields: dict = field(default_factory=dict)


def _complete(msgtype: str, value: dict, store=TYPESTORE) -> dict:
    """``value`` with every field of ``msgtype`` present (defaults: zeros, "", empty sequences)."""
    _, fields = store.fielddefs[msgtype]
    out = {}
    for name, (kind, detail) in fields:
        given = value.get(name)
        if kind == Nodetype.NAME:
            out[name] = _complete(detail, given or {}, store)
        elif kind == Nodetype.BASE:
            out[name] = given if given is not None else ("" if detail[0] == "string" else 0)
        else:
            (sub_kind, sub_detail), length = detail
            items = list(given) if given is not None else []
            if sub_kind == Nodetype.NAME:
                items = [_complete(sub_detail, item, store) for item in items]
            out[name] = items
    return out


def _to_rosbags(msgtype: str, value: dict, store=TYPESTORE):
    _, fields = store.fielddefs[msgtype]
    kwargs = {}
    for name, (kind, detail) in fields:
        item = value[name]
        if kind == Nodetype.NAME:
            kwargs[name] = _to_rosbags(detail, item, store)
        elif kind == Nodetype.BASE:
            kwargs[name] = item
        else:
            (sub_kind, sub_detail), _ = detail
            if sub_kind == Nodetype.NAME:
                kwargs[name] = [_to_rosbags(sub_detail, v, store) for v in item]
            elif sub_detail[0] in _NUMPY:
                kwargs[name] = np.asarray(item, dtype=_NUMPY[sub_detail[0]])
            else:
                kwargs[name] = list(item)
    return store.types[msgtype](**kwargs)


def write_rosbags(path: Path, messages: list[Msg], storage: str = "sqlite3", store=TYPESTORE,
                  silent_topics: dict[str, str] | None = None, undefined_types: tuple[str, ...] = ()) -> Path:
    """``silent_topics`` ({topic: type}) are declared without messages; ``undefined_types`` lose
    their stored definitions (sqlite3 only), as in bags recorded before rosbag2 stored them."""
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    with Writer(path, version=9, storage_plugin=plugin) as writer:
        connections = {topic: writer.add_connection(topic, msgtype, typestore=store)
                       for topic, msgtype in (silent_topics or {}).items()}
        for msg in messages:
            if msg.topic not in connections:
                connections[msg.topic] = writer.add_connection(msg.topic, msg.msgtype, typestore=store)
            data = store.serialize_cdr(_to_rosbags(msg.msgtype, _complete(msg.msgtype, msg.fields, store), store),
                                       msg.msgtype)
            writer.write(connections[msg.topic], msg.log_ns, data)
    if undefined_types:
        with sqlite3.connect(next(path.glob("*.db3"))) as db:
            db.executemany("DELETE FROM message_definitions WHERE topic_type = ?", [(t,) for t in undefined_types])
    return path


def write_mcap_ros2(path: Path, messages: list[Msg], store=TYPESTORE, chunk_size: int = 1024 * 1024) -> Path:
    from mcap_ros2.writer import Writer as McapRos2Writer

    with path.open("wb") as stream:
        writer = McapRos2Writer(stream, chunk_size=chunk_size)
        schemas = {}
        for msg in messages:
            if msg.msgtype not in schemas:
                text, _ = store.generate_msgdef(msg.msgtype, ros_version=2)
                schemas[msg.msgtype] = writer.register_msgdef(msg.msgtype, text)
            writer.write_message(msg.topic, schemas[msg.msgtype], _complete(msg.msgtype, msg.fields, store),
                                 log_time=msg.log_ns, publish_time=msg.log_ns)
        writer.finish()
    return path


# -- message builders (plain dicts) -----------------------------------------------------------------

def stamp(ns: int) -> dict:
    return {"stamp": {"sec": ns // 10**9, "nanosec": ns % 10**9}}


def joint_state(topic: str, log_ns: int, names: list[str], positions, header_ns: int | None = None) -> Msg:
    return Msg(topic, "sensor_msgs/msg/JointState", log_ns,
               {"header": stamp(log_ns if header_ns is None else header_ns), "name": names,
                "position": [float(p) for p in positions]})


def joint_trajectory(topic: str, log_ns: int, names: list[str], positions) -> Msg:
    return Msg(topic, "trajectory_msgs/msg/JointTrajectory", log_ns,
               {"header": stamp(0), "joint_names": names, "points": [{"positions": [float(p) for p in positions]}]})


def raw_image(topic: str, log_ns: int, rgb: np.ndarray) -> Msg:
    height, width, _ = rgb.shape
    return Msg(topic, "sensor_msgs/msg/Image", log_ns,
               {"header": stamp(log_ns), "height": height, "width": width, "encoding": "rgb8",
                "step": width * 3, "data": rgb.tobytes()})


def jpeg_image(topic: str, log_ns: int, rgb: np.ndarray) -> Msg:
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return Msg(topic, "sensor_msgs/msg/CompressedImage", log_ns,
               {"header": stamp(log_ns), "format": "rgb8; jpeg compressed bgr8", "data": jpeg.tobytes()})


def float64(topic: str, log_ns: int, value: float) -> Msg:
    return Msg(topic, "std_msgs/msg/Float64", log_ns, {"data": float(value)})


def string(topic: str, log_ns: int, text: str) -> Msg:
    return Msg(topic, "std_msgs/msg/String", log_ns, {"data": text})
