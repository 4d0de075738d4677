"""``python -m dsmrparse``: the same as the ``dsmrparse`` command."""

import sys

from .cli import main

sys.exit(main())
