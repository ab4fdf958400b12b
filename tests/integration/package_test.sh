#!/usr/bin/env bash
# The .deb as a user installs it: cpack builds it from BUILD_DIR, lintian
# finds no error, `dpkg -i` installs it, the installed raylaunch, man page and
# bash completion work, and `dpkg -r` removes it again.
#
#   tests/integration/package_test.sh BUILD_DIR
#
# Needs root, dpkg and bash-completion; skipped (77) without them, or when a
# raylaunch package is already installed (it is not ours to remove). Under CI
# a skip is a failure (common.sh).
set -euo pipefail

build=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
skip() { skip_or_fail "package: $1"; }
[[ $(id -u) == 0 ]] || skip "dpkg -i needs root"
for tool in dpkg cpack lintian man; do
  command -v "$tool" >/dev/null || skip "$tool is missing (scripts/install-deps.sh --docker)"
done
loader=/usr/share/bash-completion/bash_completion
[[ -f $loader ]] || skip "bash-completion is missing (scripts/install-deps.sh --docker)"
if dpkg-query -W -f='${Status}' raylaunch 2>/dev/null | grep -q installed; then
  skip "a raylaunch package is already installed"
fi

work=$(mktemp -d)
installed=false
cleanup() {
  if $installed; then
    dpkg -r raylaunch >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cpack -G DEB -B "$work" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; exit 1; }
deb=$(echo "$work"/raylaunch_*.deb)
dpkg-deb -f "$deb" Recommends | grep -qx 'docker.io | docker-ce'
# raylaunch autoscale as a service, one instance per spec (docs/autoscaling.md).
unit=$(dpkg-deb -c "$deb" | grep -o '\./usr/lib/systemd/system/raylaunch-autoscale@\.service$') ||
  { echo "FAIL - the package has no raylaunch-autoscale@.service" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$unit" | grep -qx 'ExecStart=/usr/bin/raylaunch autoscale -f %f --progress plain --log-level info' ||
  { echo "FAIL - raylaunch-autoscale@.service does not run raylaunch autoscale -f %f" >&2; exit 1; }
dpkg-deb -f "$deb" Depends | grep -q 'libyaml-cpp'   # computed by dpkg-shlibdeps

# lintian: no error; the warnings accepted are in cmake/debian/lintian-overrides.
lintian --allow-root --fail-on error "$deb" | tee "$work/lintian.log"
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors," \
  "$(grep -c '^W:' "$work/lintian.log" || true) warnings"

# --path-include: a machine whose dpkg leaves out man pages and docs still gets ours.
dpkg -i --path-include='/usr/share/man/man1/raylaunch.1.gz' \
  --path-include='/usr/share/doc/raylaunch/*' "$deb" >/dev/null
installed=true
/usr/bin/raylaunch --version | grep -q '^raylaunch '
[[ $(man -w raylaunch) == /usr/share/man/man1/raylaunch.1.gz ]]
page=$(MANWIDTH=100 man raylaunch 2>/dev/null)
for section in "EXIT STATUS" ENVIRONMENT FILES EXAMPLES RAYLAUNCH_DOCKER DOCKER_HOST; do
  grep -q "$section" <<<"$page" || { echo "FAIL: man page lacks $section" >&2; exit 1; }
done
for command in $(/usr/bin/raylaunch __complete ""); do
  grep -q "^   $command" <<<"$page" || { echo "FAIL: man page lacks $command" >&2; exit 1; }
done
for file in /usr/share/zsh/vendor-completions/_raylaunch \
  /usr/share/fish/vendor_completions.d/raylaunch.fish; do
  [[ -f $file ]] || { echo "FAIL: $file not installed" >&2; exit 1; }
done

# bash-completion's own loader finds the installed file, and it completes.
bash -c 'source "$1"
  __load_completion raylaunch && complete -p raylaunch' loader "$loader" | grep -q '_raylaunch'
echo "package: bash-completion's loader finds the installed completion"
PATH=/usr/bin:$PATH "$here/completion_test.sh" raylaunch \
  /usr/share/bash-completion/completions/raylaunch

dpkg -r raylaunch >/dev/null
installed=false
[[ ! -e /usr/bin/raylaunch && ! -e /usr/share/man/man1/raylaunch.1.gz ]]
echo "package: built, lintian clean of errors, installed, used and removed"
