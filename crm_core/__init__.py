"""Langgan's business: customers, orders, the catalog and the rules, free of any channel."""
