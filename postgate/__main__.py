"""``python -m postgate`` runs the command line."""

from postgate.cli import main

main()
