"""Feishu (飞书) custom robots as a channel: the transport (transport.py), its card text layout
(_feishu.j2, extending the robots' shared one), its fake and tests (tests/)."""

from pathlib import Path

from scheduler.channels.base import Rate
from scheduler.channels.feishu.transport import MAX_BYTES, NAME, Feishu
from scheduler.channels.registry import ChannelSpec, register
from scheduler.channels.robot.base import FOLDER, RobotChannel
from scheduler.messages.render import Layout

register(ChannelSpec(
    name=NAME, address=NAME, priority=40, per_address=True, rates=(Rate(5, 1), Rate(100, 60)),
    layout=Layout(NAME, "_feishu.j2", max_bytes=MAX_BYTES, folders=(Path(__file__).parent, FOLDER)),
    build=lambda settings: RobotChannel(Feishu(), settings)))
