"""Functions, classes and members of `this` that a JavaScript or TypeScript suggestion uses
and that exist nowhere.

The model's commonest invention in these languages is a helper that was never written:
`validateOrder(order)` in a file that has `checkOrder`, `new OrderService()` that nobody
imports. In an ES module (or a CommonJS one) a bare name is in scope only when the file
declares or imports it, or it is a global; so a name called or constructed by the suggestion
that appears nowhere else in the file, is not declared by the suggestion itself, is not a
global of JavaScript, the browser, Node or the usual test runners, and is not declared in one
of the workspace's `.d.ts` files (ambient declarations), is reported.

Members of `this` inside a class are checked too (`this.ordered` where the class has
`this.orders`): one is reported when the class neither defines it (a method, a field, a
TypeScript parameter property) nor uses or assigns it anywhere else, and extends nothing (a
base class, defined elsewhere, may have it). A `function` between the member and its class
gives `this` another meaning, and members added through the prototype, `Object.assign` or
`defineProperty`, or allowed by an index signature, cannot be seen: those uses are left alone.

A name the file declares only in scopes that do not enclose the cursor (a parameter of
another function) is reported too: context/languages/javascript/scopes.py.

What is left alone: members of anything but `this` (`cart.total()`: the receiver's type is
not known here), type names, and classic scripts (a file with no import, export or require
shares its globals with the other scripts of a page, which cannot be seen from here).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context.documents import Inserted, all_nodes, parse_with
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.languages.javascript.scopes import out_of_scope
from codegen_complete.context.languages.naming import Unresolved

SCRIPT_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})


def _words(*groups: str) -> frozenset[str]:
    return frozenset(" ".join(groups).split())


GLOBALS = _words(
    # ECMAScript
    "AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array BigUint64Array Boolean "
    "DataView Date Error EvalError FinalizationRegistry Float32Array Float64Array Function "
    "Infinity Int16Array Int32Array Int8Array Intl Iterator JSON Map Math NaN Number Object "
    "Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String Symbol "
    "SyntaxError TypeError URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap "
    "WeakRef WeakSet decodeURI decodeURIComponent encodeURI encodeURIComponent escape eval "
    "globalThis isFinite isNaN parseFloat parseInt undefined unescape",
    # the web platform and Node
    "AbortController AbortSignal Audio Blob BroadcastChannel Buffer CSS CustomEvent "
    "DOMException DOMParser Document Element Event EventSource EventTarget File FileReader "
    "FormData HTMLElement Headers Image IntersectionObserver MessageChannel MessageEvent "
    "MessagePort MutationObserver Node Notification Option Performance ReadableStream Request "
    "ResizeObserver Response TextDecoder TextEncoder TransformStream URL URLSearchParams "
    "WebSocket Worker WritableStream XMLHttpRequest __dirname __filename alert atob btoa caches "
    "cancelAnimationFrame clearImmediate clearInterval clearTimeout confirm console crypto "
    "document exports fetch getComputedStyle global importScripts indexedDB localStorage "
    "location module navigator performance postMessage process prompt queueMicrotask "
    "reportError requestAnimationFrame require self sessionStorage setImmediate setInterval "
    "setTimeout structuredClone window Deno Bun",
    # test runners (jest, vitest, mocha, node:test)
    "after afterAll afterEach assert before beforeAll beforeEach context describe expect it "
    "jest setup suite teardown test vi",
)
NAME_NODES = frozenset({
    "identifier", "type_identifier", "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
})  # fmt: skip
# An ambient `.d.ts` declaration makes a name global without an import.
AMBIENT_FILES_MAX = 500
AMBIENT_TTL_S = 60.0
SKIPPED_FOLDERS = frozenset({".git", "dist", "build", "coverage", "out"})
MEMBER_NAMES = frozenset({"property_identifier", "private_property_identifier"})
MEMBER_DEFINITIONS = frozenset({
    "method_definition", "field_definition", "public_field_definition",
    "abstract_method_signature", "method_signature",
})  # fmt: skip
CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
# Between a member of `this` and its class, these give `this` another meaning.
OTHER_THIS = frozenset({
    "function_expression", "function_declaration", "generator_function",
    "generator_function_declaration", "function", "object",
})  # fmt: skip
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_ambient: dict[Path, tuple[float, frozenset[str]]] = {}


def unresolved(
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names `suggestion` (between `before` and `after`) calls or constructs, and the
    members of `this` it reads, that exist nowhere, in order. `tree`: the document's
    (before + after), re-parsed where it changes."""
    if not suggestion.strip():
        return []
    parsed = parse_with(suggestion, before, after, language, tree)
    if parsed is None or not _is_module(parsed.tree.root_node):
        return []
    outside: set[str] = set()
    bound: set[str] = set()
    called: list[tuple[str, int]] = []
    members: list[tuple[str, int]] = []
    classes: dict[int, frozenset[str] | None] = {}
    for node in all_nodes(parsed.tree.root_node):
        if node.type == "member_expression" and parsed.inside(node):
            if (found := _member_of_this(node)) is not None:
                member, cls = found
                if cls.id not in classes:
                    classes[cls.id] = _class_members(cls, parsed)
                name = parsed.text_of(member)
                known_members = classes[cls.id]
                if known_members is not None and name.lstrip("#") not in known_members:
                    members.append((name, parsed.offset_of(node)))
            continue
        if node.type not in NAME_NODES:
            continue
        name = parsed.text_of(node)
        if node.end_byte <= parsed.start or node.start_byte >= parsed.end:
            outside.add(name)
            continue
        parent = node.parent
        if parent is None:
            continue
        if _declares(parent, node):
            bound.add(name)
        elif _is_callee(parent, node):
            called.append((name, parsed.offset_of(node)))
    known = outside | bound | GLOBALS
    missing = [(name, offset) for name, offset in called if name not in known]
    missing += [(name, offset) for name, offset in out_of_scope(parsed) if name not in GLOBALS]
    if missing and root is not None:
        ambient = ambient_names(root)
        missing = [(name, offset) for name, offset in missing if name not in ambient]
    missing += members
    missing.sort(key=lambda found: found[1])
    return [Unresolved(name, offset) for name, offset in missing]


def _member_of_this(node: Node) -> tuple[Node, Node] | None:
    """(the member's name, its class) when `node` reads `this.X` inside a class that extends
    nothing; None otherwise (an assignment `this.X = ...` declares X)."""
    target, member = node.child_by_field_name("object"), node.child_by_field_name("property")
    if target is None or member is None or target.type != "this" or _is_assigned(node):
        return None
    scope = node.parent
    while scope is not None and scope.type not in CLASSES:
        if scope.type in OTHER_THIS:
            return None
        scope = scope.parent
    if scope is None or any(child.type == "class_heritage" for child in scope.children):
        return None
    return member, scope


def _is_assigned(node: Node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type == "assignment_expression"
        and parent.child_by_field_name("left") == node
    )


def _class_members(cls: Node, parsed: Inserted) -> frozenset[str] | None:
    """The member names `cls` has (its methods and fields, its TypeScript parameter
    properties, every `this.X` it uses outside the suggestion and every one the suggestion
    assigns), without a leading `#`; None when they cannot all be seen
    (computed names, an index signature, members added with `Object.assign` or
    `defineProperty`, or through the prototype)."""
    body = parsed.text_of(cls)
    name_node = cls.child_by_field_name("name")
    name = parsed.text_of(name_node) if name_node is not None else ""
    if (
        "Object.assign(this" in body
        or "defineProperty(this" in body
        or (name and f"{name}.prototype".encode() in parsed.data)
    ):
        return None
    members: set[str] = set()
    for node in all_nodes(cls):
        inside = parsed.inside(node)
        parent = node.parent
        if parent is not None and (
            (node.type == "index_signature" and parent.type == "class_body")
            or (node.type == "computed_property_name" and parent.type in MEMBER_DEFINITIONS)
        ):
            return None
        if node.type in MEMBER_NAMES and parent is not None and parent.type in MEMBER_DEFINITIONS:
            members.add(parsed.text_of(node))
        elif node.type == "member_expression" and (not inside or _is_assigned(node)):
            target, member = (
                node.child_by_field_name("object"),
                node.child_by_field_name("property"),
            )
            if target is not None and target.type == "this" and member is not None:
                members.add(parsed.text_of(member))
        elif node.type in ("required_parameter", "optional_parameter") and any(
            child.type in ("accessibility_modifier", "readonly", "override_modifier")
            for child in node.children
        ):
            pattern = node.child_by_field_name("pattern")
            if pattern is not None:
                members.add(parsed.text_of(pattern))
    return frozenset(member.lstrip("#") for member in members)


def _is_module(root: Node) -> bool:
    """An ES module or a CommonJS one: its scope is its own."""
    for child in root.named_children:
        if child.type in ("import_statement", "export_statement"):
            return True
    return b"require(" in (root.text or b"")


def _is_callee(parent: Node, node: Node) -> bool:
    if parent.type == "call_expression":
        return parent.child_by_field_name("function") == node
    if parent.type == "new_expression":
        return parent.child_by_field_name("constructor") == node
    return False


def _declares(parent: Node, node: Node) -> bool:
    """Whether `node` is the name a declaration or a parameter introduces."""
    if parent.type in (
        "function_declaration", "generator_function_declaration", "class_declaration",
        "variable_declarator", "function_expression", "class", "method_definition",
    ):  # fmt: skip
        return parent.child_by_field_name("name") == node
    return parent.type in (
        "formal_parameters", "required_parameter", "optional_parameter", "import_specifier",
        "namespace_import", "import_clause", "arrow_function", "catch_clause",
        "array_pattern", "object_pattern", "pair_pattern", "rest_pattern",
    )  # fmt: skip


def ambient_names(root: Path) -> frozenset[str]:
    """Every word of the workspace's `.d.ts` files (at most AMBIENT_FILES_MAX of them, re-read
    after AMBIENT_TTL_S): a name declared there is global without an import."""
    now = time.monotonic()
    cached = _ambient.get(root)
    if cached is not None and now - cached[0] < AMBIENT_TTL_S:
        return cached[1]
    words: set[str] = set()
    seen = 0
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [s for s in subfolders if s not in SKIPPED_FOLDERS and s != "node_modules"
                         and not s.startswith(".")]  # fmt: skip
        for name in files:
            if name.endswith(".d.ts") and seen < AMBIENT_FILES_MAX:
                seen += 1
                try:
                    words.update(_WORD.findall(Path(folder, name).read_text(errors="replace")))
                except OSError:
                    continue
    names = frozenset(words)
    _ambient[root] = (now, names)
    return names


# A member of `this` being written at the end of the text: `this.` or `this.ord`.
THIS_MEMBER_AT_END = re.compile(r"(?<![\w$.])this\.([A-Za-z_$][\w$]*)?$")
# A stand-in for the member at the cursor, so that it parses as one (never a real name).
CURSOR_MEMBER = "__codegen_cursor__"


def members_at(
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> frozenset[str] | None:
    """The names the member of `this` written at the cursor (`this.|`, `this.ord|`) may
    take: the members its class has, as the check of `this` counts them. None elsewhere, for
    a member that begins a statement (it may be one being assigned), in a class that extends
    another or whose members cannot all be seen, or that has private (`#`) members (their
    names are spelt with the `#`, which the check leaves out)."""
    written = THIS_MEMBER_AT_END.search(before)
    if written is None:
        return None
    typed = written.group(1) or ""
    head = before[: len(before) - len(typed)]
    # The tree is of before + after: with a partial name typed, it is not head's.
    parsed = parse_with(CURSOR_MEMBER, head, after, language, None if typed else tree)
    if parsed is None:
        return None
    name = parsed.tree.root_node.descendant_for_byte_range(parsed.start, parsed.end)
    expression = name.parent if name is not None else None
    if (
        expression is None
        or expression.type != "member_expression"
        or expression.child_by_field_name("property") != name
        or (expression.parent is not None and expression.parent.type == "expression_statement")
    ):
        return None
    found = _member_of_this(expression)
    if found is None:
        return None
    cls = found[1]
    if any(node.type == "private_property_identifier" for node in all_nodes(cls)):
        return None
    members = _class_members(cls, parsed)
    return None if members is None else members - {CURSOR_MEMBER}
