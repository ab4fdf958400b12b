#!/usr/bin/env bash
# --log-level and RAYLAUNCH_LOG_LEVEL: at info, `up` says why it creates each
# container, on stderr only (stdout keeps the dry-run's commands); an unknown
# level is a usage error. A fake docker stands in for the engine.
#
#   tests/integration/log_level_test.sh RAYLAUNCH
set -uo pipefail

raylaunch=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir demo && cd demo || exit 1
"$raylaunch" init --workers 1 --image rayproject/ray:2.52.1 >/dev/null || exit 1
cat >"$work/docker" <<'FAKE'
#!/bin/sh
case "$1 $2" in
  "image inspect") echo '[{"Id":"sha256:1","Config":{"User":""}}]' ;;
  "info "*) echo '{}' ;;
esac
exit 0
FAKE
chmod +x "$work/docker"
failures=0
want="raylaunch: info: reconcile: create network demo_net: it does not exist
raylaunch: info: reconcile: create demo-head: no container of that name exists
raylaunch: info: reconcile: create demo-cpu-1: no container of that name exists"
for how in "--log-level info" "env"; do
  if [[ $how == env ]]; then
    RAYLAUNCH_LOG_LEVEL=info "$raylaunch" up --dry-run --docker "$work/docker" --progress plain \
      >out 2>err
  else
    "$raylaunch" --log-level info up --dry-run --docker "$work/docker" --progress plain >out 2>err
  fi
  got=$(grep '^raylaunch: info: ' err)
  [[ $got == "$want" ]] || { echo "FAIL ($how): got \"$got\"" >&2; failures=$((failures + 1)); }
  ! grep -q '^raylaunch: ' out || { echo "FAIL ($how): log on stdout" >&2; failures=$((failures + 1)); }
done
"$raylaunch" up --dry-run --docker "$work/docker" --log-level warn >out 2>err
! grep -q 'reconcile' err || { echo "FAIL: reconcile lines at warn" >&2; failures=$((failures + 1)); }
"$raylaunch" config --log-level loud >/dev/null 2>err
if [[ $? != 2 ]] || ! grep -q 'loud not in {debug,info,warn,off}' err; then
  echo "FAIL: --log-level loud: $(cat err)" >&2
  failures=$((failures + 1))
fi
((failures == 0)) && echo "log-level: all cases pass"
exit $((failures > 0))
