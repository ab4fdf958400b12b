#!/usr/bin/env python3
"""The docs say what the code does (issue 15).

    docs_check.py RAYLAUNCH SOURCE_DIR

1. Every error message docs/spec-reference.md quotes is tied to a spec of the
   bad-input corpus that makes the loader print it. The convention: the
   message (or its hint) is a link whose text is one code span and whose
   target is the corpus spec,

       [`memory must be at least 6m, Docker's smallest limit, got "<value>"`](../tests/data/bad/162-memory-below-6m.yml)

   where `<anything>` stands for any text (even none). The spec's .expected (the whole
   stderr, checked by bad_input_test.sh) must have a line
   `FILE:LINE:COLUMN: error: MESSAGE`, `raylaunch: error: MESSAGE` or
   `hint: HINT` that the template matches whole.
2. In a table whose first column is "Message", every row's message is such a
   link, so no quoted message is left unchecked; when the second column is
   "Hint" and holds one code span, the spec prints that hint too.
3. A fenced example of an error (`cluster.yml:2:13: error: ...` and its
   `hint:` line) appears, up to the file name and place, in some .expected.
   Warnings are not checked here (the corpus holds errors only).
4. README.md is under 150 lines, and no table cell of README.md,
   docs/cli.md or docs/architecture.md is over 200 characters (issue 23).
   The options of each --help are held against docs/cli.md by
   cli_docs_check.py.
5. docs/architecture.md has a section per stage (`### base`, ...) that names
   each of the stage's files under src/.
"""
import re
import sys
from pathlib import Path

LINK = re.compile(r"\[`([^`]+)`\]\(\.\./tests/data/bad/([^)]+)\.yml\)")
PLACEHOLDER = re.compile(r"<[^<>]+>")
LOCATED = re.compile(r"^\S+:\d+:\d+: error: (.*)$")


def template_regex(template):
    parts = PLACEHOLDER.split(template)
    return re.compile("^" + ".*?".join(re.escape(part) for part in parts) + "$")


def printed_lines(expected):
    """The messages and hints an .expected file holds."""
    lines = []
    for line in expected.read_text(errors="replace").splitlines():
        located = LOCATED.match(line)
        if located:
            lines.append(located.group(1))
        elif line.startswith("raylaunch: error: "):
            lines.append(line[len("raylaunch: error: "):])
        elif line.startswith("hint: "):
            lines.append(line[len("hint: "):])
    return lines


def check_links(doc, bad, problems):
    count = 0
    for number, line in enumerate(doc.splitlines(), 1):
        for template, name in LINK.findall(line):
            count += 1
            expected = bad / f"{name}.expected"
            if not expected.is_file():
                problems.append(f"spec-reference.md:{number}: no {expected.name} in tests/data/bad")
                continue
            pattern = template_regex(template)
            if not any(pattern.match(printed) for printed in printed_lines(expected)):
                problems.append(f"spec-reference.md:{number}: {name}.expected does not print "
                                f"`{template}`:\n    " +
                                "\n    ".join(printed_lines(expected)))
    return count


def check_message_tables(doc, bad, problems):
    """Every row of a Message table is linked; a Hint that is one code span
    is checked against the row's spec too."""
    header = None
    for number, line in enumerate(doc.splitlines(), 1):
        line = line.strip()
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "Message":
            header = cells
            continue
        if header is None or set(cells[0]) <= set("-: "):
            continue
        link = LINK.search(cells[0])
        if not link:
            problems.append(f"spec-reference.md:{number}: message not tied to a corpus spec: "
                            f"{cells[0]}")
            continue
        hint = re.fullmatch(r"`([^`]+)`", cells[1]) if header[1:2] == ["Hint"] else None
        expected = bad / f"{link.group(2)}.expected"
        if hint and expected.is_file():
            pattern = template_regex(hint.group(1))
            if not any(pattern.match(printed) for printed in printed_lines(expected)):
                problems.append(f"spec-reference.md:{number}: {expected.name} has no hint "
                                f"`{hint.group(1)}`")


def check_fenced_examples(doc, bad, problems):
    goldens = {path.name: path.read_text(errors="replace") for path in sorted(bad.glob("*.expected"))}
    lines = doc.splitlines()
    fenced = False
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        located = LOCATED.match(line.strip()) if fenced else None
        if not located:
            continue
        wanted = [f": error: {located.group(1)}"]
        for after in lines[number:number + 4]:
            if after.startswith("hint: "):
                wanted.append(after)
                break
        if not any(all(part in text for part in wanted) for text in goldens.values()):
            problems.append(f"spec-reference.md:{number}: no .expected prints this example: "
                            + " / ".join(wanted))


README_MAX_LINES = 150
CELL_MAX = 200
SHORT_CELLS = ("README.md", "docs/cli.md", "docs/architecture.md")


def table_cells(text):
    """(line number, cell) of every cell of every Markdown table in text, fenced blocks aside."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line.lstrip().startswith("|"):
            continue
        # A `|` inside a code span, or escaped, does not end a cell.
        cells, cell, code = [], "", False
        body = line.strip()
        index = 1
        while index < len(body):
            char = body[index]
            if char == "\\" and index + 1 < len(body):
                cell += body[index:index + 2]
                index += 2
                continue
            if char == "`":
                code = not code
            if char == "|" and not code:
                cells.append(cell.strip())
                cell = ""
            else:
                cell += char
            index += 1
        for value in cells:
            yield number, value


def check_shape(source, problems):
    """README.md a two-minute read; no paragraph-long table cells (issue 23)."""
    lines = (source / "README.md").read_text().count("\n")
    if lines >= README_MAX_LINES:
        problems.append(f"README.md has {lines} lines; keep it under {README_MAX_LINES}")
    largest = (0, "")
    for name in SHORT_CELLS:
        for number, cell in table_cells((source / name).read_text()):
            largest = max(largest, (len(cell), f"{name}:{number}"))
            if len(cell) > CELL_MAX:
                problems.append(f"{name}:{number}: a table cell of {len(cell)} characters "
                                f"(at most {CELL_MAX}): {cell[:60]}...")
    print(f"README.md: {lines} lines; the largest table cell: {largest[0]} characters"
          + (f" ({largest[1]})" if largest[1] else ""))


def check_stage_files(source, problems):
    """docs/architecture.md has a section per stage (`### NAME`) naming each of its
    source files, so a file added under src/ has a place in the map."""
    doc = (source / "docs/architecture.md").read_text()
    stages = {}
    for part in re.split(r"^### ", doc, flags=re.M)[1:]:
        stages[part.split()[0]] = part.split("\n## ")[0]
    for folder in sorted(p for p in (source / "src").iterdir() if p.is_dir()):
        section = stages.get(folder.name)
        if section is None:
            problems.append(f"docs/architecture.md has no section `### {folder.name}` (src/{folder.name})")
            continue
        for path in sorted(folder.glob("*.cpp")):
            name = f"{folder.name}/{path.name}"
            if f"`{name}`" not in section:
                problems.append(f"docs/architecture.md's section {folder.name} does not name `{name}`")


def report(problems, summary):
    """Prints each problem and a summary; the exit code: 1 when there are problems."""
    for problem in problems:
        print("FAIL -", problem)
    print(f"{summary}, {len(problems)} problems")
    return 1 if problems else 0


def main():
    raylaunch, source = sys.argv[1], Path(sys.argv[2])
    doc = (source / "docs/spec-reference.md").read_text()
    bad = source / "tests/data/bad"
    problems = []
    count = check_links(doc, bad, problems)
    if count == 0:
        problems.append("no quoted message read from docs/spec-reference.md: nothing is checked")
    check_message_tables(doc, bad, problems)
    check_fenced_examples(doc, bad, problems)
    check_shape(source, problems)
    check_stage_files(source, problems)
    return report(problems, f"{count} quoted messages checked against the corpus")


if __name__ == "__main__":
    sys.exit(main())
