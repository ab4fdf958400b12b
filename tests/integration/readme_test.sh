#!/usr/bin/env bash
# The newcomer's path (issue 23): README.md's first cluster, copied out of
# README.md as printed, brought up and taken down on a real engine with the
# ray stand-in, by the three commands README.md prints, run as printed.
#
# What is copied, from the fenced block after each marker:
#   <!-- readme-test: first-cluster -->   the spec, saved as raylaunch.yml
#   <!-- readme-test: first-commands -->  the commands, each line one command
#   <!-- readme-test: first-error ... --> what `config` says of the spec with
#                                         `replicas` misspelt `replics`
# Nothing in them is changed. The spec is saved in a folder named after a
# project unique to this run (the README says the project is named after its
# folder), and the variables the spec reads are set as a user may set them:
# RAY_IMAGE to the stand-in (lib.sh), GCS_PORT, DASHBOARD_PORT and CLIENT_PORT
# to free ports, so the quickstart's cluster (6379, 8265, 10001) or any other
# may run beside it. Only the program's name `raylaunch` is taken to mean the
# binary under test. Each command must exit 0; after `down` nothing of the
# project is left.
#
#   tests/integration/readme_test.sh RAYLAUNCH
source "$(dirname "$0")/lib.sh"
README=$(cd "$(dirname "$0")/../.." && pwd)/README.md

# block MARKER: the fenced block after the line `<!-- readme-test: MARKER...`.
block() {
  awk -v marker="<!-- readme-test: $1" '
    index($0, marker) == 1 { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }
  ' "$README"
}

project readme
mkdir "$WORK/$P" && cd "$WORK/$P" || exit 1
block first-cluster >raylaunch.yml
lines=$(grep -c '' raylaunch.yml)
check "README's first cluster is there, under ten lines of YAML" yes \
  "$( ((lines > 0 && lines < 10)) && echo yes || echo "no ($lines lines)")"
export GCS_PORT=$GCS DASHBOARD_PORT=$DASHBOARD CLIENT_PORT=$CLIENT

mapfile -t commands < <(block first-commands)
words_of() { read -ra words <<<"${1%%#*}"; }
said=""
for line in "${commands[@]}"; do
  words_of "$line"
  said+="${words[1]:-} "
done
check "README prints three commands: up, status, down" "up status down " "$said"

for line in "${commands[@]}"; do
  words_of "$line"
  if [[ ${words[0]} != raylaunch ]]; then
    fail "README's command is not raylaunch's: $line"
    continue
  fi
  "$RAYLAUNCH" "${words[@]:1}" >"$WORK/out" 2>"$WORK/err"
  code=$?
  check "\`${words[*]}\` as README prints it exits 0" 0 "$code"
  ((code == 0)) || cat "$WORK/out" "$WORK/err"
  case ${words[1]} in
    up)
      check "after up every node of the first cluster runs" \
        "$P-cpu-1 running
$P-cpu-2 running
$P-head running" "$(containers_of "$P")"
      check "up names the dashboard on the port the spec reads" yes \
        "$(grep -qxF "  dashboard    http://127.0.0.1:$DASHBOARD" "$WORK/out" && echo yes || cat "$WORK/out")"
      ;;
    status)
      check "status says every node is alive" "Ray: 3 of 3 nodes alive" \
        "$(grep '^Ray: ' "$WORK/out")"
      ;;
    down)
      check "after down nothing of the project is left" "" \
        "$(containers_of "$P")$(networks_of "$P")$(docker volume ls -q --filter "label=io.raylaunch.project=$P")"
      ;;
  esac
done

# The error README shows is what config says of the misspelt spec, whole.
sed 's/replicas:/replics:/' raylaunch.yml >"$WORK/raylaunch.yml"
(cd "$WORK" && "$RAYLAUNCH" config >/dev/null 2>"$WORK/config.err")
check "config of the misspelt first cluster exits 2" 2 "$?"
check "README's error example is what config prints" "$(block first-error)" \
  "$(cat "$WORK/config.err")"
rm -f "$WORK/raylaunch.yml"
finish
