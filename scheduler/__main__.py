"""`python -m scheduler` runs the duban command."""

from scheduler.cli import main

main()
