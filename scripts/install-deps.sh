#!/usr/bin/env bash
# Installs what raylaunch needs to build and test, from Debian's archive only,
# and only what is missing. Safe to run again. Needs root (or sudo) to install.
set -euo pipefail

build_packages=(cmake ninja-build g++ pkg-config libyaml-cpp-dev libcli11-dev libboost-dev
  libboost-filesystem-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssl-dev libgtest-dev
  libgmock-dev libbenchmark-dev libzip-dev python3 libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc)
# The Docker engine for `up`, what the ray stand-in image is built from, and
# `ss`, which the fault tests use to see a listener; docker-compose and the
# CRD check's Python modules for the export test (tests/integration/export_test.sh).
docker_packages=(docker.io busybox-static musl-tools iproute2 docker-compose python3-jsonschema
  python3-grpcio python3-protobuf
  python3-yaml)
# The package test (tests/integration/package_test.sh): lintian checks the
# .deb, man-db reads its man page, bash-completion loads its completion.
docker_packages+=(lintian man-db bash-completion)
# npm fetches yaml-language-server for the schema's editor test
# (tests/integration/yaml_ls_test.sh); a Node.js that brings its own npm is fine.
if ! command -v npm >/dev/null; then
  docker_packages+=(npm)
fi

want=("${build_packages[@]}")
if [[ ${1:-} == --docker ]]; then
  want+=("${docker_packages[@]}")
fi

missing=()
for package in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} == 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "raylaunch: missing packages: ${missing[*]}" >&2
    echo "hint: install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "installing: ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
