"""The log of recently edited places, and the snippets it gives the prompt."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.edits import EditedRegion, EditLog, changed_lines, edit_snippets

ROOT = Path("/work/project")
MODELS = ROOT / "models.py"
VIEWS = ROOT / "views.py"


def test_newest_first_and_bounded() -> None:
    log = EditLog(size=2)
    log.record(MODELS, 10, 10, 10)
    log.record(VIEWS, 3, 3, 4)
    log.record(MODELS, 40, 40, 40)
    assert log.regions() == (EditedRegion(MODELS, 40, 40), EditedRegion(VIEWS, 3, 4))


def test_typing_on_in_one_place_is_one_region() -> None:
    log = EditLog()
    for line in range(20, 26):  # a new line each time, then a character on it
        log.record(MODELS, line, line, line + 1)
        log.record(MODELS, line + 1, line + 1, line + 1)
    assert log.regions() == (EditedRegion(MODELS, 20, 26),)


def test_lines_inserted_or_deleted_above_move_a_region() -> None:
    log = EditLog()
    log.record(MODELS, 50, 50, 52)  # lines 50-52 written
    log.record(MODELS, 5, 5, 8)  # three lines inserted at the top
    assert log.regions() == (EditedRegion(MODELS, 5, 8), EditedRegion(MODELS, 53, 55))
    log.record(MODELS, 10, 14, 10)  # four lines deleted between them
    assert log.regions()[-1] == EditedRegion(MODELS, 49, 51)
    log.record(VIEWS, 0, 0, 30)  # another file's lines do not move it
    assert EditedRegion(MODELS, 49, 51) in log.regions()


def test_deleting_a_regions_lines_shrinks_it() -> None:
    log = EditLog()
    log.record(MODELS, 10, 10, 14)
    log.record(MODELS, 12, 16, 12)  # lines 12-16 joined into one
    assert log.regions() == (EditedRegion(MODELS, 10, 12),)


def test_forgetting_a_closed_document() -> None:
    log = EditLog()
    log.record(MODELS, 1, 1, 1)
    log.record(VIEWS, 1, 1, 1)
    log.forget(MODELS)
    assert log.regions() == (EditedRegion(VIEWS, 1, 1),)


def test_snippets_show_each_region_from_the_text_as_it_is_now() -> None:
    models = "\n".join(f"line {n}" for n in range(100))
    views = "\n".join(f"view {n}" for n in range(200))
    regions = [EditedRegion(MODELS, 30, 31), EditedRegion(VIEWS, 150, 150)]
    snippets = edit_snippets(regions, {MODELS: models, VIEWS: views}, VIEWS, range(100, 124), ROOT)
    assert [(s.path, s.order) for s in snippets] == [("models.py", 28), ("views.py", 148)]
    assert snippets[0].text == "\n".join(f"line {n}" for n in range(28, 34))


def test_the_prompts_own_lines_and_unknown_texts_are_not_shown() -> None:
    views = "\n".join(f"view {n}" for n in range(200))
    regions = [EditedRegion(VIEWS, 110, 112), EditedRegion(MODELS, 3, 3)]
    # The cursor's own region is in the prompt; the other file's text is not known.
    assert edit_snippets(regions, {VIEWS: views}, VIEWS, range(100, 124), ROOT) == []
    outside = EditedRegion(Path("/elsewhere/x.py"), 1, 1)
    assert edit_snippets([outside], {outside.path: "a\nb\nc"}, VIEWS, range(0, 0), ROOT) == []


def test_a_long_region_shows_where_the_user_stopped() -> None:
    text = "\n".join(f"line {n}" for n in range(300))
    (snippet,) = edit_snippets([EditedRegion(MODELS, 100, 200)], {MODELS: text}, VIEWS,
                               range(0, 0), ROOT)  # fmt: skip
    assert snippet.text.split("\n")[-1] == "line 202"
    assert len(snippet.text.split("\n")) == 16


def test_the_lines_a_whole_text_change_touched() -> None:
    old = "a\nb\nc\nd"
    assert changed_lines(old, old) is None
    assert changed_lines(old, "a\nB\nc\nd") == (1, 1, 1)
    # Two lines inserted before line 2, two deleted from line 1: the next line takes part.
    assert changed_lines(old, "a\nb\nnew\nnew\nc\nd") == (2, 2, 4)
    assert changed_lines(old, "a\nd") == (1, 3, 1)


def test_open_secret_or_ignored_buffers_are_never_shown(tmp_path: Path) -> None:
    """Their edits and their similar windows stay out of the prompt, like their files."""
    from codegen_complete.context.gather import gather_context

    lines = "\n".join(f"token_{n} = fetch_token(user_{n})" for n in range(30))
    (tmp_path / ".gitignore").write_text("generated.py\n")
    buffers = {name: tmp_path / name for name in (".env", "generated.py", "tokens.py")}
    for path in buffers.values():
        path.write_text(lines)
    current = tmp_path / "main.py"
    before = "\n".join(lines.split("\n")[:12]) + "\n"  # much like every buffer
    current.write_text(before)
    for edits in ([EditedRegion(path, 10, 11) for path in buffers.values()], []):
        found = gather_context(
            before, len(before), current, tmp_path,
            neighbours=[(path, lines) for path in buffers.values()], edits=edits,
        )  # fmt: skip
        assert {snippet.path for snippet in found} == {"tokens.py"}, edits
