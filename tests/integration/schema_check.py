#!/usr/bin/env python3
"""Checks raylaunch's JSON Schema (docs/raylaunch.schema.json) against specs.

    schema_check.py SCHEMA ROOT [RAYLAUNCH]

Every example and every golden input must validate, and so must every YAML
snippet of the docs (README.md, docs/*.md) that the loader accepts
(`raylaunch config -q`, with RAYLAUNCH; each ${VAR} the snippet needs set:
a port if its name says PORT, else "1"): interpolated and quoted numbers included. Every spec in
tests/data/bad whose expected message is one a schema can express (an
unknown key, a wrong type, a number out of range, a value not in an enum)
must fail validation. The rest (YAML syntax, interpolation, cross-field
rules, patterns) are the loader's alone and are not checked here.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

# Messages a schema can express, by the loader's wording (first line of .expected).
SCHEMA_ERRORS = [
    r'unknown key "(?!<<)',  # a YAML merge key vanishes in a YAML loader
    r'must be (a|an) (mapping|list|scalar|string|size|number|integer), got',
    r'must be true or false, got',
    r'must be between -?\d+ and \d+, got -?\d+$',
    r'must be (more than|at least) 0, got -?[\d.]+$',
    r'must be (\w+, )*\w+ or \w+, got "',
    r'a worker group has no group name',  # required: group
]


def doc_snippets(root):
    """Every ```yaml block of the docs, as (where, text)."""
    paths = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for number, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", text, re.S), 1):
            yield f"{os.path.relpath(path, root)} snippet {number}", block


def loader_accepts(raylaunch, text, folder):
    """Whether `raylaunch config -q` takes the snippet, its variables set."""
    path = os.path.join(folder, "snippet.yml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    env = dict(os.environ)
    for number, name in enumerate(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)):
        env.setdefault(name, str(20000 + 10 * number) if "PORT" in name else "1")
    done = subprocess.run([raylaunch, "config", "-q", "-f", path], env=env, cwd=folder,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return done.returncode == 0


def expressible(message):
    if message.startswith("ray_args."):  # ray start's flags: free text to a schema
        return False
    return any(re.search(pattern, message) for pattern in SCHEMA_ERRORS)


def main():
    schema_path, root = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = []
    good = sorted(glob.glob(os.path.join(root, "examples", "*.yml")))
    good += [os.path.join(root, "tests", "data", "export", "everything.yml")]
    for path in good:
        with open(path, encoding="utf-8") as f:
            errors = list(validator.iter_errors(yaml.safe_load(f)))
        if errors:
            failures.append(f"{path}: should validate: {errors[0].message}")
    checked = 0
    for expected in sorted(glob.glob(os.path.join(root, "tests", "data", "bad", "*.expected"))):
        with open(expected, encoding="utf-8", errors="replace") as f:
            message = f.readline().split(" error: ", 1)[-1].strip()
        if not expressible(message):
            continue
        checked += 1
        spec = expected[: -len(".expected")] + ".yml"
        with open(spec, encoding="utf-8") as f:
            document = yaml.safe_load(f)
        if validator.is_valid(document):
            failures.append(f"{spec}: should fail the schema ({message})")
    if len(good) < 2:
        failures.append(f"no example read from {os.path.join(root, 'examples')}")
    if checked < 40:
        failures.append(f"only {checked} bad specs a schema can refuse, want at least 40")
    snippets = 0
    if len(sys.argv) > 3:
        with tempfile.TemporaryDirectory() as folder:
            for where, text in doc_snippets(root):
                if not loader_accepts(sys.argv[3], text, folder):
                    continue  # a fragment, or a spec shown to be refused
                snippets += 1
                errors = list(validator.iter_errors(yaml.safe_load(text)))
                if errors:
                    failures.append(f"{where}: the loader takes it, the schema does not: "
                                    f"{errors[0].message}")
    print(f"{len(good)} good specs and {snippets} doc snippets the loader takes validate; "
          f"{checked} bad specs checked")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
