"""What the figures say: the sales analysis, segments, report periods, and the SQL they
share."""
