"""``python -m gmmlab.cli``: the ``gmmlab`` command."""

import sys

from . import main

sys.exit(main())
