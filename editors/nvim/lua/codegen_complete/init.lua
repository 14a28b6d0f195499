-- codegen-complete for Neovim: starts `codegen-complete serve` as an LSP server and shows its
-- suggestions as ghost text (Neovim 0.12: vim.lsp.inline_completion) or, on 0.10/0.11, as
-- completion items (vim.lsp.completion).
local M = {}

M.defaults = {
  cmd = { 'codegen-complete', 'serve' },
  filetypes = nil, -- nil: every filetype
  -- The project's root (its files give context, its index is searched): the nearest folder
  -- with the first marker found going up, so a repository's .git comes before a package's
  -- own file in a monorepo. No marker: the file alone, without workspace context.
  root_markers = {
    '.git', '.hg', 'pyproject.toml', 'setup.py', 'package.json', 'go.mod', 'Cargo.toml',
    'pom.xml', 'build.gradle', 'build.gradle.kts', 'CMakeLists.txt',
  },
  -- Server settings (see the README): model, modelsDir, threads, maxLines, debounceMs,
  -- context, retrieval, checkNames, timeLimit, enabledLanguages.
  settings = {},
  keymaps = {
    accept = '<Tab>', -- the whole suggestion
    accept_word = '<M-Right>', -- up to the end of the next word
    accept_line = '<M-Down>', -- up to the end of the current line of the suggestion
    -- No next/previous keys: the server makes one suggestion per place.
  },
}

local NAME = 'codegen_complete'
-- Where vim.lsp.inline_completion draws its ghost text.
local GHOST = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')

-- The server's last `codegenComplete/status` notification: loading / ready / error.
local state = { state = 'starting', message = '' }

--- The server's state for a statusline: `'ready'`, `'loading'`, `'error'` or `'starting'`, and
--- its message (the model's name, or what went wrong).
---@return string state, string message
function M.status()
  return state.state, state.message
end

--- The part of `text` to accept: the next word (with what precedes it) or the first line.
---@param text string
---@param unit 'word'|'line'
---@return string
function M.partial(text, unit)
  if unit == 'line' then
    local first = text:match('^\n?[^\n]*') or text
    return first
  end
  local word = text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+')
  return word or text
end

--- Insert `text`, a part of the item's text, at the item's start, leaving the cursor after
--- it. The item's range may cover closers after the cursor that its whole text writes again
--- (`f(|)` with `x) + 1`): a part keeps them.
local function insert_at(item, text)
  local bufnr = vim.api.nvim_get_current_buf()
  local start = item.range and item.range.start:to_cursor() or vim.api.nvim_win_get_cursor(0)
  local row, col = start[1] - 1, start[2]
  local whole = text == (type(item.insert_text) == 'string' and item.insert_text
    or item.insert_text.value)
  if item.range and whole then
    local stop = item.range.end_:to_cursor()
    vim.api.nvim_buf_set_text(bufnr, row, col, stop[1] - 1, stop[2], vim.split(text, '\n'))
  else
    vim.api.nvim_buf_set_text(bufnr, row, col, row, col, vim.split(text, '\n'))
  end
  local lines = vim.split(text, '\n')
  vim.api.nvim_win_set_cursor(0, { row + #lines, (#lines == 1 and col or 0) + #lines[#lines] })
end

--- Whether ghost text is on screen on the cursor's line of the current buffer.
local function ghost_shown()
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  return #vim.api.nvim_buf_get_extmarks(0, GHOST, { row, 0 }, { row, -1 }, { limit = 1 }) > 0
end

--- Ghost text that no longer applies is cleared at once. Neovim redraws the last suggestion
--- at the place it was asked for until the next answer comes (seconds, on a slow machine):
--- after Enter it stood on the line above, looking like code.
--- Whether ghost text stands on a line other than the cursor's in the current buffer.
local function stale_ghost(buf)
  if not vim.api.nvim_buf_is_valid(buf) or buf ~= vim.api.nvim_get_current_buf() then
    return false
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, GHOST, 0, -1, {})) do
    if mark[2] ~= row then
      return true
    end
  end
  return false
end

local function clear_stale_ghost(buf)
  if stale_ghost(buf) then
    vim.api.nvim_buf_clear_namespace(buf, GHOST, 0, -1)
  end
end

--- Ghost text must never pass for code: `ComplHint` links to `NonText`, which some colour
--- schemes leave without a terminal colour (no 'termguicolors'); then it gets a grey, italic.
local function ghost_highlight()
  local hint = vim.api.nvim_get_hl(0, { name = 'ComplHint', link = false })
  if hint.ctermfg == nil then
    vim.api.nvim_set_hl(0, 'ComplHint', {
      fg = hint.fg or 0x808080, ctermfg = 244, italic = true, cterm = { italic = true },
    })
  end
end

local function accept_part(unit)
  return function()
    local accepted = ghost_shown() and vim.lsp.inline_completion.get({
      on_accept = function(item)
        local text = type(item.insert_text) == 'string' and item.insert_text
          or item.insert_text.value
        insert_at(item, M.partial(text, unit))
      end,
    })
    if not accepted then
      return unit == 'word' and '<S-Right>' or '<Down>'
    end
  end
end

local function map_keys(keys)
  local inline = vim.lsp.inline_completion
  if keys.accept then
    vim.keymap.set('i', keys.accept, function()
      -- Only what is on screen is accepted (never a suggestion for another place).
      if not ghost_shown() or not inline.get() then
        return keys.accept
      end
    end, { expr = true, replace_keycodes = true, desc = 'codegen-complete: accept' })
  end
  if keys.accept_word then
    vim.keymap.set('i', keys.accept_word, accept_part('word'),
      { expr = true, replace_keycodes = true, desc = 'codegen-complete: accept a word' })
  end
  if keys.accept_line then
    vim.keymap.set('i', keys.accept_line, accept_part('line'),
      { expr = true, replace_keycodes = true, desc = 'codegen-complete: accept a line' })
  end
end

--- Inline completion for the buffer being edited only. Neovim 0.12-dev builds before
--- neovim#35965 fire every enabled buffer's inline completion on every key (their autocommands
--- are not buffer-scoped): with two buffers open each key sent a request for the other buffer
--- too, and its answer was shown past that buffer's end ("Index out of bounds"). Enabling the
--- current buffer alone is right on every build.
local function follow_current_buffer()
  local inline = vim.lsp.inline_completion
  local function ours(buf)
    return #vim.lsp.get_clients({ name = NAME, bufnr = buf }) > 0
  end
  local function focus(buf)
    for _, other in ipairs(vim.api.nvim_list_bufs()) do
      if other ~= buf and inline.is_enabled({ bufnr = other }) then
        inline.enable(false, { bufnr = other })
      end
    end
    if ours(buf) and not inline.is_enabled({ bufnr = buf }) then
      inline.enable(true, { bufnr = buf })
    end
  end
  local group = vim.api.nvim_create_augroup('codegen_complete_inline', { clear = true })
  -- Runs before Neovim's own CursorMovedI handler (registered later, when a buffer is
  -- enabled), which redraws the last suggestion at the column it was asked for: the line the
  -- cursor left may have lost its unused auto-indent meanwhile, and drawing past its end is an
  -- error ("Invalid 'col': out of range") with a Press-ENTER prompt that swallows a key.
  -- Restarting inline completion for the buffer forgets that suggestion.
  vim.api.nvim_create_autocmd('CursorMovedI', {
    group = group,
    callback = function(args)
      if not stale_ghost(args.buf) or not inline.is_enabled({ bufnr = args.buf }) then
        return
      end
      inline.enable(false, { bufnr = args.buf })
      vim.schedule(function()
        local buf = vim.api.nvim_get_current_buf()
        focus(buf)
        -- The restarted completion asks for the new place as Neovim's handler would have.
        if buf == args.buf and vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
          vim.api.nvim_exec_autocmds('CursorMovedI', { buffer = buf, modeline = false })
        end
      end)
    end,
  })
  vim.api.nvim_create_autocmd({ 'CursorMovedI', 'TextChangedI' }, {
    group = group,
    -- Scheduled: after Neovim's own handler has redrawn the last suggestion.
    callback = function(args) vim.schedule(function() clear_stale_ghost(args.buf) end) end,
  })
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = ghost_highlight })
  ghost_highlight()
  vim.api.nvim_create_autocmd('BufEnter', {
    group = group,
    callback = function(args) focus(args.buf) end,
  })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      if args.buf == vim.api.nvim_get_current_buf() then focus(args.buf) end
    end,
  })
end

-- The cursor rests this long on a line before the server hears of it (see report_focus).
local FOCUS_DELAY_MS = 150

--- Tell the server where the user is (a buffer entered, the cursor moved to another line in
--- normal mode), so that it warms that place's prompt before the first key: on a laptop CPU
--- the prompt of a new place takes seconds to read, and the first suggestion there would come
--- from a small one. Insert mode needs none: every key asks for a suggestion anyway.
local function report_focus()
  local group = vim.api.nvim_create_augroup('codegen_complete_focus', { clear = true })
  local timer = assert(vim.uv.new_timer())
  local last = nil
  local function send()
    local buf = vim.api.nvim_get_current_buf()
    local client = vim.lsp.get_clients({ name = NAME, bufnr = buf })[1]
    if not client then
      return
    end
    local win = vim.api.nvim_get_current_win()
    local key = buf .. ':' .. vim.api.nvim_win_get_cursor(win)[1]
    if key == last then
      return
    end
    last = key
    local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
    client:notify('codegenComplete/didFocus', params)
  end
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorMoved', 'LspAttach' }, {
    group = group,
    callback = function()
      timer:stop()
      timer:start(FOCUS_DELAY_MS, 0, vim.schedule_wrap(send))
    end,
  })
  vim.api.nvim_create_autocmd('User', {
    group = group,
    pattern = 'CodegenCompleteStatus',
    callback = function() -- the model is there: warm where the user is
      if state.state == 'ready' then
        last = nil
        timer:stop()
        timer:start(0, 0, vim.schedule_wrap(send))
      end
    end,
  })
end

function M.setup(opts)
  opts = vim.tbl_deep_extend('force', M.defaults, opts or {})
  M.options = opts -- for :checkhealth codegen_complete
  -- Without this, Neovim fails to start the server in silence (only its LSP log says why).
  if vim.fn.executable(opts.cmd[1]) == 0 then
    vim.notify(('codegen-complete: %q is not an executable: set `cmd` to its full path (e.g. '
      .. "the repository's .venv/bin/codegen-complete), or put it on PATH; "
      .. ':checkhealth codegen_complete tells more'):format(opts.cmd[1]), vim.log.levels.WARN)
  end
  local config = {
    name = NAME,
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    init_options = opts.settings,
    settings = { codegenComplete = opts.settings },
    handlers = {
      ['codegenComplete/status'] = function(_, params)
        state = { state = params.state, message = params.message or '' }
        vim.api.nvim_exec_autocmds('User', { pattern = 'CodegenCompleteStatus', modeline = false })
        -- A statusline showing status() is drawn from it only when redrawn.
        vim.cmd.redrawstatus({ bang = true })
      end,
    },
  }
  if vim.lsp.config then -- Neovim 0.11+
    vim.lsp.config(NAME, config)
    vim.lsp.enable(NAME)
  else -- Neovim 0.10
    vim.api.nvim_create_autocmd('FileType', {
      pattern = opts.filetypes or '*',
      callback = function(args)
        local root = vim.fs.root(args.buf, opts.root_markers) or vim.fn.getcwd()
        vim.lsp.start(vim.tbl_extend('force', config, { root_dir = root }), { bufnr = args.buf })
      end,
    })
  end
  if vim.lsp.inline_completion then -- Neovim 0.12: ghost text
    follow_current_buffer()
    report_focus()
    map_keys(opts.keymaps)
  elseif vim.lsp.completion then -- Neovim 0.11: completion items while typing
    vim.api.nvim_create_autocmd('LspAttach', {
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        if client and client.name == NAME then
          vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = true })
        end
      end,
    })
  end
end

return M
