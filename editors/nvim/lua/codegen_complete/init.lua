-- codegen-complete for Neovim: starts `codegen-complete serve` as an LSP server (one for the
-- whole Neovim instance: each project is a workspace folder of it) and shows its suggestions
-- as ghost text (ghost.lua), with commands and keys to control it.
local ghost = require('codegen_complete.ghost')

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
  -- context, retrieval, checkNames, timeLimit, enabledLanguages, backend, remote*.
  settings = {},
  enabled = true, -- :CodegenComplete enable / disable / toggle
  auto_trigger = true, -- false: suggestions only when asked for (keymaps.trigger)
  -- The server's log lines at this level and above go to log_file (:CodegenComplete log):
  -- 'debug' adds a line per request (what the prompt held, each step's time, why nothing
  -- was shown), 'info' the model and the index, 'warn' and 'error' problems only.
  log_level = 'warn',
  log_file = vim.fn.stdpath('log') .. '/codegen-complete.log',
  keymaps = {
    accept = '<Tab>', -- the whole suggestion
    accept_word = '<M-Right>', -- up to the end of the next word
    accept_line = '<M-Down>', -- up to the end of the current line of the suggestion
    trigger = '<M-\\>', -- ask for a suggestion here (also inside comments and strings)
    dismiss = '<C-]>', -- hide the suggestion shown
  },
}

local NAME = 'codegen_complete'
local LEVELS = { debug = 1, info = 2, warn = 3, error = 4 }
-- LSP MessageType → level: Error, Warning, Info, Log (the server's line per request), Debug.
local MESSAGE_LEVELS = { 'error', 'warn', 'info', 'debug', 'debug' }

-- The server's last `codegenComplete/status` notification: loading / ready / error; and how
-- many requests are in flight.
local state = { state = 'starting', message = '', busy = 0 }
local mapped = {} -- the keys setup() mapped, taken back when it is called again

local function notify(client, method, params)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:notify(method, params)
  end
  return client.notify(method, params) -- Neovim 0.10: a field, not a method
end

local function redraw_status()
  vim.api.nvim_exec_autocmds('User', { pattern = 'CodegenCompleteStatus', modeline = false })
  -- A statusline showing status() is drawn from it only when redrawn.
  vim.cmd.redrawstatus({ bang = true })
end

--- The server's state for a statusline: `'ready'`, `'loading'`, `'error'`, `'starting'` or
--- `'disabled'`; its message (the model's name, or what went wrong); and whether a request
--- is running.
---@return string state, string message, boolean busy
function M.status()
  if M.options and not M.options.enabled then
    return 'disabled', state.message, false
  end
  return state.state, state.message, state.busy > 0
end

--- A statusline item: `cc: ready`, `cc: …` while a request runs, `cc: loading`, `cc: off`.
function M.statusline()
  local current, _, busy = M.status()
  if current == 'disabled' then
    return 'cc: off'
  end
  return busy and current == 'ready' and 'cc: …' or ('cc: ' .. current)
end

ghost.on_busy = function(started)
  state.busy = math.max(0, state.busy + (started and 1 or -1))
  if state.busy <= 1 then -- 0 → 1 or 1 → 0: what the statusline shows changed
    vim.cmd.redrawstatus({ bang = true })
  end
end
ghost.enabled = function() return M.options ~= nil and M.options.enabled end
ghost.client_for = function(buf)
  return vim.lsp.get_clients({ name = NAME, bufnr = buf })[1]
end

local function write_log(level, message)
  local opts = M.options
  if not opts or not opts.log_file or LEVELS[level] < (LEVELS[opts.log_level] or 3) then
    return
  end
  local file = io.open(opts.log_file, 'a')
  if file then
    file:write(('%s [%s] %s\n'):format(os.date('%Y-%m-%d %H:%M:%S'), level, message))
    file:close()
  end
end

--- Each project is a workspace folder of the one server: opening a file of another project
--- adds its folder (its own context and index) rather than starting a second model.
local function reuse_client(client, config)
  if client.name ~= config.name then
    return false
  end
  local root = config.root_dir
  if type(root) == 'string' then
    local uri = vim.uri_from_fname(root)
    local folders = client.workspace_folders or {}
    for _, folder in ipairs(folders) do
      if folder.uri == uri then
        return true
      end
    end
    local added = { { uri = uri, name = root } }
    notify(client, 'workspace/didChangeWorkspaceFolders', { event = { added = added, removed = {} } })
    client.workspace_folders = vim.list_extend(folders, added)
  end
  return true
end

--- Ghost text follows the user: asked for at each change in insert mode, gone when insert
--- mode or the buffer is left.
local function follow_typing()
  local group = vim.api.nvim_create_augroup('codegen_complete_ghost', { clear = true })
  vim.api.nvim_create_autocmd({ 'InsertEnter', 'TextChangedI', 'TextChangedP', 'CursorMovedI' }, {
    group = group,
    callback = function(args)
      if ghost.client_for(args.buf) then
        ghost.changed(args.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    callback = function(args) ghost.stop(args.buf) end,
  })
  vim.api.nvim_create_autocmd({ 'BufUnload', 'BufWipeout' }, {
    group = group,
    callback = function(args) ghost.forget(args.buf) end,
  })
  -- Ghost text must never pass for code: grey and italic unless the user's colour scheme
  -- defines the group (`default`); a colour scheme change clears it, so it is set again.
  local function highlight()
    vim.api.nvim_set_hl(0, ghost.highlight, {
      default = true, fg = 0x808080, ctermfg = 244, italic = true, cterm = { italic = true },
    })
  end
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = highlight })
  highlight()
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
    local client = ghost.client_for(buf)
    if not client or not M.options.enabled then
      return
    end
    local win = vim.api.nvim_get_current_win()
    local key = buf .. ':' .. vim.api.nvim_win_get_cursor(win)[1]
    if key == last then
      return
    end
    last = key
    local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
    notify(client, 'codegenComplete/didFocus', params)
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

--- The keys: each does its job where a suggestion applies to the text as it is now, and is
--- its usual self elsewhere (Tab a Tab). Decided when the key runs, not when Neovim reads it:
--- keys typed before it are in the buffer by then, so `Q` then Tab at once, with a suggestion
--- that does not start with `Q`, is a Q and a Tab (an expression mapping is evaluated while
--- Neovim still gathers the `Q`, and accepted the suggestion made before it).
local function map_keys(keys)
  for _, lhs in ipairs(mapped) do
    pcall(vim.keymap.del, 'i', lhs)
  end
  mapped = {}
  local function map(lhs, run, otherwise, desc)
    if not lhs then
      return
    end
    local fallback = vim.api.nvim_replace_termcodes(otherwise, true, false, true)
    vim.keymap.set('i', lhs, function()
      if not run() then
        -- Its usual self, next in line before any key typed after it.
        vim.api.nvim_feedkeys(fallback, 'int', false)
      end
    end, { desc = desc })
    mapped[#mapped + 1] = lhs
  end
  local function accept(unit)
    return function() return ghost.accept(unit) end
  end
  map(keys.accept, accept('all'), keys.accept or '', 'codegen-complete: accept')
  map(keys.accept_word, accept('word'), '<S-Right>', 'codegen-complete: accept a word')
  map(keys.accept_line, accept('line'), '<Down>', 'codegen-complete: accept a line')
  map(keys.trigger, function()
    M.trigger()
    return true
  end, '', 'codegen-complete: suggest here')
  map(keys.dismiss, function()
    local shown = ghost.shown()
    ghost.dismiss()
    return shown
  end, keys.dismiss or '', 'codegen-complete: dismiss')
end

--- Ask for a suggestion at the cursor now (the trigger key), even with auto_trigger off.
function M.trigger()
  if M.options and M.options.enabled then
    ghost.request(vim.api.nvim_get_current_buf(), true)
  end
end

local function clients()
  return vim.lsp.get_clients({ name = NAME })
end

local function set_enabled(enabled)
  M.options.enabled = enabled
  if not enabled then
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      ghost.stop(buf)
    end
  end
  redraw_status()
end

--- `:CodegenComplete status`: the state, the model, the projects served, the log.
local function describe()
  local current, message = M.status()
  local lines = { ('codegen-complete: %s%s'):format(current, message ~= '' and (' (' .. message .. ')') or '') }
  for _, client in ipairs(clients()) do
    for _, folder in ipairs(client.workspace_folders or {}) do
      lines[#lines + 1] = '  project: ' .. folder.name
    end
  end
  lines[#lines + 1] = ('  suggestions: %s%s; log (%s): %s'):format(
    M.options.enabled and 'on' or 'off', M.options.auto_trigger and '' or ', on request only',
    M.options.log_level, M.options.log_file)
  return table.concat(lines, '\n')
end

local SUBCOMMANDS = {
  enable = function() set_enabled(true) end,
  disable = function() set_enabled(false) end,
  toggle = function() set_enabled(not M.options.enabled) end,
  status = function() vim.notify(describe()) end,
  log = function() vim.cmd.split(vim.fn.fnameescape(M.options.log_file)) end,
}

local function create_command()
  vim.api.nvim_create_user_command('CodegenComplete', function(command)
    local run = SUBCOMMANDS[command.args ~= '' and command.args or 'status']
    if not run then
      vim.notify('CodegenComplete: enable, disable, toggle, status or log', vim.log.levels.ERROR)
      return
    end
    run()
  end, {
    nargs = '?',
    desc = 'codegen-complete: enable, disable, toggle, status, log',
    complete = function() return vim.tbl_keys(SUBCOMMANDS) end,
  })
end

--- Set the plugin up, or change its settings: called again, it sends the running server the
--- new settings (a new model loads in the background) and maps the new keys.
function M.setup(opts)
  opts = vim.tbl_deep_extend('force', M.defaults, opts or {})
  local again = M.options ~= nil
  M.options = opts -- for :checkhealth codegen_complete
  ghost.auto = opts.auto_trigger
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
    -- Only files start the server: not an empty buffer (`nvim` alone would load a model).
    root_dir = function(bufnr, on_dir)
      if vim.api.nvim_buf_get_name(bufnr) ~= '' then
        on_dir(vim.fs.root(bufnr, opts.root_markers))
      end
    end,
    reuse_client = reuse_client,
    init_options = opts.settings,
    settings = { codegenComplete = opts.settings },
    handlers = {
      ['codegenComplete/status'] = function(_, params)
        state.state, state.message = params.state, params.message or ''
        redraw_status()
      end,
      ['window/logMessage'] = function(err, params, ctx)
        write_log(MESSAGE_LEVELS[params.type] or 'info', params.message)
        -- Then Neovim's own handler (its LSP log), looked up now: a user's override counts.
        return vim.lsp.handlers['window/logMessage'](err, params, ctx)
      end,
    },
  }
  for _, client in ipairs(clients()) do
    client.settings = config.settings
    notify(client, 'workspace/didChangeConfiguration', { settings = config.settings })
  end
  if vim.lsp.config then -- Neovim 0.11+
    vim.lsp.config(NAME, config)
    if not again then
      vim.lsp.enable(NAME)
    end
  elseif not again then -- Neovim 0.10
    vim.api.nvim_create_autocmd('FileType', {
      pattern = opts.filetypes or '*',
      callback = function(args)
        if vim.api.nvim_buf_get_name(args.buf) == '' then
          return
        end
        local root = vim.fs.root(args.buf, opts.root_markers) or vim.fn.getcwd()
        vim.lsp.start(vim.tbl_extend('force', config, { root_dir = root }),
          { bufnr = args.buf, reuse_client = reuse_client })
      end,
    })
  end
  follow_typing()
  report_focus()
  map_keys(opts.keymaps)
  create_command()
  if not opts.enabled then
    set_enabled(false)
  end
end

return M
