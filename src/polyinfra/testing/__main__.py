"""``python -m polyinfra.testing``: the same local emulator as ``python -m polyinfra.emulator``."""

import sys

from polyinfra.emulator.server import main

sys.exit(main())
