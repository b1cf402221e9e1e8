"""``python -m gmmlab``: the same as the ``gmmlab`` command."""

import sys

from gmmlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
