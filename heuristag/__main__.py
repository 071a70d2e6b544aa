"""`python -m heuristag` is the same CLI as `heuristag`."""

import sys

from .cli import main

sys.exit(main())
