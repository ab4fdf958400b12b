#!/usr/bin/env bash
# `raylaunch export` checked by the real tools: every example exported (the
# RayClusters against KubeRay's CRD are export_crd_test.sh's), every example's
# compose file through `docker-compose config`, and the quickstart's compose
# file brought up by docker-compose on the engine with the ray stand-in,
# where `raylaunch status -p` must see every node alive, then taken down.
# Usage: export_test.sh RAYLAUNCH
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
cd "$WORK"

deadline_s=90

# The exports of the examples as written (the stand-in image is only for the cluster below).
for example in "$root"/examples/*.yml; do
  name=$(basename "$example" .yml)
  env -u RAY_IMAGE "$RAYLAUNCH" export kuberay -f "$example" -o "$name.kuberay.yaml" 2>/dev/null
  check "export kuberay of $name exits 0" 0 $?
  if grep -q '^hosts:' "$example"; then
    # compose runs a project on one engine: a spec across hosts is refused, at hosts:
    env -u RAY_IMAGE "$RAYLAUNCH" export compose -f "$example" -o "$name.compose.yml" 2>err.out
    rc=$?
    check "export compose of $name is refused (exit 2, first line)" \
      "2 examples/$name.yml:$(grep -n '^hosts:' "$example" | cut -d: -f1 | xargs -I{} expr {} + 1):3: error: docker compose runs a project on one engine, but the spec spans $(grep -cE '^  [a-z0-9-]+:' <(sed -n '/^hosts:/,/^[a-z]/p' "$example")) hosts" \
      "$rc $(head -1 err.out | sed "s|^$root/||")"
    continue
  fi
  env -u RAY_IMAGE "$RAYLAUNCH" export compose -f "$example" -o "$name.compose.yml" 2>/dev/null
  check "export compose of $name exits 0" 0 $?
done

# The gpu-workers example asks for one GPU per worker and a memory-backed
# /dev/shm of the size raylaunch plans (16g in the spec).
env -u RAY_IMAGE "$RAYLAUNCH" config -f "$root/examples/gpu-workers.yml" --format json >gpu-plan.json 2>/dev/null
check "the gpu-workers RayCluster asks for one GPU a worker and the planned /dev/shm" \
  "gpu replicas=2 gpu limits=1 requests=1 shm=Memory:16Gi=17179869184 planned=17179869184" \
  "$(python3 - gpu-workers.kuberay.yaml gpu-plan.json <<'EOF'
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
plan = json.load(open(sys.argv[2]))
units = {"Gi": 1 << 30, "Mi": 1 << 20, "Ki": 1 << 10}
for group in doc["spec"]["workerGroupSpecs"]:
    pod = group["template"]["spec"]
    res = pod["containers"][0]["resources"]
    mount = [m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == "/dev/shm"][0]
    shm = [v for v in pod["volumes"] if v["name"] == mount["name"]][0]["emptyDir"]
    size = shm["sizeLimit"]
    num = int(size[:-2]) * units[size[-2:]] if size[-2:] in units else int(size)
    planned = {c["shm_size"] for c in plan["containers"] if c["group"] == group["groupName"]}
    print(group["groupName"], f"replicas={group['replicas']}", group["groupName"],
          f"limits={res['limits']['nvidia.com/gpu']} requests={res['requests']['nvidia.com/gpu']}",
          f"shm={shm['medium']}:{size}={num}", f"planned={','.join(map(str, sorted(planned)))}")
EOF
)"

# docker-compose accepts every compose export.
for file in ./*.compose.yml; do
  docker-compose -f "$file" config -q >config.out 2>&1
  check "docker-compose config accepts $(basename "$file")" "0 " "$? $(cat config.out)"
done

# The quickstart's compose file, with the stand-in and free host ports,
# brought up by docker-compose: raylaunch sees the cluster by its labels.
project compose; p=$P
sed "s/^name: quickstart/name: $p/; s/gcs: 6379, dashboard: 8265, client: 10001/gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT/" \
  "$root/examples/quickstart.yml" >quick.yml
"$RAYLAUNCH" export compose -f quick.yml -o quick.compose.yml 2>export.err
check "export compose of the quickstart exits 0 without warnings" "0 " "$? $(cat export.err)"
compose_down() { docker-compose -p "$p" -f quick.compose.yml down -v --remove-orphans -t 5 >/dev/null 2>&1; }
trap 'compose_down; cleanup' EXIT
docker-compose -p "$p" -f quick.compose.yml up -d >up.out 2>&1
check "docker-compose up -d exits 0" "0" "$?"
poll "$deadline_s" "raylaunch status -p sees every node alive" "$RAYLAUNCH" status -p "$p"
"$RAYLAUNCH" status -p "$p" >status.out 2>&1
check "raylaunch status -p exits 0" 0 $?
check "raylaunch status -p shows every node alive" "Ray: 3 of 3 nodes alive" "$(grep '^Ray:' status.out)"
check "every container runs under raylaunch's name" "$p-cpu-1 running
$p-cpu-2 running
$p-head running" "$(containers_of "$p")"
check "ray status in the head counts every node" 3 \
  "$(docker exec "$p-head" ray status | grep -c '^ 1 node_')"
docker-compose -p "$p" -f quick.compose.yml down -t 5 >down.out 2>&1
check "docker-compose down exits 0" 0 $?
check "docker-compose down leaves no container and no network" "" \
  "$(containers_of "$p")$(networks_of "$p")"
finish
