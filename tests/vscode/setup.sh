#!/usr/bin/env bash
# Install what tests/test_vscode.py needs, on a fresh Debian machine: Chromium and the headers
# code-server builds against (apt), then code-server and playwright-core (package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"

packages=(chromium libkrb5-dev pkg-config ripgrep)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# code-server's @vscode/ripgrep downloads rg from GitHub at install time, which is out of
# reach here: put Debian's rg in its download cache under the name it looks for. The versions
# are those code-server 4.100.3 bundles (@vscode/ripgrep 1.15.11 fetching ripgrep v13.0.0-10).
rg_version=1.15.11
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) echo "no ripgrep seed for $(uname -m)" >&2; exit 1 ;;
esac
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$rg_version"
seed=$(mktemp -d)
mkdir -p "$cache"
cp "$(command -v rg)" "$seed/rg"
tar czf "$cache/ripgrep-v13.0.0-10-$rg_target.tar.gz" -C "$seed" rg
rm -r "$seed"

echo "installing code-server and playwright-core (about a minute)"
# code-server's postinstall refuses to run as root without npm_config_unsafe_perm.
npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error --unsafe-perm
touch node_modules/.bin/code-server
