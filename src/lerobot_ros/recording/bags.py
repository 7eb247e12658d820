"""Reading rosbag2 bags (sqlite3 and MCAP) without ROS, through ``rosbags``.

A bag is a rosbag2 folder (``metadata.yaml`` plus its storage files) or a bare ``.mcap`` file.
Messages are deserialized with a typestore built once per bag from three sources, later ones
winning: the ROS distro's standard types (``--distro``, default Jazzy), ``.msg`` files the user
gives for custom types, and the definitions the bag carries itself (MCAP schemas, rosbag2 >= Iron
``message_definitions``), so a bag recorded on another distro decodes with its own definitions.

Every failure is a ``BagError`` naming the bag and the fix: a missing or unreadable bag, a topic
of a type nothing defines, a file that is no MCAP at all (empty, random bytes), a truncated MCAP.
A truncated MCAP (a recorder killed mid-write has no footer) is refused unless ``recover_truncated``
is set; then the bag's MCAP files are read from their start up to the cut (``mcap``'s stream
reader) and the messages of a chunk the cut went through are lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rosbags.highlevel import AnyReader, AnyReaderError
from rosbags.interfaces import MessageDefinitionFormat, Nodetype
from rosbags.typesys import Stores, TypesysError, get_typestore, get_types_from_idl, get_types_from_msg
from rosbags.typesys.store import Typestore

DISTROS = {"humble": Stores.ROS2_HUMBLE, "iron": Stores.ROS2_IRON, "jazzy": Stores.ROS2_JAZZY,
           "kilted": Stores.ROS2_KILTED}
DEFAULT_DISTRO = "jazzy"
MCAP_MAGIC = b"\x89MCAP0\r\n"
_IDL_SEPARATOR = "=" * 80 + "\n"


class BagError(ValueError):
    """A bag cannot be converted; the message names the bag, the problem and the fix."""


@dataclass(frozen=True)
class BagSource:
    """Everything needed to open a bag, in any process (workers reopen bags by this)."""

    path: Path
    distro: str = DEFAULT_DISTRO
    msg_files: tuple[Path, ...] = ()
    recover_truncated: bool = False

    def open(self) -> OpenBag:
        return OpenBag(self)


@dataclass(frozen=True)
class _Connection:
    topic: str
    msgtype: str
    msgdef: str  # the bag's own definition ("" when it has none)
    idl: bool = False


def custom_types(msg_files: Iterable[Path]) -> dict:
    """Type definitions from ``.msg`` files laid out as ``<package>/msg/<Name>.msg``."""
    types: dict = {}
    for path in msg_files:
        path = Path(path)
        if path.suffix != ".msg" or path.parent.name != "msg":
            raise BagError(f"{path}: give custom message definitions as <package>/msg/<Name>.msg files")
        name = f"{path.parent.parent.name}/msg/{path.stem}"
        try:
            types.update(get_types_from_msg(path.read_text(encoding="utf-8"), name))
        except (OSError, ValueError, TypesysError) as err:
            raise BagError(f"{path}: cannot read the definition of {name}: {err}") from None
    return types


class OpenBag:
    """An open bag: its topics (``{topic: type}``), time span and deserialized messages."""

    def __init__(self, source: BagSource):
        self.source = source
        self.path = Path(source.path)
        if not self.path.exists():
            raise BagError(f"bag {self.path} does not exist")
        if source.distro not in DISTROS:
            raise BagError(f"unknown ROS distro {source.distro!r}; use one of {sorted(DISTROS)}")
        self.truncated = _is_truncated_mcap(self.path)
        if self.truncated and not source.recover_truncated:
            raise BagError(
                f"bag {self.path}: the MCAP file is truncated (no footer: the recorder was probably killed "
                "while writing); pass --recover-truncated to convert the messages before the cut")
        with _parsing(self.path):
            self._raw = _TruncatedMcap(_mcap_files(self.path)) if self.truncated else _RosbagsReader(self.path)
        self.topics = {c.topic: c.msgtype for c in self._raw.connections}
        try:
            with _parsing(self.path):
                self.typestore = self._typestore()
        except BaseException:
            self._raw.close()
            raise

    @property
    def start_ns(self) -> int:
        return self._raw.start_ns

    @property
    def end_ns(self) -> int:
        """One past the last message's log time."""
        return self._raw.end_ns

    def messages(self, topics: Sequence[str], start_ns: int | None = None,
                 stop_ns: int | None = None) -> Iterator[tuple[str, int, object]]:
        """``(topic, log time ns, message)`` in log-time order for ``topics`` in [start_ns, stop_ns)."""
        for topic in topics:
            self.require_known_type(topic)
        with _parsing(self.path):
            for topic, log_ns, raw in self._raw.messages(set(topics), start_ns, stop_ns):
                try:
                    message = self.typestore.deserialize_cdr(raw, self.topics[topic])
                except Exception as err:  # corrupt CDR raises ValueError, IndexError, struct.error, SerdeError...
                    raise BagError(f"bag {self.path}: a {self.topics[topic]} message on {topic} at "
                                   f"{log_ns} ns cannot be decoded ({err}); the bag is corrupt") from None
                yield topic, log_ns, message

    def require_topic(self, topic: str, what: str) -> str:
        """The topic's message type, or a BagError listing the bag's topics."""
        if topic not in self.topics:
            raise BagError(f"bag {self.path} has no topic {topic} ({what}); its topics: {sorted(self.topics)}")
        return self.topics[topic]

    def require_known_type(self, topic: str) -> None:
        msgtype = self.topics[topic]
        if msgtype not in self.typestore.fielddefs:
            raise BagError(
                f"bag {self.path}: topic {topic} has message type {msgtype}, which the bag does not define "
                f"and ROS {self.source.distro} does not know; give its definition with --msg "
                f"<package>/msg/<Name>.msg (or pick the bag's --distro)")

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> OpenBag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _typestore(self) -> Typestore:
        """Only the bag's types and what they reference are registered: building classes for every
        type of a distro costs seconds, and each worker opens its bag again."""
        types = dict(get_typestore(DISTROS[self.source.distro]).fielddefs)
        types.update(custom_types(self.source.msg_files))
        for connection in self._raw.connections:
            if connection.msgdef:
                types.update(_bag_definition(connection))
        store = get_typestore(Stores.EMPTY)
        store.register(_closure(types, {c.msgtype for c in self._raw.connections}))
        return store


@contextmanager
def _parsing(path: Path) -> Iterator[None]:
    """Whatever rosbags and mcap raise on damaged bytes, as a BagError naming the bag.

    Measured on random bytes behind the MCAP magic and on byte flips in a real MCAP: ReaderError,
    ZstdError, UnicodeDecodeError, KeyError, struct.error, OverflowError, OSError, TypesysError,
    SerdeError, a MemoryError for a garbage record length, even SyntaxError (a garbage type name
    compiled by rosbags). None of them is the user's bug to read as a traceback.
    """
    try:
        yield
    except BagError:
        raise
    except Exception as err:
        detail = " ".join(str(err).split())[:160]
        raise BagError(f"bag {path} cannot be read ({type(err).__name__}: {detail}); the file is damaged: "
                       "record it again, or pass --recover-truncated when only its end is lost") from None


def _closure(types: dict, roots: set[str]) -> dict:
    """The definitions of ``roots`` and of every type they reference (those ``types`` knows)."""
    needed: dict = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in needed or name not in types:
            continue
        needed[name] = types[name]
        for _, (kind, detail) in types[name][1]:
            if kind == Nodetype.NAME:
                pending.append(detail)
            elif kind in (Nodetype.ARRAY, Nodetype.SEQUENCE) and detail[0][0] == Nodetype.NAME:
                pending.append(detail[0][1])
    return needed


def _bag_definition(connection: _Connection) -> dict:
    if not connection.idl:
        return get_types_from_msg(connection.msgdef, connection.msgtype)
    if connection.msgdef.startswith(f"{_IDL_SEPARATOR}IDL: "):
        types: dict = {}
        for block in connection.msgdef.split(_IDL_SEPARATOR)[1:]:
            types.update(get_types_from_idl(block.split("\n", 1)[1]))
        return types
    return get_types_from_idl(connection.msgdef)


def _mcap_files(path: Path) -> list[Path]:
    """A bare .mcap file, or the MCAP files of a rosbag2 folder (a split bag has several)."""
    if path.is_file():
        return [path] if path.suffix == ".mcap" else []
    return sorted(path.glob("*.mcap"))


def _is_truncated_mcap(path: Path) -> bool:
    """True when one of a bag's MCAP files does not end with the MCAP magic.

    A file that does not start with the magic (an empty file, another format, random bytes) is no
    MCAP at all, and a BagError says so: calling it truncated would send the user looking for a
    killed recorder. A file cut inside its leading magic is truncated (nothing readable before the cut).
    """
    for file in _mcap_files(path):
        with file.open("rb") as stream:
            head = stream.read(len(MCAP_MAGIC))
            size = stream.seek(0, 2)
            if size == 0:
                raise BagError(f"bag {file} is empty (0 bytes), not an MCAP file: nothing was recorded into it; "
                               "give a bag that ros2 bag record finished writing")
            if not MCAP_MAGIC.startswith(head):
                raise BagError(f"bag {file} is not an MCAP file (it does not start with the MCAP magic bytes "
                               f"{MCAP_MAGIC!r}); give a rosbag2 folder or a .mcap file written by ros2 bag record")
            stream.seek(max(0, size - len(MCAP_MAGIC)))
            if size < 2 * len(MCAP_MAGIC) or stream.read() != MCAP_MAGIC:
                return True
    return False


class _RosbagsReader:
    """A complete bag through rosbags' AnyReader (messages in log-time order)."""

    def __init__(self, path: Path):
        try:
            self._reader = AnyReader([path], default_typestore=get_typestore(Stores.EMPTY))
            self._reader.open()
        except (AnyReaderError, OSError, sqlite3.DatabaseError) as err:  # not a bag (others: _parsing)
            raise BagError(f"bag {path} cannot be read: {err}; is it a rosbag2 folder or .mcap file?") from None
        self.path = path
        self.connections = [
            _Connection(c.topic, c.msgtype,
                        c.msgdef.data if c.msgdef.format != MessageDefinitionFormat.NONE else "",
                        c.msgdef.format == MessageDefinitionFormat.IDL)
            for c in self._reader.connections]
        self.start_ns, self.end_ns = self._reader.start_time, self._reader.end_time

    def messages(self, topics: set[str], start_ns: int | None, stop_ns: int | None):
        connections = [c for c in self._reader.connections if c.topic in topics]
        if not connections:
            return
        try:
            for connection, log_ns, raw in self._reader.messages(connections, start=start_ns, stop=stop_ns):
                yield connection.topic, log_ns, raw
        except (AnyReaderError, sqlite3.DatabaseError) as err:
            raise BagError(f"bag {self.path}: reading failed: {err}; the bag is damaged") from None

    def close(self) -> None:
        self._reader.close()


@dataclass
class _TruncatedMcap:
    """The readable records of a bag's MCAP files, one of them cut short, sorted by log time.

    Each file is read once from its start (``mcap``'s stream reader, which needs no footer or
    index): schemas and channels to learn the topics, messages kept raw, until the file ends or
    its cut. Holding the messages in memory is the price of a file without an index.
    """

    files: list[Path]
    connections: list[_Connection] = field(default_factory=list)
    _messages: list[tuple[int, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from mcap.records import Channel, Message, Schema
        from mcap.stream_reader import StreamReader

        schemas, channels = {}, {}
        for file in self.files:
            file_channels = {}  # ids are per file
            with file.open("rb") as stream:
                try:
                    for record in StreamReader(stream, skip_magic=False).records:
                        if isinstance(record, Schema):
                            schemas[(file, record.id)] = record
                        elif isinstance(record, Channel):
                            file_channels[record.id] = channels[(file, record.id)] = record
                        elif isinstance(record, Message) and record.channel_id in file_channels:
                            self._messages.append(
                                (record.log_time, file_channels[record.channel_id].topic, record.data))
                except Exception:  # noqa: BLE001 - the cut (McapError, EOFError, ...): everything before it is kept
                    pass
        self._messages.sort(key=lambda m: m[0])
        seen = set()
        for (file, _), channel in channels.items():
            if channel.topic in seen:
                continue
            seen.add(channel.topic)
            schema = schemas.get((file, channel.schema_id))
            if schema is not None:
                self.connections.append(_Connection(
                    channel.topic, schema.name, schema.data.decode("utf-8"), schema.encoding == "ros2idl"))
        times = [m[0] for m in self._messages]
        self.start_ns = min(times) if times else 0
        self.end_ns = max(times) + 1 if times else 0

    def messages(self, topics: set[str], start_ns: int | None, stop_ns: int | None):
        for log_ns, topic, raw in self._messages:
            if topic in topics and (start_ns is None or log_ns >= start_ns) and (stop_ns is None or log_ns < stop_ns):
                yield topic, log_ns, raw

    def close(self) -> None:
        self._messages.clear()
