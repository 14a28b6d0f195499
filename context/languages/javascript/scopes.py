"""Names a JavaScript/TypeScript suggestion reads that the file declares only where the
cursor cannot see them: `args.entry.type` written in a function whose parameter is `entry`,
because other functions of the file take `args`.

The model copies names from the code around it, and a name declared in a neighbouring
function looks as good to it as one in scope. A name is in scope at the cursor when one of
its declarations' scopes encloses it; the scopes are taken wide (a function, or the module:
`let` and `const` count for their whole function, as `var` does) so that nothing in scope is
reported. A name the file also reads somewhere none of its declarations reaches is taken for
a global this check does not know, and left alone; so is a name declared nowhere in the file
(the check of calls in context/languages/javascript/names.py covers those).
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from codegen_complete.context.documents import Inserted, all_nodes

# Nodes whose parameters and declarations are their own.
FUNCTIONS = frozenset({
    "function_declaration", "generator_function_declaration", "function_expression",
    "function", "generator_function", "arrow_function", "method_definition",
})  # fmt: skip
# Declarations whose name is bound around them, not inside them.
HOISTED = frozenset({
    "function_declaration", "generator_function_declaration", "class_declaration",
    "abstract_class_declaration",
})  # fmt: skip

# Where a name is bound: declarations by their `name` field, patterns and parameters wholly.
NAMED_DECLARATIONS = frozenset({
    "function_declaration", "generator_function_declaration", "class_declaration",
    "abstract_class_declaration", "variable_declarator", "function_expression",
    "generator_function", "class", "method_definition", "interface_declaration",
    "type_alias_declaration", "enum_declaration", "internal_module", "type_parameter",
    "import_alias", "index_signature", "mapped_type_clause",
})  # fmt: skip
BINDING_PLACES = frozenset({
    "formal_parameters", "required_parameter", "optional_parameter", "import_specifier",
    "namespace_import", "import_clause", "arrow_function", "catch_clause", "array_pattern",
    "object_pattern", "pair_pattern", "rest_pattern", "object_assignment_pattern", "infer_type",
})  # fmt: skip
READS = frozenset({"identifier", "shorthand_property_identifier"})
DECLARED = frozenset({"identifier", "shorthand_property_identifier_pattern"})


def out_of_scope(parsed: Inserted) -> list[tuple[str, int]]:
    """(name, offset in the suggestion) of each name the suggestion reads that the file
    declares only in scopes not enclosing it, in order."""
    root = parsed.tree.root_node
    anchor = root.descendant_for_byte_range(parsed.start, max(parsed.start, parsed.end - 1))
    # A name the parser made up to mend a syntax error (MISSING, empty) is no read.
    inside = [
        node for node in all_nodes(anchor or root)
        if parsed.inside(node) and node.type in READS and not node.is_missing and _reads(node)
    ]  # fmt: skip
    # Only the names read there are looked up in the rest of the file, where they stand as
    # words: a walk of every node of a long file costs tens of milliseconds.
    scopes: dict[str, list[Node]] = {}
    reads_outside: dict[str, list[Node]] = {}
    for name in {parsed.text_of(node) for node in inside}:
        for start, end in _occurrences(parsed.data, name.encode()):
            node = root.descendant_for_byte_range(start, end)
            if node is None or node.parent is None or node.type not in READS | DECLARED:
                continue
            if node.type in DECLARED and declares(node.parent, node):
                scopes.setdefault(name, []).append(_scope(node, node.parent))
            elif node.type in READS and _reads(node) and not parsed.inside(node):
                reads_outside.setdefault(name, []).append(node)
    found = []
    for node in inside:
        name = parsed.text_of(node)
        declared = scopes.get(name)
        if not declared or any(_encloses(scope, node) for scope in declared):
            continue
        elsewhere = reads_outside.get(name, [])
        if any(not any(_encloses(scope, read) for scope in declared) for read in elsewhere):
            continue  # read where none of its declarations reaches: a global not known here
        found.append((name, parsed.offset_of(node)))
    return found


def _occurrences(data: bytes, word: bytes) -> Iterator[tuple[int, int]]:
    """The byte ranges where `word` stands as a whole word in `data` (a plain search: a
    regular expression with look-arounds is thirty times slower on a long file). An empty
    word is nowhere (searching for it found it at the same place for ever)."""
    start = data.find(word) if word else -1
    while start >= 0:
        end = start + len(word)
        if not _in_word(data[start - 1 : start]) and not _in_word(data[end : end + 1]):
            yield start, end
        start = data.find(word, end)


def _in_word(byte: bytes) -> bool:
    return bool(byte) and (byte.isalnum() or byte in b"_$" or byte[0] >= 0x80)


def _reads(node: Node) -> bool:
    """Whether a name node reads a variable (not a declaration, an export's or a label's
    name)."""
    parent = node.parent
    return (
        parent is not None
        and not declares(parent, node)
        and parent.type not in ("export_specifier", "labeled_statement")
    )


def _scope(node: Node, parent: Node) -> Node:
    """The node whose extent a declaration of `node` is visible in: its function, or the
    module."""
    scope: Node | None = parent.parent if parent.type in HOISTED else parent
    while scope is not None and scope.type not in FUNCTIONS and scope.parent is not None:
        scope = scope.parent
    return scope if scope is not None else node


def _encloses(scope: Node, node: Node) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte


def declares(parent: Node, node: Node) -> bool:
    """Whether `node` is a name its parent binds."""
    if parent.type in NAMED_DECLARATIONS:
        return parent.child_by_field_name("name") == node
    if parent.type in ("for_in_statement", "assignment_pattern"):
        return parent.child_by_field_name("left") == node
    return parent.type in BINDING_PLACES
