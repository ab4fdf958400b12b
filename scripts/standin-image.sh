#!/usr/bin/env bash
# Builds the test image raylaunch/ray-standin:test: busybox plus the "ray
# stand-in" (tests/support/standin_*.c, one program), a small program that imitates
# Ray's `ray` command line and a part of its dashboard API for raylaunch's
# tests. It is a test fixture, NOT Ray; real clusters use a Ray image.
#
# Like rayproject/ray, the image runs as user ray: uid 1000, gid 100
# (users), HOME=/home/ray, working directory /home/ray.
#
# Usage: scripts/standin-image.sh [TAG]     (default raylaunch/ray-standin:test)
# Env:   DOCKER   the docker program (default: docker)
#
# The image also holds ray-standin-gcs-grpc (tests/support/gcs_grpc.cc and
# autoscaler.proto), the gRPC server of the head's GCS port, built with g++
# against Debian's grpc++ and copied in with every shared library it loads.
#
# Needs musl-tools, busybox-static, g++, pkg-config, libgrpc++-dev and
# protobuf-compiler-grpc (installed with apt-get when missing and running
# as root) and a reachable Docker engine. Safe to re-run: each
# run rebuilds the image in a few seconds and drops the one it replaces.
set -euo pipefail

tag=${1:-raylaunch/ray-standin:test}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$here/../tests/support
srcs=("$srcdir"/standin_*.c)

die() {
  echo "standin-image.sh: $*" >&2
  exit 1
}

[[ -f $srcdir/standin.h && -f $srcdir/standin_main.c ]] || die "cannot find the stand-in's sources in $srcdir"

# --- tools: musl-gcc and a static busybox --------------------------------
have_static_busybox() {
  [[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) == "install ok installed" ]]
}
packages=(musl-tools busybox-static g++ pkg-config libgrpc++-dev protobuf-compiler-grpc)
if ! command -v musl-gcc >/dev/null || ! have_static_busybox || ! command -v g++ >/dev/null ||
  ! command -v grpc_cpp_plugin >/dev/null || ! pkg-config --exists grpc++ 2>/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    die "${packages[*]} are needed; run as root, or install them: apt-get install -y ${packages[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq "${packages[@]}" >/dev/null; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
fi
busybox=$(dpkg-query -L busybox-static | grep -E '/s?bin/busybox$' | head -n1)
[[ -x $busybox ]] || die "busybox-static is installed but its binary was not found"

"$docker" info >/dev/null 2>&1 || die "cannot reach the Docker engine with '$docker info'"

# --- build ----------------------------------------------------------------
build=$(mktemp -d "${TMPDIR:-/tmp}/ray-standin.XXXXXX")
trap 'rm -rf "$build"' EXIT

musl-gcc -static -O2 -Wall -Wextra -o "$build/ray" "${srcs[@]}"
"$build/ray" --version >/dev/null || die "the compiled stand-in does not run"

# The GCS's gRPC server: the stubs of autoscaler.proto, then the program
# (half a minute of g++, so it is kept in a cache keyed by its sources).
cache=${XDG_CACHE_HOME:-$HOME/.cache}/raylaunch-standin
key=$(cat "$srcdir/gcs_grpc.cc" "$srcdir/autoscaler.proto" <(g++ --version) \
  <(pkg-config --modversion grpc++ protobuf) | sha256sum | cut -c1-16)
if [[ ! -x $cache/gcs-grpc-$key ]]; then
  mkdir -p "$build/grpc" "$cache"
  protoc -I"$srcdir" --cpp_out="$build/grpc" --grpc_out="$build/grpc" \
    --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" "$srcdir/autoscaler.proto"
  # shellcheck disable=SC2046 # pkg-config's words are separate arguments
  g++ -O1 -std=c++17 -Wall -I"$build/grpc" -o "$build/ray-standin-gcs-grpc" \
    "$srcdir/gcs_grpc.cc" "$build/grpc/autoscaler.pb.cc" "$build/grpc/autoscaler.grpc.pb.cc" \
    $(pkg-config --cflags --libs grpc++ protobuf)
  cp "$build/ray-standin-gcs-grpc" "$cache/gcs-grpc-$key.tmp.$$"
  mv "$cache/gcs-grpc-$key.tmp.$$" "$cache/gcs-grpc-$key"
fi
cp "$cache/gcs-grpc-$key" "$build/ray-standin-gcs-grpc"

root=$build/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/usr/local/bin" "$root/etc" "$root/root" "$root/tmp" \
  "$root/home/ray"
chmod 1777 "$root/tmp"
chmod 0755 "$root/home/ray"
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$build/ray" "$root/usr/local/bin/ray"
install -m 0755 "$build/ray-standin-gcs-grpc" "$root/usr/local/bin/ray-standin-gcs-grpc"
# ... with the shared libraries it loads and the ELF interpreter, at the
# paths ldd names (busybox itself is static).
while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done < <(ldd "$build/ray-standin-gcs-grpc" | grep -oE '/[^ ]+' | sort -u)

applets=$("$busybox" --list)
for a in sh ls cat sleep ps kill echo mkdir rm tail grep nslookup wget env id hostname unzip; do
  grep -qx "$a" <<<"$applets" || die "this busybox has no '$a' applet"
  ln -s busybox "$root/bin/$a"
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
ray:x:1000:100::/home/ray:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
users:x:100:
nogroup:x:65534:
EOF

# --- import -----------------------------------------------------------------
# Everything belongs to root but /home/ray and the `ray` program, which
# belong to ray:users (in rayproject/ray, `ray` lives in /home/ray/anaconda3,
# owned by ray too). Two passes, as tar maps all owners or none.
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$build/rootfs.tar" \
  --exclude=./home/ray --exclude=./usr/local/bin/ray .
tar --numeric-owner --owner=1000 --group=100 -C "$root" -rf "$build/rootfs.tar" \
  ./home/ray ./usr/local/bin/ray
"$docker" import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV HOME=/home/ray' \
    --change 'USER 1000' \
    --change 'WORKDIR /home/ray' \
    --change 'CMD ["sh"]' \
    --change 'LABEL io.raylaunch.standin=true org.opencontainers.image.description="ray stand-in for raylaunch tests; not Ray"' \
    --message 'ray stand-in for tests; not Ray' \
    "$build/rootfs.tar" "$tag" >/dev/null
# Earlier builds are left untagged; drop those no container uses any more.
for id in $("$docker" images -q --filter dangling=true --filter label=io.raylaunch.standin=true); do
  "$docker" rmi "$id" >/dev/null 2>&1 || true
done

echo "built $tag (ray stand-in for tests; not Ray)"
