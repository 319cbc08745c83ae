"""``langgan``, the command line: ``main`` parses the command and routes it; one module
per group of commands (backup, keys, privacy, report, sheets, shop, staff), and the words
of it all in the shop's language (``language``)."""
