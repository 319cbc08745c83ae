"""Campaigns the shop never has to remember: nurture, win-back, loyalty and unfinished-order
reminders. The scheduler decides whom to message with which template and puts the
message in the outbox; it never talks to a channel itself."""
