"""The repository index (context/index/repo.py): found by the code above the cursor, fresh after a
save, blind to ignored and secret files, persistent across restarts, rebuilt when corrupt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from codegen_complete.context.gather import gather_context
from codegen_complete.context.index.repo import RepoIndex

CLIENT = """import logging

log = logging.getLogger(__name__)


def fetch_orders(session, customer_id):
    response = session.get(f"/customers/{customer_id}/orders", timeout=REQUEST_TIMEOUT)
    response.raise_for_status()
    log.debug("fetched orders for %s", customer_id)
    return response.json()["orders"]
"""
QUERY = "def fetch_invoices(session, customer_id):\n    response = session.get(\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "client.py").write_text(CLIENT)
    (tmp_path / "other.py").write_text("def unrelated():\n    return 42\n")
    return tmp_path


def test_the_windows_like_the_code_above_the_cursor_are_found(project: Path) -> None:
    index = RepoIndex(project)
    assert index.refresh().indexed == 2
    found = index.search(QUERY)
    assert found and found[0].path == "client.py" and "raise_for_status" in found[0].text
    assert index.search(QUERY, exclude={"client.py"}) == []  # the current or an open file
    assert index.search("x = 1\n") == []  # nothing shared: nothing shown


def test_a_saved_change_is_searchable_at_once_and_deleted_files_are_gone(project: Path) -> None:
    index = RepoIndex(project)
    index.refresh()
    billing = project / "billing.py"
    billing.write_text(
        "def charge_card(gateway, card_token, amount_cents):\n"
        "    gateway.capture(card_token, amount_cents)\n"
    )
    started = time.perf_counter()
    index.update(billing)  # what the server does on didSave / didChangeWatchedFiles
    assert time.perf_counter() - started < 1.0
    assert index.search("charge_card(gateway, card_token, amount_cents)\n")[0].path == "billing.py"
    billing.rename(project / "payments.py")
    report = index.refresh()
    assert (report.indexed, report.removed) == (1, 1)
    assert index.search("charge_card(gateway, card_token, amount_cents)\n")[0].path == "payments.py"
    (project / "payments.py").unlink()
    index.update(project / "payments.py")
    assert index.search("charge_card(gateway, card_token, amount_cents)\n") == []


def test_ignored_and_secret_looking_files_are_never_indexed(project: Path) -> None:
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "client_copy.py").write_text(CLIENT)
    (project / "secrets.py").write_text(CLIENT.replace("fetch_orders", "api_secret_key"))
    (project / "node_modules").mkdir()
    (project / "node_modules" / "lib.js").write_text("session.get(customer_id)\n")
    index = RepoIndex(project)
    index.refresh()
    assert index.stats()[0] == 2
    assert {s.path for s in index.search(QUERY, limit=10)} == {"client.py"}


def test_a_restart_with_nothing_changed_rebuilds_nothing(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = RepoIndex.for_workspace(project, cache)
    assert first.refresh().indexed == 2
    first.close()
    again = RepoIndex.for_workspace(project, cache)
    report = again.refresh()
    assert (report.indexed, report.unchanged) == (0, 2)
    assert again.search(QUERY)


def test_a_corrupt_index_file_is_rebuilt_with_a_log_line(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    RepoIndex.for_workspace(project, cache).close()
    (files,) = cache.glob("*/files.sqlite")
    files.write_bytes(b"this is not a database" * 100)
    index = RepoIndex.for_workspace(project, cache)
    assert any("rebuilding" in line for line in index.log)
    assert index.refresh().indexed == 2 and index.search(QUERY)


def test_a_refresh_over_its_budget_leaves_the_rest_for_later(project: Path) -> None:
    index = RepoIndex(project)
    report = index.refresh(budget_s=0.0)
    assert report.left_out == 2 and report.removed == 0
    assert index.refresh().indexed == 2


def test_retrieved_windows_join_the_context(project: Path) -> None:
    index = RepoIndex(project)
    index.refresh()
    current = project / "invoices.py"
    current.write_text(QUERY)
    snippets = gather_context(QUERY, len(QUERY), current, project, neighbours=(), index=index)
    assert any(s.path == "client.py" and "raise_for_status" in s.text for s in snippets)


def test_an_unsaved_buffer_wins_over_the_disk(project: Path) -> None:
    """client.py is open with unsaved edits: its stale windows on disk are not shown; what
    the editor holds is searched instead (as an open document)."""
    index = RepoIndex(project)
    index.refresh()
    current = project / "invoices.py"
    edited = CLIENT.replace("raise_for_status()", "check_status_or_retry()")
    open_client = ((project / "client.py", edited),)
    query = "log = logging.getLogger(__name__)\n\n\n" + QUERY
    snippets = gather_context(
        query, len(query), current, project, neighbours=open_client, index=index
    )
    texts = [s.text for s in snippets if s.path == "client.py"]
    assert texts and all("check_status_or_retry" in t for t in texts)
    assert not any("raise_for_status" in t for t in texts)


def test_a_window_is_shown_with_the_lines_that_follow_it(project: Path) -> None:
    # The lines above the cursor match a whole window; the line to write comes after it.
    above = "".join(f"field_{i} = record.get('field_{i}')\n" for i in range(10))
    (project / "records.py").write_text(above + "validated = schema.check_all(record)\n")
    index = RepoIndex(project)
    index.refresh()
    found = index.search(above)
    assert found[0].path == "records.py" and "schema.check_all(record)" in found[0].text


def test_the_current_buffer_is_searched_beyond_the_prompts_reach(project: Path) -> None:
    """Far up the file (outside the prompt) the same idiom was written before: that window,
    from the buffer's text, joins the context; the lines the prompt shows anyway do not."""
    idiom = "with tracer.start_span(span_name) as span:\n    span.set_attribute(key, value)\n"
    far = "def first(tracer, span_name, key, value):\n    " + idiom.replace("\n    ", "\n        ")
    middle = "".join(f"def filler_{i}():\n    return {i}\n\n" for i in range(40))
    near = (
        "def second(tracer, span_name, key, value):\n"
        "    with tracer.start_span(span_name) as span:\n        "
    )
    text = far + "\n" + middle + near
    current = project / "tracing.py"
    current.write_text("")  # on disk: empty, the editor holds the text
    index = RepoIndex(project)
    index.refresh()
    snippets = gather_context(text, len(text), current, project, neighbours=(), index=index)
    mine = [s for s in snippets if s.path == "tracing.py"]
    assert mine and "span.set_attribute(key, value)" in mine[0].text
    assert all(s.order + 15 <= text.count("\n") - 64 for s in mine)


def test_names_with_capitals_are_searched(project: Path) -> None:
    # FTS5 folds case; a query that kept the capitals found no such term and dropped them.
    (project / "tools.py").write_text(
        "handler = MCPToolCallRequest(ToolName)\nresult = await handler.run()\n"
    )
    index = RepoIndex(project)
    index.refresh()
    found = index.search("req = MCPToolCallRequest(ToolName)\n")
    assert found and found[0].path == "tools.py"


def test_a_corrupt_search_index_is_rebuilt_and_a_locked_one_is_searched(
    project: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    RepoIndex.for_workspace(project, cache).close()
    (meta,) = cache.glob("*/windows/meta.json")
    meta.write_text("{ not json")
    index = RepoIndex.for_workspace(project, cache)
    assert any("rebuilding" in line for line in index.log)
    index.refresh()
    # A second server on the same workspace (two editor windows): it cannot write, it reads.
    second = RepoIndex.for_workspace(project, cache)
    assert any("another process" in line for line in second.log)
    assert second.search(QUERY) and second.refresh().indexed == 0
    second.close()
    index.close()


def test_a_refresh_over_its_budget_indexes_the_newest_files_first(project: Path) -> None:
    for number in range(20):
        (project / f"old_{number}.py").write_text(f"def old_{number}():\n    return 1\n")
    old = time.time() - 3600
    for path in project.glob("*.py"):
        os.utime(path, (old, old))
    (project / "fresh.py").write_text("def fresh_work():\n    return 1\n")
    index = RepoIndex(project)
    report = index.refresh(max_files=1)
    assert (report.indexed, report.left_out) == (1, 22)
    assert index.indexed_paths() == {"fresh.py"}
    assert index.refresh().indexed == 22  # the rest, on the next call


def test_generated_minified_and_data_files_are_left_out_and_said_so(project: Path) -> None:
    (project / "orders_pb2.py").write_text(CLIENT)  # protoc's name
    (project / "stubs.py").write_text("# Code generated by stubgen. DO NOT EDIT.\n" + CLIENT)
    (project / "bundle.js").write_text("var a=1;" * 2_000)  # one 16 KB line
    table = "".join(f"    ({n}, {n * 7919 % 65536}, {n * 31 % 997}),\n" for n in range(400))
    (project / "unicode_table.py").write_text(f"WIDTHS = [\n{table}]\n")
    (project / "large.py").write_text("value = 1\n" * 60_000)  # 600 KB
    index = RepoIndex(project)
    report = index.refresh()
    assert report.indexed == 2  # client.py and other.py
    assert report.skipped == {
        "generated (by its name)": 1,
        "generated (a marker at the top)": 1,
        "minified or data (lines over 1,000 characters)": 1,
        "data (mostly numbers)": 1,
        "larger than 512 KB": 1,
    }
    assert "skipped as generated (by its name) (e.g. orders_pb2.py)" in report.describe()
    assert {hit.path for hit in index.search(QUERY)} == {"client.py"}
    assert index.stats()[0] == 2 and index.indexed_paths() == {"client.py", "other.py"}
    # The next refresh reads none of them again, and says the same.
    again = index.refresh()
    assert (again.indexed, again.unchanged, again.skipped) == (0, 2, report.skipped)
    # A skipped file that becomes code a person writes is indexed.
    (project / "stubs.py").write_text(CLIENT.replace("fetch_orders", "fetch_stubs"))
    assert index.refresh().indexed == 1


def test_a_full_index_leaves_the_rest_out_and_takes_it_once_there_is_room(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen_complete.context.index import repo as index_module

    monkeypatch.setattr(index_module, "MAX_WINDOWS", 1)
    index = RepoIndex(project)
    report = index.refresh()
    assert report.indexed == 1 and report.skipped == {"over the index's cap (1 windows)": 1}
    monkeypatch.setattr(index_module, "MAX_WINDOWS", 1_000)
    assert index.refresh().indexed == 1


def test_a_search_only_index_follows_what_the_indexer_commits(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen_complete.context.index import repo as index_module

    monkeypatch.setattr(index_module, "READER_RELOAD_S", 0.0)
    cache = tmp_path / "cache"
    reader = RepoIndex.for_workspace(project, cache, writable=False)  # the server's, meanwhile
    assert reader.search(QUERY) == []
    builder = RepoIndex.for_workspace(project, cache)  # the indexer process's
    builder.refresh()
    assert reader.search(QUERY)[0].path == "client.py"
    reader.update(project / "client.py")  # writes nothing: the builder holds the writer
    builder.close()
    reader.close()
