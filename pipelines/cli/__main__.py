"""`python -m pipelines.cli` is `bgfunds`."""

import sys

from pipelines.cli import main

sys.exit(main())
