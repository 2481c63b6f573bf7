"""`python -m mlimpact.cli`: the CLI, as before it became a package."""

from mlimpact.cli import main

raise SystemExit(main())
