"""Rust's name check: a function called without a path that the file neither declares nor
`use`s and that is not in the prelude (context/languages/bare_calls.py)."""

from __future__ import annotations

import re

from codegen_complete.context.languages.bare_calls import (
    BareCallRules,
    bare_call_check,
    call_without_path,
)

PRELUDE = frozenset(
    re.findall(
        r"\w+",
        "Some None Ok Err Box Vec String Option Result Self drop Default From Into ToString "
        "ToOwned Clone Iterator IntoIterator Fn FnMut FnOnce AsRef AsMut PartialEq Eq PartialOrd "
        "Ord Extend Send Sync Sized Drop",
    )
)
RULES = BareCallRules(
    predeclared=PRELUDE,
    # A glob import from another module (`use super::*` in a test module brings the file's
    # own names only) or a macro that defines items.
    unseen=re.compile(
        r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+(?!(?:super|self)::\*)[^;]*\*|macro_rules!"
    ),
    callee=call_without_path,
)

unresolved = bare_call_check(RULES)
