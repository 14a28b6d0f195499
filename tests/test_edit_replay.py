"""The edit-replay suite (measure/quality/edits.py): holes cut from a commit's new lines, replayed
with the commit's other files open, from a real git repository made here."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from codegen_complete.measure.quality.edits import changes, cut, hole_of, workspace

ORDERS_BEFORE = "class Order:\n    def __init__(self, items):\n        self.items = items\n"
ORDERS_AFTER = (
    "class Order:\n    def __init__(self, items, owner):\n        self.items = items\n"
    "        self.owner = owner\n"
)
SHOP_BEFORE = "from orders import Order\n\n\ndef make(items):\n    return Order(items)\n"
SHOP_AFTER = (
    "from orders import Order\n\n\ndef make(items, owner):\n"
    "    order = Order(items, owner)\n    return order\n"
)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True, capture_output=True,
    )  # fmt: skip


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "orders.py").write_text(ORDERS_BEFORE)
    (repo / "shop.py").write_text(SHOP_BEFORE)
    (repo / "logo.png").write_bytes(b"\x89PNG")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    (repo / "orders.py").write_text(ORDERS_AFTER)
    (repo / "shop.py").write_text(SHOP_AFTER)
    git(repo, "commit", "-qam", "orders have an owner")
    return repo


def test_a_commits_hunks_are_read_on_their_new_side(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    found = {change.path: change for change in changes(repo, "HEAD")}
    assert set(found) == {"orders.py", "shop.py"}
    assert all(change.existed for change in found.values())
    added = [(h.first, h.added) for h in found["orders.py"].hunks]
    assert added == [
        (1, ("    def __init__(self, items, owner):",)),
        (3, ("        self.owner = owner",)),
    ]


def test_a_hole_is_a_new_line_of_code_with_the_other_hunks_as_edits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (hole,) = cut(repo, random.Random(0), 5)  # the first commit has no parent: skipped
    files = {"orders.py": ORDERS_AFTER, "shop.py": SHOP_AFTER}
    line = files[hole.file].split("\n")[hole.line - 1]
    assert len(line.strip()) >= 8
    assert hole.file in ("orders.py", "shop.py") and hole.split in ("dev", "test")
    other = "shop.py" if hole.file == "orders.py" else "orders.py"
    assert any(file == other for file, _, _ in hole.edits)
    # The hunk that holds the hole is not an edit of its own.
    assert all(not (file == hole.file and first <= hole.line - 1 <= last)
               for file, first, last in hole.edits)  # fmt: skip


def test_a_commit_of_one_file_does_not_qualify(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "shop.py").write_text(SHOP_AFTER + "\n\ndef close(order):\n    order.closed = True\n")
    git(repo, "commit", "-qam", "close")
    assert hole_of("HEAD", changes(repo, "HEAD"), random.Random(0)) is None


def test_the_workspace_is_the_commits_source_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    folder = workspace(repo, commit, tmp_path / "cache")
    assert (folder / "orders.py").read_text() == ORDERS_AFTER
    assert not (folder / "logo.png").exists()  # not source: a snapshot may lack such files
    assert workspace(repo, commit, tmp_path / "cache") == folder  # unpacked once
