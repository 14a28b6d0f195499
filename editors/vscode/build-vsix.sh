#!/usr/bin/env bash
# Package the extension as a .vsix: `editors/vscode/build-vsix.sh [OUTPUT.vsix]`.
# Installs the pinned npm packages (package-lock.json), type-checks extension.js, packages.
set -euo pipefail
cd "$(dirname "$0")"
out=$(realpath -m "${1:-codegen-complete-$(node -p 'require("./package.json").version').vsix}")
npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
npx --no-install vsce package --allow-missing-repository --skip-license --out "$out" >/dev/null
echo "$out"
