"""``python -m polyinfra.emulator``: run the local Cloud Run Admin API emulator."""

import sys

from polyinfra.emulator.server import main

sys.exit(main())
