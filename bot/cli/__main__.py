"""``python -m bot.cli``: the ``langgan`` command."""

import sys

from bot.cli.main import main

sys.exit(main())
