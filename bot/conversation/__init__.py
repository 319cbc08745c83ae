"""The conversation engine: one path for every incoming message, whatever the channel."""

from bot.conversation.engine import Engine

__all__ = ["Engine"]
