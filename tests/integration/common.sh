# Shared by every test script, Docker or not: how a test reads CI, how it
# says it cannot run, and host ports no other process holds. Sourced, not run.
#
# CI is read one way everywhere: CI=true or CI=1 (what CI services set; .ci/run
# sets CI=true). A test that cannot run here (no engine, not root, a tool
# missing) exits 77, which ctest counts as skipped (SKIP_RETURN_CODE 77 in
# tests/CMakeLists.txt), after a line starting with SKIP; under CI it fails.

common_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

in_ci() { [[ ${CI:-} == true || ${CI:-} == 1 ]]; }

# skip_or_fail WHY...: this test cannot run here. Never returns.
skip_or_fail() {
  if in_ci; then
    echo "FAIL: $* (CI=${CI}: every test must run here, not skip)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

# free_ports N: N distinct free host ports the kernel picked (32768 and up),
# on one line; see ports.py. Each test asks for its own, so none holds a
# fixed port another cluster on this machine may use.
free_ports() { python3 "$common_dir/ports.py" free "$1"; }
# port_block N: the first of N consecutive free ports in 20000-32767, for
# host networking's network.port_base.
port_block() { python3 "$common_dir/ports.py" block "$1"; }
# refused_port: sets REFUSED_PORT to a port on 127.0.0.1 where every
# connection is refused, held so for as long as this shell runs.
refused_port() {
  exec {refused_fd}< <(python3 "$common_dir/ports.py" refused)
  read -r REFUSED_PORT <&"$refused_fd"
}
