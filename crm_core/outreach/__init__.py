"""Messages in and out: the one gate for messages the shop starts, the outbox, and the log
of every message."""
