"""The channels Duban knows, each declared once where it is defined: its name, the contact address
it uses, how its messages are laid out and how long they may be, how fast it may send, how it
reads its provider's errors, and how it is built from the settings.

The dispatcher, the renderer, the settings and the CLI ask this registry and name no channel.
A channel module calls `register(ChannelSpec(...))` when imported; the composition root
(duban/wiring.py) imports the adapters; the core's own channels (console, email) register when
the package scheduler.channels is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.channels.base import Channel, Limits, Rate, Recipient, TransportError
from scheduler.messages.render import LAYOUTS, Context, Layout

Settings = Any  # scheduler.settings.Settings, which checks DUBAN_CHANNELS against this registry



@dataclass(frozen=True)
class ChannelSpec:
    """What the rest of Duban needs to know about one channel.

    `address`: the kind of contact address it sends to (a ContactAddress.channel), None when it
    reaches every contact by name (the console), which makes it the last resort and never a
    fallback. `priority`: lower is preferred when a contact has several addresses. `layout`: a
    built-in layout's name ("email", "chat") or the channel's own Layout. `read_error` turns an
    exception its provider raised into a TransportError (permanent, temporary with retry_after,
    channel_down, or `disable`: that address is gone), None when it does not know it. `headers`
    adds message headers from the rendering context (List-Unsubscribe). `build` makes the channel
    from the settings, None when they do not configure it. `rates`: how fast one recipient may be
    sent to, held for the whole deployment (a group robot's documented rate); what would exceed
    it waits for the next free moment and goes out merged with what fell due meanwhile.
    `per_address`: each address carries its own endpoint (a robot's webhook), so the channel runs
    whenever such an address exists, with no settings of its own.
    """

    name: str
    address: str | None
    priority: int
    build: Callable[[Settings], Channel | None]
    layout: str | Layout = "email"
    limits: Limits = field(default_factory=Limits)  # the default rate; a built channel may carry its own
    read_error: Callable[[BaseException, Recipient], TransportError | None] | None = None
    headers: Callable[[Context], Mapping[str, str]] | None = None
    opt_out: bool = False  # an unsubscribe link stops this channel's messages
    rates: tuple[Rate, ...] = ()
    per_address: bool = False
    # How many of the recipient's rate slots one message takes; None: one.
    slots: Callable[[Recipient], int] | None = None

    @property
    def message_layout(self) -> Layout:
        return LAYOUTS[self.layout] if isinstance(self.layout, str) else self.layout


_SPECS: dict[str, ChannelSpec] = {}


def register(spec: ChannelSpec) -> ChannelSpec:
    """Declare a channel (again: the new declaration replaces the old, e.g. on a reload)."""
    if spec.layout not in LAYOUTS and not isinstance(spec.layout, Layout):
        raise ValueError(f"channel {spec.name}: unknown layout {spec.layout!r}; expected one of "
                         f"{', '.join(LAYOUTS)} or a Layout")
    _SPECS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    _SPECS.pop(name, None)


def specs() -> list[ChannelSpec]:
    """Every registered channel, preferred first."""
    return sorted(_SPECS.values(), key=lambda s: (s.priority, s.name))


def spec(name: str) -> ChannelSpec:
    try:
        return _SPECS[name]
    except KeyError:
        raise ValueError(unknown(name)) from None


def names() -> list[str]:
    return [s.name for s in specs()]


def unknown(name: str) -> str:
    return (f"未知渠道 {name!r}，可用渠道：{', '.join(names())} / unknown channel {name!r}: "
            f"the known channels are {', '.join(names())}")


def check(wanted: list[str]) -> list[str]:
    """`wanted` (DUBAN_CHANNELS) when every name is a registered channel, else ValueError saying which."""
    for name in wanted:
        if name not in names():
            raise ValueError(unknown(name))
    return wanted


def address_kinds() -> list[str]:
    """The contact address kinds the channels use, preferred first (each once)."""
    return list(dict.fromkeys(s.address for s in specs() if s.address is not None))


def build(settings: Settings, wanted: list[str] | None, built: dict[str, Channel] | None = None,
          ) -> dict[str, Channel]:
    """The channels to run: those `wanted` (all that are configured when None), the `built` ones
    as they are, and the per-address ones (robots: binding one configures it); a channel that
    reaches people by name (the console) only when wanted, or when nothing else is configured."""
    found = {name: c for name, c in (built or {}).items() if wanted is None or name in wanted}
    for s in specs():
        if s.name in found or s.per_address or (
                s.name not in wanted if wanted is not None else s.address is None):
            continue
        if (channel := s.build(settings)) is not None:
            found[s.name] = channel
    if wanted is None and not found:
        found = {s.name: c for s in specs() if s.address is None and (c := s.build(settings)) is not None}
    return found | {s.name: c for s in specs() if s.per_address and s.name not in found
                    and (c := s.build(settings)) is not None}
