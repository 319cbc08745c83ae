"""The running service: channels in and out, the conversation engine, the web server and
the ``langgan`` command line."""
