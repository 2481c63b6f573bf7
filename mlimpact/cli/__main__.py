"""`python -m mlimpact.cli`: the same as the `mlimpact` console script."""

import sys

from mlimpact.cli import main

sys.exit(main())
