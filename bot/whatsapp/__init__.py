"""WhatsApp through Twilio: signed webhooks in, the REST API out, the 24-hour window."""
