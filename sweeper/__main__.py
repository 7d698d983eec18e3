"""``python -m sweeper`` runs the command-line interface."""
from sweeper.cli import main

raise SystemExit(main())
