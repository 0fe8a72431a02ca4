"""Duban's signed webhook as a channel, for any receiver that takes JSON: the transport and its
protocol (transport.py), its text layout (_webhook.j2, the robots' shared one), its fake
receiver and tests (tests/). No rate of its own: a receiver that wants one answers 429."""

from pathlib import Path

from scheduler.channels.registry import ChannelSpec, register
from scheduler.channels.robot.base import FOLDER, RobotChannel, reserve
from scheduler.channels.webhook.transport import MAX_BYTES, NAME, Webhook
from scheduler.messages.render import Layout

register(ChannelSpec(
    name=NAME, address=NAME, priority=40, per_address=True,
    layout=Layout(NAME, "_webhook.j2", max_bytes=MAX_BYTES - reserve(), folders=(Path(__file__).parent, FOLDER)),
    build=lambda settings: RobotChannel(Webhook(), settings)))
