-- `:checkhealth codegen_complete`: is the server there, is its model installed, is it running.
local M = {}

local DEFAULT_MODEL = 'qwen2.5-coder-0.5b'

--- The server's program: `cmd` without its last word (`serve`).
local function program(opts)
  return vim.list_slice(opts.cmd, 1, #opts.cmd - 1)
end

local function list_command(opts)
  local command = vim.list_extend(program(opts), { 'model', 'list' })
  if opts.settings.modelsDir then
    vim.list_extend(command, { '--models-dir', opts.settings.modelsDir })
  end
  return command
end

local function check_model(opts)
  local model = opts.settings.model or DEFAULT_MODEL
  local ok, run = pcall(vim.system, list_command(opts), { text = true })
  local result = ok and run:wait(30000) or { code = -1, stdout = '', stderr = tostring(run) }
  if result.code ~= 0 then
    vim.health.error('`model list` failed: ' .. vim.trim(result.stderr or ''))
    return
  end
  for line in vim.gsplit(result.stdout, '\n') do
    local name, rest = line:match('^%s+(%S+)%s*(.*)$')
    if name == model then
      if rest:find('not installed', 1, true) then
        local install = table.concat(program(opts), ' ')
          .. ' model install ' .. model
          .. (opts.settings.modelsDir and (' --models-dir ' .. opts.settings.modelsDir) or '')
        vim.health.error('model ' .. model .. ' is not installed', { 'Run: ' .. install })
      else
        vim.health.ok('model ' .. model .. ' installed (' .. vim.trim(rest) .. ')')
      end
      return
    end
  end
  vim.health.error('model ' .. model .. ' is unknown to the server', { result.stdout })
end

function M.check()
  vim.health.start('codegen-complete')
  local plugin = require('codegen_complete')
  local opts = plugin.options
  if not opts then
    vim.health.error('setup() has not been called', { "require('codegen_complete').setup({})" })
    return
  end
  local executable = opts.cmd[1]
  if vim.fn.executable(executable) ~= 1 then
    vim.health.error('server command not found: ' .. executable, {
      'Install it (README: `make model`) or set `cmd` to its full path',
    })
    return
  end
  vim.health.ok('server command: ' .. vim.fn.exepath(executable))
  check_model(opts)
  if opts.settings.backend == 'remote' then
    -- The local model still builds the prompts (its tokenizer); the server continues them.
    vim.health.info('remote backend: ' .. (opts.settings.remoteUrl or '(remoteUrl not set)'))
  end
  if vim.fn.has('nvim-0.10') == 1 then
    vim.health.ok('ghost text: inline virtual text (Neovim 0.10+)')
  else
    vim.health.error('Neovim 0.10 or newer is needed for ghost text (inline virtual text)')
  end
  local state, message = plugin.status()
  if #vim.lsp.get_clients({ name = 'codegen_complete' }) == 0 then
    vim.health.info('server not running: it starts with the first file of a served filetype')
  elseif state == 'ready' then
    vim.health.ok('server ready: ' .. message)
  elseif state == 'error' then
    vim.health.error('server: ' .. message, { ':checkhealth vim.lsp, and the server log (:CodegenComplete log; more with log_level = \'debug\')' })
  else
    vim.health.info('server ' .. state .. ': ' .. message)
  end
end

return M
