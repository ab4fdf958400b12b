#!/usr/bin/env python3
"""Checks raylaunch's JSON Schema (docs/raylaunch.schema.json) against specs.

    schema_check.py SCHEMA ROOT

Every example and every golden input must validate. Every spec in
tests/data/bad whose expected message is one a schema can express (an
unknown key, a wrong type, a number out of range, a value not in an enum)
must fail validation. The rest (YAML syntax, interpolation, cross-field
rules, patterns) are the loader's alone and are not checked here.
"""
import glob
import json
import os
import re
import sys

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
]


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
    print(f"{len(good)} good specs validate; {checked} bad specs checked")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
