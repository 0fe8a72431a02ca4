"""`python -m duban` runs the duban command."""

from duban.cli.main import main

main()
