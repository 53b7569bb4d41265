"""`python -m hub` is the `hub` command."""

from hub.ops.cli.main import main

raise SystemExit(main())
