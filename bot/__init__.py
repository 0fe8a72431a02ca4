"""The Telegram side of Duban: the channel the dispatcher sends through, and the bot people answer."""
