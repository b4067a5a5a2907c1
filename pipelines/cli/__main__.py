"""`python -m pipelines.cli`: the same entry point as the `bgfunds` command."""

import sys

from pipelines.cli import main

sys.exit(main())
