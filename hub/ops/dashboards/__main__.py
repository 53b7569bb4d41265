"""`python -m hub.ops.dashboards [--check]`: write (or verify) the dashboards and alert rules."""

import sys

from hub.ops.dashboards import main

raise SystemExit(main(sys.argv[1:]))
