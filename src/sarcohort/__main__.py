"""``python -m sarcohort``: the same command line as the ``sarcohort`` script."""

from sarcohort.cli import main

if __name__ == "__main__":
    main()
