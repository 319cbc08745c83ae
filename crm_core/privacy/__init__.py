"""The customer's rights and their data's safety: consent, access, erasure, retention,
requests made in chat, and encryption at rest."""
