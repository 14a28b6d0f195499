"""The import a file is missing, offered where an import goes (checks/missing_imports.py)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from codegen_complete.checks.missing_imports import missing_import
from codegen_complete.context import languages
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python.missing_imports import RULES as PYTHON_RULES
from codegen_complete.measure.quality import import_holes
from codegen_complete.server.requests import Snapshot
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import Settings

MODELS = "class Order:\n    pass\n\n\nclass Item:\n    pass\n"
SERVICE = (
    "from typing import Any, overload\n\nfrom shop.models import Order\n\n\n"
    "def total(order: Order) -> Any:\n    return order\n"
)


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    """A project whose files import `Order` and `typing`'s names; `shop/report.py` is
    written by each test."""
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "service.py").write_text(SERVICE)
    return tmp_path


def offer(root: Path, text: str, name: str = "shop/report.py") -> str | None:
    """What is offered at the `|` in `text`, written as `name` in the workspace `root`."""
    path = root / name
    path.write_text(text.replace("|", ""))
    index = RepoIndex(root)
    index.refresh()
    language = languages.detect(path)
    assert language is not None
    return missing_import(text.replace("|", ""), text.index("|"), path, index, language)


def test_the_import_other_files_use(shop: Path) -> None:
    text = "import os\n|\n\n\ndef describe(order: Order) -> str:\n    return os.sep\n"
    assert offer(shop, text) == "from shop.models import Order"


def test_an_explicit_re_export_is_an_import_of_the_name(shop: Path) -> None:
    """`from m import x as x` (and the same in parentheses) binds `x`: packages re-export
    that way."""
    (shop / "shop" / "__init__.py").write_text(
        "from fastapi import Depends as Depends\nfrom fastapi import (\n"
        "    Request as Request,\n)\n"
    )
    text = "import os\n|\n\n\ndef f(r: Request, d=Depends(os.sep)) -> None:\n    pass\n"
    assert offer(shop, text) == "from fastapi import Depends, Request"


def test_names_from_one_module_share_a_line_in_isort_order(shop: Path) -> None:
    text = (
        "from shop.models import Order\n|\n\n\n@overload\ndef f(x: Order) -> Any: ...\n"
        "def f(x: Any) -> Any:\n    return x\n"
    )
    assert offer(shop, text) == "from typing import Any, overload"


def test_written_relatively_when_the_file_imports_its_package_so(shop: Path) -> None:
    text = "from .service import total\n|\n\n\ndef f(order: Order) -> None:\n    total(order)\n"
    assert offer(shop, text) == "from .models import Order"


def test_imports_start_at_the_project_folder_of_a_monorepo(tmp_path: Path) -> None:
    """`packages/python/` holds the project (its pyproject.toml): its package is `genai`,
    whatever folders lie above it in the workspace."""
    project = tmp_path / "packages" / "python"
    (project / "genai").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'genai'\n")
    (project / "genai" / "__init__.py").write_text("")
    (project / "genai" / "models.py").write_text(MODELS)
    text = "import os\n|\n\n\ndef f(order: Order) -> str:\n    return os.sep\n"
    offered = offer(tmp_path, text, "packages/python/genai/report.py")
    assert offered == "from genai.models import Order"


def test_a_name_no_file_imports_comes_from_the_module_defining_it(shop: Path) -> None:
    text = "import os\n|\n\n\ndef f(item: Item) -> str:\n    return os.sep\n"
    assert offer(shop, text) == "from shop.models import Item"


def test_a_module_of_the_standard_library(shop: Path) -> None:
    text = '"""Reports."""\n\n|\n\ndef f() -> None:\n    threading.Thread(target=f).start()\n'
    assert offer(shop, text) == "import threading"


def test_a_member_of_a_parenthesized_import(shop: Path) -> None:
    text = (
        "from shop.models import (\n    Item,\n    |\n)\n\n\n"
        "def f(order: Order, item: Item) -> None:\n    pass\n"
    )
    assert offer(shop, text) == "Order,"
    # Inside an import from another module, a name it does not provide is not offered.
    other = (
        "from shop.service import (\n    total,\n    |\n)\n\n\n"
        "def f(o: Order) -> None:\n    total(o)\n"
    )
    assert offer(shop, other) is None


def test_what_the_user_typed_is_continued_and_nothing_else(shop: Path) -> None:
    code = "\n\n\ndef f(order: Order) -> None:\n    pass\n"
    assert offer(shop, "import os\nfrom sh|" + code) == "op.models import Order"
    assert offer(shop, "import os\nfrom |" + code) == "shop.models import Order"
    assert offer(shop, "import os\nimport js|" + code) is None


def test_a_one_line_member_list_is_continued(shop: Path) -> None:
    """After `from m import a, `: the names the file is missing that m provides (not those
    already listed, though the file is judged without that line), in isort order."""
    code = "\n\n\ndef f(order: Order, item: Item) -> None:\n    pass\n"
    assert offer(shop, "from shop.models import Item, |" + code) == "Order"
    assert offer(shop, "from shop.models import Item,|" + code) == " Order"
    assert offer(shop, "from .models import Item, |" + code) == "Order"
    assert offer(shop, "from shop.models import |" + code) == "Item, Order"
    assert offer(shop, "from shop.models import Item, Or|" + code) == "der"
    # A module that provides none of them; a list with nothing left missing.
    assert offer(shop, "from shop.service import total, |" + code) is None
    assert offer(shop, "from shop.models import Item, Order, |" + code) is None


def test_nothing_where_no_import_goes_or_none_is_missing(shop: Path) -> None:
    # A blank line in a function body.
    body = "from shop.models import Item\n\n\ndef f(order: Order) -> None:\n    |\n    pass\n"
    assert offer(shop, body) is None
    # A file that binds every name it reads.
    complete = "from shop.models import Order\n|\n\n\ndef f(order: Order) -> None:\n    pass\n"
    assert offer(shop, complete) is None
    # A star import could bind anything.
    star = "from shop.models import *\n|\n\n\ndef f(order: Order) -> None:\n    pass\n"
    assert offer(shop, star) is None
    # Past the file's head: code comes before the cursor.
    after_code = "x = 1\n\n|\n\ndef f(order: Order) -> None:\n    pass\n"
    assert offer(shop, after_code) is None


def test_unbound_names_skip_every_kind_of_binding() -> None:
    source = (
        "import os.path\nfrom a import b as c\n"
        "def f(x, *args, y=1, **kw):\n    z = [w for w in args]\n"
        "    with open(x) as handle:\n        pass\n    try:\n        pass\n"
        "    except ValueError as error:\n        raise error\n"
        "    g(key=1, value=(n := 2))\n    return os.path.join(c, z, handle, kw, y, n, Missing)\n"
        "class K:\n    attribute: int\n    def m(self):\n        return self.attribute\n"
    )
    parser = languages.parser(PYTHON)
    assert parser is not None
    tree = parser.parse(source.encode())
    assert PYTHON_RULES.unbound_names(tree, Path()) == ["g", "Missing"]


def test_the_server_answers_at_once_without_the_model(tiny_store: Path, shop: Path) -> None:
    """Where the import goes, the lookup answers; typing along it comes from the cache."""
    service = CompletionService(
        Settings(model="tiny-qwen", models_dir=str(tiny_store)), roots=[shop]
    )
    assert service.load() is None
    lines: list[str] = []
    service.index_workspaces(shop / ".cache", lines.append)
    uri = (shop / "shop" / "report.py").as_uri()
    text = "import os\n\n\n\ndef describe(order: Order) -> str:\n    return os.sep\n"
    (shop / "shop" / "report.py").write_text(text)
    service.open(uri, text, "python")
    snapshot = service.snapshot(uri, 1, 0, explicit=True)
    assert isinstance(snapshot, Snapshot)
    answer = service.submit(snapshot).result()
    assert answer.suggestion is not None, answer.log
    assert answer.suggestion.text == "from shop.models import Order"
    assert "an import the file is missing" in answer.log
    service.change(uri, [((1, 0, 1, 0), "f")])
    typed = service.from_cache(service.snapshot(uri, 1, 1, explicit=True))  # type: ignore[arg-type]
    assert typed is not None and typed.suggestion is not None
    assert typed.suggestion.text == "rom shop.models import Order"
    service.shutdown()


# --- JavaScript and TypeScript --------------------------------------------------------------


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    """A TypeScript project: `src/errors.ts` exports errors that `src/api.ts` imports."""
    (tmp_path / "src" / "feature").mkdir(parents=True)
    (tmp_path / "src" / "errors.ts").write_text(
        "export class UserError extends Error {}\nexport class NetError extends Error {}\n"
        "export function fail(message: string): never {\n  throw new UserError(message);\n}\n"
    )
    (tmp_path / "src" / "api.ts").write_text(
        "import { z } from 'zod';\nimport { UserError } from './errors';\n\n"
        "export const schema = z.string();\nexport function check(x: unknown) {\n"
        "  if (!x) throw new UserError('no');\n}\n"
    )
    return tmp_path


SCRIPT = "src/feature/form.ts"


def test_a_script_import_is_rewritten_from_the_current_folder(app: Path) -> None:
    """`./errors` in src/api.ts is `../errors` from src/feature/, in the project's quotes;
    `fail`, which no file imports yet, comes with it: errors.ts exports it."""
    text = (
        'import { readFile } from "node:fs";\n|\n\n'
        "export function load(path: string) {\n  if (!path) fail('empty');\n"
        "  return readFile(path, () => { throw new UserError('x'); });\n}\n"
    )
    assert offer(app, text, SCRIPT) == "import { UserError, fail } from '../errors';"
    package = "import { UserError } from '../errors';\n|\n\nexport const s = z.number();\n"
    assert offer(app, package, SCRIPT) == "import { z } from 'zod';"


def test_a_member_of_a_multi_line_script_import(app: Path) -> None:
    text = (
        "import {\n  NetError,\n  |\n} from '../errors';\n\n"
        "export const errors = [NetError, UserError];\n"
    )
    assert offer(app, text, SCRIPT) == "UserError,"


def test_a_one_line_script_member_list_is_continued(app: Path) -> None:
    """`UserError` is imported from errors.ts by another file; `fail` by none, but
    errors.ts exports it."""
    text = "import { NetError, | } from '../errors';\n\nexport const e = [NetError, UserError];\n"
    assert offer(app, text, SCRIPT) == "UserError"
    assert offer(app, text.replace(", |", ",|"), SCRIPT) == " UserError"
    assert offer(app, text.replace("UserError]", "UserError, fail]"), SCRIPT) == "UserError, fail"
    assert offer(app, text.replace("'../errors'", "'zod'"), SCRIPT) is None


def test_script_names_bound_every_way_are_not_missing(app: Path) -> None:
    text = (
        "import * as net from 'net';\nimport { UserError } from '../errors';\n|\n\n"
        "export { fail } from '../errors';\ntype Pair<T> = [T, T];\n"
        "interface Shape { [key: string]: net.Socket }\n"
        "export function f({ a, b = 1 }: Shape, [c]: Pair<number>, ...rest: number[]) {\n"
        "  for (const item of rest) { try { g(item) } catch (error) { throw error } }\n"
        "  const { d: renamed } = a;\n  return new UserError(`${b}${c}${renamed}`);\n}\n"
        "function g(value: number): number {\n  return value;\n}\n"
    )
    assert offer(app, text, SCRIPT) is None


def test_the_measurement_counts_right_offers_and_offers_where_nothing_is_missing(
    shop: Path,
) -> None:
    """measure/quality/import_holes.py on a project: the report's import line is offered back, and
    its last member."""
    (shop / "shop" / "report.py").write_text(
        "from shop.models import Item, Order\n\n\ndef f(order: Order, item: Item) -> None:\n"
        "    pass\n"
    )
    tallies: dict[str, import_holes.Tally] = defaultdict(import_holes.Tally)
    import_holes.measure(shop, tallies)
    python, members = tallies["python"], tallies["python members"]
    # service.py's two imports and report.py's one, each removed in turn: `Order` is
    # imported by the other file each time, `Any` by no other file.
    assert (python.holes, python.offered, python.right) == (3, 2, 2)
    assert (python.intact, python.offered_on_intact) == (3, 0)
    assert "| python | 3 | 2 | 2 | 100.0% | 0 of 3 |" in import_holes.table(tallies)
    # The last members of `typing import Any, overload` (nothing says where `overload` is
    # from) and of `shop.models import Item, Order`.
    assert (members.holes, members.offered, members.right) == (2, 1, 1)
    assert (members.intact, members.offered_on_intact) == (2, 0)


def test_in_a_sorted_member_list_the_name_that_sorts_there(shop: Path) -> None:
    """Two names the module provides are missing: the one between the members above and
    below the cursor goes there, whichever the file uses first."""
    (shop / "shop" / "greek.py").write_text(
        "".join(f"class {name}:\n    pass\n\n\n" for name in ("Alpha", "Beta", "Gamma", "Delta"))
    )
    text = (
        "from shop.greek import (\n    Alpha,\n    |\n    Delta,\n)\n\n\n"
        "def f(g: Gamma, b: Beta, a: Alpha, d: Delta) -> None:\n    pass\n"
    )
    assert offer(shop, text) == "Beta,"
