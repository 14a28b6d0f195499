"""Values computed from files, kept while each file is unchanged, the least recently used
dropped past the limit (the caches that keep parsed imports off the typing path stay
bounded in memory)."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.filecache import FileCache


def test_a_value_is_kept_until_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    cache: FileCache[str] = FileCache()
    computed: list[str] = []

    def read() -> str:
        computed.append(path.read_text())
        return computed[-1]

    assert cache.get(path, read) == "x = 1\n"
    assert cache.get(path, read) == "x = 1\n"
    path.write_text("x = 22\n")  # another size: changed
    assert cache.get(path, read) == "x = 22\n"
    assert len(computed) == 2
    assert cache.get(tmp_path / "gone.py", read) is None


def test_past_the_limit_the_least_recently_used_goes(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.py" for name in "abc"]
    for path in paths:
        path.write_text(path.stem)
    cache: FileCache[str] = FileCache(limit=2)
    reads: list[str] = []

    def reader(path: Path) -> str:
        reads.append(path.stem)
        return path.stem

    a, b, c = paths
    cache.get(a, lambda: reader(a))
    cache.get(b, lambda: reader(b))
    cache.get(a, lambda: reader(a))  # a is used again: b is now the oldest use
    cache.get(c, lambda: reader(c))  # past the limit: b goes
    assert len(cache) == 2
    cache.get(a, lambda: reader(a))
    cache.get(b, lambda: reader(b))
    assert reads == ["a", "b", "c", "b"]
