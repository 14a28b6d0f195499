"""Where the measurements' data lives: beside this checkout, whatever the working directory
(suites and vendored projects are test data of the repository, not part of an installed
wheel; the public FIM slices sit in shared/eval next to the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
FIXTURES = CHECKOUT / "tests" / "fixtures"
VENDOR = FIXTURES / "vendor"
EVAL_DIR = Path(os.environ.get("CODEGEN_COMPLETE_EVAL_DIR") or CHECKOUT.parent / "shared" / "eval")
