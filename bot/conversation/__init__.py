"""The conversation engine (``engine.Engine``): one path for every incoming message,
whatever the channel. Nothing is imported here: importing any of the package's modules
runs this file first, and an engine imported here was on the path of every one of
them (an import circle through the agents' commands)."""
