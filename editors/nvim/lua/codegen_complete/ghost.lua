-- Ghost text of our own: asks the server (textDocument/inlineCompletion) at every change in
-- insert mode, draws the answer with extmarks, keeps it while the keys typed agree with it,
-- clears it the moment one does not, and accepts only a suggestion for the text as it is now.
--
-- Not Neovim 0.12's vim.lsp.inline_completion: its builds redraw a rejected suggestion one
-- character shorter per key, draw raw bytes of a multi-byte one, accept a suggestion for the
-- text before the last key when Tab follows it quickly, and raise "Invalid 'col'" on
-- Backspace. Extmarks with inline virtual text exist since 0.10, so every supported Neovim
-- gets ghost text.
local M = {}

M.namespace = vim.api.nvim_create_namespace('codegen_complete_ghost')
M.highlight = 'CodegenCompleteGhost'

local METHOD = 'textDocument/inlineCompletion'
local AUTOMATIC, INVOKED = 2, 1 -- InlineCompletionTriggerKind
local HAS_011 = vim.fn.has('nvim-0.11') == 1

-- Per buffer: `pending` (the request in flight), `asked` (what it was asked for, so that a
-- key's TextChangedI and CursorMovedI send one request), `ghost` (the suggestion shown).
local buffers = {}

-- Set by init.lua: whether suggestions are on, and which client serves a buffer.
M.enabled = function() return true end
M.client_for = function(_) return nil end
M.on_busy = function(_) end -- a request started (true) or ended (false)

local function state_of(buf)
  buffers[buf] = buffers[buf] or {}
  return buffers[buf]
end

--- The byte column of `character` (in the client's encoding) in `line`.
local function byte_col(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, col
  if HAS_011 then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and col or #line
end

local function cursor()
  local position = vim.api.nvim_win_get_cursor(0)
  return position[1] - 1, position[2]
end

local function line_at(buf, row)
  return vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
end

--- What of `ghost` applies to the buffer as it is: the text still to insert at the cursor
--- and the byte column up to which it replaces (closers typed ahead), or nil when the text
--- typed since disagrees with it, the cursor left it, or the text after the cursor changed.
local function applicable(buf, ghost)
  if not ghost or buf ~= vim.api.nvim_get_current_buf() then
    return nil
  end
  local row, col = cursor()
  if row ~= ghost.row or col < ghost.start then
    return nil
  end
  local line = line_at(buf, row)
  local typed = line:sub(ghost.start + 1, col)
  if ghost.text:sub(1, #typed) ~= typed or #typed >= #ghost.text then
    return nil
  end
  local after = line:sub(col + 1)
  local stop
  if after == ghost.replaced .. ghost.tail then
    stop = col + #ghost.replaced
  elseif after == ghost.tail then -- the closers were typed over
    stop = col
  else
    return nil
  end
  return { text = ghost.text:sub(#typed + 1), row = row, col = col, stop = stop }
end

local function display(text)
  return (text:gsub('\t', string.rep(' ', vim.bo.tabstop)))
end

local function draw(buf, view, replaced)
  vim.api.nvim_buf_clear_namespace(buf, M.namespace, 0, -1)
  local lines = vim.split(view.text, '\n', { plain = true })
  local first = lines[1]
  local marks = {}
  -- The closers it replaces stay in the buffer: the text goes around them (`f(|)` with
  -- `x) + 1` shows `x` before the `)` and ` + 1` after it).
  local at = replaced ~= '' and view.stop > view.col and first:find(replaced, 1, true)
  if at then
    marks[#marks + 1] = { view.col, first:sub(1, at - 1) }
    marks[#marks + 1] = { view.stop, first:sub(at + #replaced) }
  else
    marks[#marks + 1] = { view.col, first }
  end
  for _, mark in ipairs(marks) do
    if mark[2] ~= '' then
      vim.api.nvim_buf_set_extmark(buf, M.namespace, view.row, mark[1], {
        virt_text = { { display(mark[2]), M.highlight } },
        virt_text_pos = 'inline',
        hl_mode = 'combine',
      })
    end
  end
  if #lines > 1 then
    local below = {}
    for i = 2, #lines do
      below[#below + 1] = { { display(lines[i]), M.highlight } }
    end
    vim.api.nvim_buf_set_extmark(buf, M.namespace, view.row, 0, { virt_lines = below })
  end
end

--- Clear the buffer's suggestion from the screen and forget it.
function M.clear(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local state = buffers[buf]
  if state then
    state.ghost = nil
  end
  if vim.api.nvim_buf_is_valid(buf) then
    vim.api.nvim_buf_clear_namespace(buf, M.namespace, 0, -1)
  end
end

--- Redraw the suggestion for the text as it is (shorter by what was typed), or clear it.
local function refresh(buf)
  local state = state_of(buf)
  local view = applicable(buf, state.ghost)
  if view then
    draw(buf, view, state.ghost.replaced)
  else
    M.clear(buf)
  end
end

local function cancel(buf)
  local state = buffers[buf]
  local pending = state and state.pending
  if not pending then
    return
  end
  state.pending = nil
  M.on_busy(false)
  if pending.id then
    pcall(function()
      if HAS_011 then pending.client:cancel_request(pending.id)
      else pending.client.cancel_request(pending.id) end
    end)
  end
end

--- The answer's first item: the result is an InlineCompletionList, a list of items, or null.
local function first_item(result)
  if type(result) ~= 'table' then
    return nil
  end
  local items = result.items or result
  return type(items) == 'table' and items[1] or nil
end

local function answered(buf, pending, err, result)
  local state = state_of(buf)
  if state.pending ~= pending then
    return -- cancelled, or a newer request was sent
  end
  state.pending = nil
  M.on_busy(false)
  local row, col = cursor()
  if err or buf ~= vim.api.nvim_get_current_buf() or not vim.api.nvim_get_mode().mode:match('^i')
    or vim.api.nvim_buf_get_changedtick(buf) ~= pending.tick or row ~= pending.row
    or col ~= pending.col then
    return -- asked for text that is no longer there
  end
  local item = first_item(result)
  local text = item and (type(item.insertText) == 'table' and item.insertText.value
    or item.insertText)
  if type(text) ~= 'string' or text == '' then
    M.clear(buf)
    return
  end
  local line = line_at(buf, row)
  local start, stop = col, col
  if item.range then
    local encoding = pending.client.offset_encoding or 'utf-16'
    if item.range.start.line ~= row or item.range['end'].line ~= row then
      M.clear(buf)
      return
    end
    start = byte_col(line, item.range.start.character, encoding)
    stop = math.max(col, byte_col(line, item.range['end'].character, encoding))
  end
  state.ghost = {
    row = row,
    start = start,
    text = text,
    replaced = line:sub(col + 1, stop),
    tail = line:sub(stop + 1),
  }
  refresh(buf)
end

--- Ask the server for the buffer's suggestion at the cursor (`invoked`: the user asked).
function M.request(buf, invoked)
  local client = M.client_for(buf)
  if not client then
    return
  end
  local state = state_of(buf)
  local row, col = cursor()
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  state.asked = { tick = tick, row = row, col = col }
  cancel(buf)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding or 'utf-16')
  params.context = { triggerKind = invoked and INVOKED or AUTOMATIC }
  local pending = { client = client, tick = tick, row = row, col = col }
  state.pending = pending
  M.on_busy(true)
  local handler = function(err, result) answered(buf, pending, err, result) end
  local ok, id
  if HAS_011 then
    ok, id = client:request(METHOD, params, handler, buf)
  else
    ok, id = client.request(METHOD, params, handler, buf)
  end
  if ok then
    pending.id = id
  elseif state.pending == pending then
    state.pending = nil
    M.on_busy(false)
  end
end

--- A change or a cursor move in insert mode: the suggestion shown is kept where it still
--- applies, and the server is asked once per key.
function M.changed(buf)
  if not M.enabled() then
    return
  end
  refresh(buf)
  local state = state_of(buf)
  local row, col = cursor()
  local asked = state.asked
  if asked and asked.tick == vim.api.nvim_buf_get_changedtick(buf) and asked.row == row
    and asked.col == col then
    return
  end
  if M.auto then
    M.request(buf, false)
  end
end

M.auto = true

--- Leaving insert mode or the buffer: nothing stays on screen, nothing is asked.
function M.stop(buf)
  cancel(buf)
  M.clear(buf)
  if buffers[buf] then
    buffers[buf].asked = nil
  end
end

--- Hide the current buffer's suggestion (the dismiss key); the next key asks again.
function M.dismiss()
  M.stop(vim.api.nvim_get_current_buf())
end

function M.forget(buf)
  M.stop(buf)
  buffers[buf] = nil
end

--- Whether a suggestion that applies to the text as it is now stands on screen.
function M.shown()
  local buf = vim.api.nvim_get_current_buf()
  return applicable(buf, (buffers[buf] or {}).ghost) ~= nil
end

--- The part of `text` to accept: the next word (with what precedes it) or the first line.
---@param text string
---@param unit 'word'|'line'|'all'
---@return string
function M.partial(text, unit)
  if unit == 'all' then
    return text
  end
  if unit == 'line' then
    return text:match('^\n?[^\n]*') or text
  end
  local word = text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+')
  return word or text
end

--- Insert the suggestion (or its next word or line) at the cursor; false when none applies.
---@param unit 'all'|'word'|'line'
function M.accept(unit)
  local buf = vim.api.nvim_get_current_buf()
  local state = buffers[buf]
  local view = applicable(buf, state and state.ghost)
  if not view then
    return false
  end
  local part = M.partial(view.text, unit)
  -- The whole suggestion writes the closers it replaces again; a part leaves them.
  local stop = part == view.text and view.stop or view.col
  local lines = vim.split(part, '\n', { plain = true })
  cancel(buf)
  vim.api.nvim_buf_set_text(buf, view.row, view.col, view.row, stop, lines)
  local last_row = view.row + #lines - 1
  local last_col = (#lines == 1 and view.col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { last_row + 1, last_col })
  if part == view.text then
    M.clear(buf)
  else
    refresh(buf) -- the rest stays on screen
  end
  return true
end

return M
