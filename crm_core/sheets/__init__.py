"""Spreadsheets in and out: files, cells, the columns Langgan knows, and importing
customers and orders."""
