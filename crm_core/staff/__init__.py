"""The shop's people: agents, what they do to records (each in the audit log), their
reminders, and hand-offs from the bot to them."""
