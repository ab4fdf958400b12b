#!/usr/bin/env python3
"""Checks RayCluster and RayService manifests against KubeRay's CRDs, as the
API server would.

Usage: check_raycluster.py CRD [CRD...] MANIFEST...

The leading arguments that are CustomResourceDefinitions are the CRDs (the
RayCluster one, and the RayService one for RayService manifests); each
manifest is checked against the CRD of its kind. It must validate against the
openAPIV3Schema of the CRD's v1 version, and must hold no field the schema does not know: the API server
prunes unknown fields of a custom resource without a word, so a field the
schema lacks would silently mean nothing. Prints one line per problem and
exits 1 when there is any.
"""
import sys

import jsonschema
import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def v1_schema(crd_path):
    crd = load(crd_path)
    for version in crd["spec"]["versions"]:
        if version["name"] == "v1":
            return version["schema"]["openAPIV3Schema"]
    raise SystemExit(f"{crd_path}: no v1 version")


def unknown_fields(value, schema, path):
    """Yields the paths of keys that `schema` would prune."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, child in value.items():
            if properties is not None and key in properties:
                yield from unknown_fields(child, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                yield from unknown_fields(child, extra, f"{path}.{key}")
            elif properties is not None and extra is not True:
                yield f"{path}.{key}"
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, child in enumerate(value):
            yield from unknown_fields(child, schema["items"], f"{path}[{i}]")


def problems(manifest_path, schemas):
    doc = load(manifest_path)
    kind = doc.get("kind")
    if doc.get("apiVersion") != "ray.io/v1" or kind not in schemas:
        yield f"not a ray.io/v1 {' or '.join(sorted(schemas))}"
        return
    schema = schemas[kind]
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or "(top)"
        yield f"{where}: {error.message}"
    for path in unknown_fields(doc, schema, ""):
        yield f"{path.lstrip('.')}: not in the schema (the API server would drop it)"


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    schemas = {}
    args = sys.argv[1:]
    while args and load(args[0]).get("kind") == "CustomResourceDefinition":
        crd = load(args[0])
        schemas[crd["spec"]["names"]["kind"]] = v1_schema(args.pop(0))
    failed = False
    for manifest in args:
        for problem in problems(manifest, schemas):
            print(f"{manifest}: {problem}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
