#!/usr/bin/env bash
# Sets up and tears down a second Docker engine on this machine, in its own
# network namespace, standing in for a second machine in multi-host tests
# (the same picture as two machines on one LAN). A veth pair links
# the two "hosts": 10.231.0.1 (rlb-a) on this side, 10.231.0.2 (rlb-b) in
# namespace rlb2, where a second dockerd runs with its own data-root,
# exec-root, socket, pidfile and containerd namespaces and no default bridge.
# Its iptables rules live in that namespace: they masquerade what leaves a
# user-defined bridge there, so containers on either engine, host-networked
# or on a project network, reach the other side at the other address.
#
# Usage: scripts/second-engine.sh up [IMAGE...]
#          Brings the engine up (or reuses one that answers; a half state
#          left by an earlier run is torn down first), copies each IMAGE from
#          the first engine when the second lacks it or has another one under
#          that name, then prints the engine's endpoint on stdout, and
#          nothing else: unix:///run/docker-rlb2.sock
#        scripts/second-engine.sh down [--purge]
#          Removes the engine's containers, stops its dockerd, deletes the
#          namespace and the veth pair. Nothing set up is fine. --purge also
#          deletes its data-root and exec-root (its images with them).
#        scripts/second-engine.sh check
#          Exits 0 when this machine can run a second engine (root,
#          `ip netns`, veth, nsenter, dockerd, docker); otherwise says what is
#          missing on stderr and exits 1. Installs nothing.
# Env:   RLB2_NS (rlb2), RLB2_VETH_HOST (rlb-a), RLB2_VETH_NS (rlb-b),
#        RLB2_HOST_IP (10.231.0.1), RLB2_NS_IP (10.231.0.2), RLB2_PREFIX (24),
#        RLB2_DATA_ROOT (/var/lib/docker-rlb2), RLB2_EXEC_ROOT
#        (/run/docker-rlb2), RLB2_SOCK (/run/docker-rlb2.sock), RLB2_PIDFILE
#        (/run/docker-rlb2.pid), RLB2_LOG (/tmp/raylaunch-dockerd-rlb2.log),
#        RLB2_TIMEOUT (60: seconds to wait for dockerd to answer, or to exit),
#        DOCKER (the docker program, default: docker).
#
# Needs root, iproute2 and util-linux (installed with apt-get by `up` when
# `ip` or `nsenter` is missing), and Debian's dockerd (docker.io). Copying
# images needs the first engine to answer. Concurrent runs wait for each
# other (flock on /run/docker-rlb2.lock).
set -euo pipefail

ns=${RLB2_NS:-rlb2}
veth_host=${RLB2_VETH_HOST:-rlb-a}
veth_ns=${RLB2_VETH_NS:-rlb-b}
host_ip=${RLB2_HOST_IP:-10.231.0.1}
ns_ip=${RLB2_NS_IP:-10.231.0.2}
prefix=${RLB2_PREFIX:-24}
data_root=${RLB2_DATA_ROOT:-/var/lib/docker-rlb2}
exec_root=${RLB2_EXEC_ROOT:-/run/docker-rlb2}
sock=${RLB2_SOCK:-/run/docker-rlb2.sock}
pidfile=${RLB2_PIDFILE:-/run/docker-rlb2.pid}
log=${RLB2_LOG:-/tmp/raylaunch-dockerd-rlb2.log}
timeout_s=${RLB2_TIMEOUT:-60}
docker=${DOCKER:-docker}
endpoint=unix://$sock
netns_file=/run/netns/$ns
lockfile=${sock%.sock}.lock
shims_left=

die() {
  echo "second-engine.sh: $*" >&2
  exit 1
}
say() {
  echo "second-engine.sh: $*" >&2
}

# The docker CLI on the second engine; bounded, so a hung engine cannot stall us.
docker2() {
  timeout 30 "$docker" -H "$endpoint" "$@"
}
answers() {
  timeout 5 "$docker" -H "$endpoint" info >/dev/null 2>&1
}

# A process that exists and is not a zombie.
alive() {
  local state
  [[ -n $1 && -r /proc/$1/stat ]] || return 1
  state=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# The pid of our dockerd: the one in the pidfile, if it is a dockerd that
# serves our socket; otherwise a dockerd whose command line names our pidfile
# (one that lost its pidfile). Prints nothing when there is none.
engine_pid() {
  local pid cmd dir
  if [[ -r $pidfile ]]; then
    pid=$(tr -dc 0-9 <"$pidfile")
    if alive "$pid"; then
      cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
      if [[ $cmd == *dockerd* && $cmd == *" $endpoint "* ]]; then
        echo "$pid"
        return 0
      fi
    fi
  fi
  for dir in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline" || true)
    if [[ $cmd == *dockerd* && $cmd == *" --pidfile $pidfile "* ]]; then
      echo "${dir#/proc/}"
      return 0
    fi
  done
}

# True when the engine answers, runs in our namespace, and the veth pair is
# up with both addresses: then `up` reuses it.
healthy() {
  local pid
  answers || return 1
  pid=$(engine_pid)
  [[ -n $pid && -e $netns_file ]] || return 1
  [[ $(stat -L -c %i "/proc/$pid/ns/net") == $(stat -L -c %i "$netns_file") ]] || return 1
  ip -o -4 addr show dev "$veth_host" up 2>/dev/null | grep -qF " $host_ip/$prefix " || return 1
  ip netns exec "$ns" ip -o -4 addr show dev "$veth_ns" up 2>/dev/null |
    grep -qF " $ns_ip/$prefix " || return 1
}

# Sends a signal to pid and waits (bounded) until it is gone.
stop_pid() {
  local pid=$1 what=$2 deadline
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout_s))
  while alive "$pid" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if alive "$pid"; then
    say "$what (pid $pid) still runs ${timeout_s} s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.2
    done
    alive "$pid" && die "$what (pid $pid) does not exit even after SIGKILL"
  fi
  return 0
}

teardown() {
  local pid ids cpid mnt
  if answers; then
    ids=$(docker2 ps -aq 2>/dev/null || true)
    if [[ -n $ids ]]; then
      say "removing the containers of the second engine"
      # shellcheck disable=SC2086
      docker2 rm -f $ids >/dev/null || say "could not remove all its containers"
    fi
    docker2 network prune -f >/dev/null 2>&1 || true
  fi
  pid=$(engine_pid)
  if [[ -n $pid ]]; then
    say "stopping the second dockerd (pid $pid)"
    stop_pid "$pid" dockerd
  fi
  # dockerd stops the containerd it started; one left behind by a dockerd
  # that was killed outright would be reused or block the next start.
  if [[ -r $exec_root/containerd/containerd.pid ]]; then
    cpid=$(tr -dc 0-9 <"$exec_root/containerd/containerd.pid")
    if alive "$cpid" && tr '\0' ' ' 2>/dev/null <"/proc/$cpid/cmdline" | grep -qF "$exec_root/containerd/"; then
      say "stopping the second engine's containerd (pid $cpid)"
      stop_pid "$cpid" containerd
    fi
  fi
  rm -f "$pidfile"
  # Containers of a dockerd that died outright keep running under their
  # shims; only a dockerd on this data-root (the next `up`) stops them.
  local shims=() dir
  for dir in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$dir/cmdline" | grep -q "/containerd-shim[^ ]* .*-address $exec_root/containerd/containerd.sock "; then
      shims+=("${dir#/proc/}")
    fi
  done
  if ((${#shims[@]})); then
    shims_left="${shims[*]}"
  fi
  # dockerd bind-mounts its network namespace at exec-root/netns/default (once
  # a --network host container ran) and leaves it mounted when it exits: that
  # would keep the namespace, and the veth pair in it, alive after
  # `ip netns del`. With dockerd gone, nothing uses these any more.
  while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt" || say "cannot unmount $mnt"
  done < <(awk -v d="$exec_root/netns/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo)
  local deadline
  if [[ -e $netns_file ]]; then
    ip netns del "$ns" || die "cannot delete network namespace $ns"
    # The kernel destroys the namespace, and with it rlb-b and rlb-a,
    # a moment later.
    deadline=$((SECONDS + 5))
    while ip link show "$veth_host" >/dev/null 2>&1 && ((SECONDS < deadline)); do
      sleep 0.1
    done
  fi
  # Still here: a pair never moved into the namespace (an earlier run stopped
  # halfway), or a namespace something else keeps alive.
  local link
  for link in "$veth_host" "$veth_ns"; do
    if ip link show "$link" >/dev/null 2>&1; then
      say "deleting $link"
      ip link del "$link" 2>/dev/null || true
      ! ip link show "$link" >/dev/null 2>&1 || die "cannot delete $link"
    fi
  done
}

need_root() {
  [[ $(id -u) == 0 ]] || die "needs root (network namespaces, a second dockerd)"
}

lock() {
  exec 9>"$lockfile"
  flock -w $((timeout_s * 2)) 9 || die "another second-engine.sh holds $lockfile"
}

# --- check ------------------------------------------------------------------
cmd_check() {
  local missing=()
  [[ $(id -u) == 0 ]] || missing+=("root (running as uid $(id -u))")
  if ! command -v ip >/dev/null; then
    missing+=("ip (apt-get install iproute2)")
  elif ! ip netns list >/dev/null 2>&1; then
    missing+=("a working 'ip netns' ('ip netns list' fails)")
  elif [[ $(id -u) == 0 ]] && command -v unshare >/dev/null &&
    ! unshare --net ip link add rlbchk0 type veth peer name rlbchk1 >/dev/null 2>&1; then
    # Tried in a throwaway namespace that vanishes with the command.
    missing+=("veth links (cannot create one in a new network namespace)")
  fi
  command -v nsenter >/dev/null || missing+=("nsenter (apt-get install util-linux)")
  command -v dockerd >/dev/null || missing+=("dockerd (apt-get install docker.io)")
  command -v "$docker" >/dev/null || missing+=("the docker CLI ($docker)")
  if ((${#missing[@]})); then
    local m
    for m in "${missing[@]}"; do
      say "missing: $m"
    done
    exit 1
  fi
}

# --- up ---------------------------------------------------------------------
install_tools() {
  local want=()
  command -v ip >/dev/null || want+=(iproute2)
  command -v nsenter >/dev/null || want+=(util-linux)
  ((${#want[@]})) || return 0
  say "installing: ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  fi
  if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
    die "ip or nsenter still missing after installing ${want[*]}"
  fi
}

start_network() {
  local other
  other=$(ip -o -4 addr show to "$host_ip/$prefix" | awk '{print $2}' | grep -vxF "$veth_host" || true)
  [[ -z $other ]] || die "$host_ip/$prefix is already in use on this machine (on: $other)"
  ip netns add "$ns"
  ip link add "$veth_host" type veth peer name "$veth_ns"
  ip link set "$veth_ns" netns "$ns"
  ip addr add "$host_ip/$prefix" dev "$veth_host"
  ip link set "$veth_host" up
  ip netns exec "$ns" ip addr add "$ns_ip/$prefix" dev "$veth_ns"
  ip netns exec "$ns" ip link set "$veth_ns" up
  ip netns exec "$ns" ip link set lo up
}

start_dockerd() {
  local pid deadline
  mkdir -p "$data_root" "$exec_root"
  # nsenter, not `ip netns exec`: that remounts /sys, which hides the cgroup
  # mounts, and dockerd then cannot start containers. setsid: the engine
  # outlives this script and its process group until `down`; fd 9 (the lock)
  # is not passed on.
  setsid nsenter --net="$netns_file" dockerd \
    --data-root "$data_root" --exec-root "$exec_root" \
    -H "$endpoint" --pidfile "$pidfile" \
    --bridge=none --iptables=true --ip-masq=true \
    --containerd-namespace "$ns" --containerd-plugins-namespace "$ns-plugins" \
    </dev/null >"$log" 2>&1 9>&- &
  pid=$!
  say "starting a second dockerd in namespace $ns (pid $pid, log: $log)"
  deadline=$((SECONDS + timeout_s))
  until answers; do
    if ! alive "$pid"; then
      say "the second dockerd exited before it answered; the end of its log:"
      tail -n 30 "$log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "the second dockerd did not answer on $endpoint within ${timeout_s} s; the end of its log:"
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

copy_image() {
  local image=$1 id1 id2
  id1=$("$docker" image inspect -f '{{.Id}}' "$image" 2>/dev/null) ||
    die "image $image is not on the first engine"
  id2=$(docker2 image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  if [[ $id1 == "$id2" ]]; then
    return 0
  fi
  say "copying $image to the second engine"
  "$docker" save "$image" | timeout 600 "$docker" -H "$endpoint" load >&2 ||
    die "could not copy $image to the second engine"
}

cmd_up() {
  need_root
  install_tools
  command -v dockerd >/dev/null || die "dockerd is missing (apt-get install docker.io)"
  local image
  for image in "$@"; do
    "$docker" image inspect "$image" >/dev/null 2>&1 || die "image $image is not on the first engine"
  done
  lock
  if healthy; then
    say "reusing the second engine at $endpoint"
  else
    if [[ -e $netns_file ]] || [[ -n $(engine_pid) ]] || ip link show "$veth_host" >/dev/null 2>&1; then
      say "cleaning up what an earlier run left"
      teardown
    fi
    start_network
    start_dockerd
  fi
  for image in "$@"; do
    copy_image "$image"
  done
  echo "$endpoint"
}

# --- down -------------------------------------------------------------------
cmd_down() {
  local purge=false
  case ${1:-} in
    '') ;;
    --purge) purge=true ;;
    *) die "down takes no argument but --purge (got: $1)" ;;
  esac
  need_root
  command -v ip >/dev/null || die "ip is missing (apt-get install iproute2)"
  lock
  teardown
  if [[ -n $shims_left ]]; then
    say "containers of a dockerd that died still run (containerd-shim pids: $shims_left)"
    die "run '$0 up' and then '$0 down' to remove them"
  fi
  if $purge; then
    local dir
    for dir in "$data_root" "$exec_root"; do
      [[ -d $dir ]] || continue
      if grep -qF " $dir/" /proc/self/mountinfo; then
        die "something is still mounted under $dir; not deleting it"
      fi
      rm -rf "$dir"
    done
    rm -f "$log"
  fi
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  check) shift; cmd_check ;;
  *)
    echo "usage: $0 up [IMAGE...] | down [--purge] | check" >&2
    exit 2
    ;;
esac
