#!/usr/bin/env bash
# Package the extension as a .vsix: `editors/vscode/build-vsix.sh [OUTPUT.vsix]`.
# Installs the pinned npm packages (package-lock.json), type-checks extension.js, packages.
set -euo pipefail
here=$(dirname "$0")
version=$(node -p "require('$(realpath "$here")/package.json').version")
out=$(realpath -m "${1:-$here/codegen-complete-$version.vsix}")
mkdir -p "$(dirname "$out")"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
npx --no-install vsce package --allow-missing-repository --skip-license --out "$out" >/dev/null
echo "$out"
