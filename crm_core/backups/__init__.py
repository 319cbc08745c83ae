"""Backups that restore, and the daily one with its rotation."""
