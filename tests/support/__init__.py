"""What the tests share besides fixtures: the customer typing to the engine (``chat``),
the stores' set-up (``stores``), the sample catalogs and shops, the fake clock senders
keep their pace on, WhatsApp's channel and signed posts, and ``langgan`` run as a shop
runs it. Test files import these; ``tests/conftest.py`` builds its fixtures on them."""
