#!/usr/bin/env bash
# The schema as an editor uses it: yaml-language-server 1.25.0 from npm
# (installed once into BUILD_DIR) checks the examples and a bad spec
# (yaml_ls_check.py). Skipped (77) without npm or the registry; under CI a
# skip is a failure (common.sh).
#
#   tests/integration/yaml_ls_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=$1
source_dir=$2
prefix=$build/yaml-language-server
server=$prefix/node_modules/.bin/yaml-language-server
source "$(dirname "$0")/common.sh"
skip() { skip_or_fail "yaml-language-server: $1"; }
if [[ ! -x $server ]]; then
  command -v npm >/dev/null || skip "npm is missing (scripts/install-deps.sh --docker)"
  npm install --prefix "$prefix" --no-audit --no-fund --silent yaml-language-server@1.25.0 \
    >/dev/null 2>&1 || skip "npm install yaml-language-server failed (no registry?)"
fi
exec timeout 120 python3 "$(dirname "$0")/yaml_ls_check.py" "$server" \
  "$source_dir/docs/raylaunch.schema.json" "$source_dir"
