"""WeCom (企业微信) group robots as a channel: the transport (transport.py), its markdown layout
(_wecom.j2, extending the robots' shared one), its fake and tests (tests/)."""

from pathlib import Path

from scheduler.channels.base import Rate
from scheduler.channels.registry import ChannelSpec, register
from scheduler.channels.robot.base import FOLDER, reserve
from scheduler.channels.wecom.transport import MAX_BYTES, NAME, WeComChannel, slots
from scheduler.messages.render import Layout

register(ChannelSpec(
    name=NAME, address=NAME, priority=40, per_address=True, rates=(Rate(20, 60),), slots=slots,
    layout=Layout(NAME, "_wecom.j2", max_bytes=MAX_BYTES - reserve(), folders=(Path(__file__).parent, FOLDER)),
    build=WeComChannel))
