"""`python -m duban` runs the duban command."""

from duban.cli import main

main()
