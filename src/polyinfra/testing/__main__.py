"""``python -m polyinfra.testing``: run the fake Cloud Run Admin API as a local emulator."""

import sys

from polyinfra.testing.fake_cloud_run import main

sys.exit(main())
