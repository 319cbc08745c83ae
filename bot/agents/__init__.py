"""The agents' side of the bot: slash commands from the shop's staff, answered in their
own chat. Recognised by Telegram id or WhatsApp number; anyone else gets the customer's
answer to an unknown word and learns nothing."""
