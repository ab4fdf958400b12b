#!/usr/bin/env bash
# Builds the libFuzzer target (clang, ASan, UBSan) in build/fuzz and runs it on
# a scratch copy of fuzz/corpus for a bounded time. Exits non-zero on any
# crash, leak, UBSan report, timeout or uncaught exception.
# Usage: FUZZ_SECONDS=300 scripts/fuzz.sh [extra libFuzzer flags...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
build_dir=${FUZZ_BUILD_DIR:-build/fuzz}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
# Installs what is missing from Debian's archive when root; otherwise says what to install.
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    if ! installed "$package"; then
      missing+=("$package")
    fi
  done
  if [[ ${#missing[@]} == 0 ]]; then
    return
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "fuzz: missing packages: ${missing[*]}" >&2
    echo "hint: install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "fuzz: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

ensure_packages clang cmake ninja-build libyaml-cpp-dev libcli11-dev libboost-dev \
  libboost-filesystem-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssl-dev libzip-dev
# -fsanitize=fuzzer needs compiler-rt's libclang_rt.fuzzer, packaged per clang version.
clang_major=$(clang++ -dumpversion | cut -d. -f1)
ensure_packages "libclang-rt-${clang_major}-dev"

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYLAUNCH_FUZZ=ON -DBUILD_TESTING=OFF \
  -DRAYLAUNCH_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target spec_fuzzer
fuzzer="$root/$build_dir/fuzz/spec_fuzzer"
if [[ ! -x $fuzzer ]]; then
  echo "fuzz: $fuzzer was not built; does CMakeLists.txt have" \
    "if(RAYLAUNCH_FUZZ) add_subdirectory(fuzz) endif()?" >&2
  exit 1
fi

# The corpus grows in a scratch folder, never in the repository. It is kept
# when the run fails, for the crashing input.
work=$(mktemp -d "${TMPDIR:-/tmp}/raylaunch-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
cp fuzz/corpus/* "$work/corpus/"
log="$work/fuzz.log"

# Leak detection is ASan's default on Linux; spell it out so an ASAN_OPTIONS
# inherited from the caller cannot turn it off unnoticed (later entries win).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

status=0
start=$SECONDS
"$fuzzer" "$work/corpus" -dict=fuzz/yaml.dict -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -detect_leaks=1 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" 2>&1 | tee "$log" || status=$?
elapsed=$((SECONDS - start))

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
if [[ -z $runs ]]; then  # -fork mode prints no final stats
  runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
fi
# Sanitizers abort here, but a report is a failure even if the exit code hides it.
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then
  if [[ $status == 0 ]]; then
    status=1
  fi
fi
if [[ $status != 0 ]]; then
  trap - EXIT
  echo "fuzz: FAILED after ${runs:-?} runs in ${elapsed} s (exit $status);" \
    "the input and log are in $work/artifacts/ and $log;" \
    "reproduce with: $fuzzer $work/artifacts/<file>" >&2
  exit 1
fi
echo "fuzz: ${runs:-?} runs in ${elapsed} s (${rate:-?}/s), no crash"
