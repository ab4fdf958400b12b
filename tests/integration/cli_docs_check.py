#!/usr/bin/env python3
"""docs/cli.md says what the command line does (issue 23).

    cli_docs_check.py RAYLAUNCH SOURCE_DIR

1. Every command `raylaunch --help` lists, and every subcommand of those
   (read from each `--help` in turn, so a command added later fails here until
   its section exists), has a section: a heading `## `raylaunch NAME`` (or
   `###` for a subcommand), with an alias named in it (`(or `ps`)`). A section
   of a command the program does not have is a problem too.
2. Each section has a synopsis (a ```sh block right after the heading) and the
   parts **Options**, **Prints**, **Exit codes** and **Example**.
3. The options: each line `- `NAMES ...`: ...` of a section lists one option
   by all its names (`-t, --timeout SECONDS`); the set of options of the
   command's --help (its global ones aside) and the set listed must be the
   same, name for name, so a missing, renamed or removed option fails. A
   range `--help` shows (`INT:1-86400`) must be in the option's line
   (`1–86400`), its choices (`{yaml,json}`) too, and a `(default N)` its N.
   The global options (`raylaunch --help`) are checked the same way against
   the section "Global options".
4. The man page (`raylaunch __man`, what the build installs as raylaunch(1))
   and this page say the same: each command and option of the man page is in
   its section here; the exit codes of its EXIT STATUS and the variables of
   its ENVIRONMENT are those of "Exit codes" and "Environment variables" here,
   both ways; and every variable the sources read with getenv is in
   "Environment variables".
5. Quoted messages: a code span linked to `#quoted-messages` is a message the
   program prints; `<...>` stands for what it fills in. Each must be found in
   one statement of the sources under src/: its literal parts, in order, each
   inside one string literal of that statement (a format field `{}` of the
   source may only stand where the quote has a `<...>`). No quoted message at
   all is a problem (a check that reads nothing checks nothing).
"""
import re
import subprocess
import sys
from pathlib import Path

from docs_check import report

HEADING = re.compile(r"^(#{2,3}) `raylaunch ([a-z][a-z ]*)`(.*)$")
OPTION_LINE = re.compile(r"^- `(-[^`]*)`")
HELP_OPTION = re.compile(r"^  (-[\w-]+(?:,--?[\w-]+)*)(?: ([A-Z]+(?::\S+)?))?")
QUOTED = re.compile(r"\[(``?)(.+?)\1\]\(#quoted-messages\)")
PARTS = ("**Options**", "**Prints**", "**Exit codes**", "**Example**")


def run_help(raylaunch, words, problems):
    shown = " ".join(["raylaunch", *words, "--help"])
    run = subprocess.run([raylaunch, *words, "--help"], capture_output=True, text=True)
    if run.returncode != 0:
        problems.append(f"`{shown}` exits {run.returncode}: {run.stderr.strip()}")
    return run.stdout


def parse_help(text):
    """(options, globals, subcommands) of one --help: each option as
    (names tuple, type, description), in the group it is shown in."""
    own, globals_, subcommands = [], [], []
    group = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith(" "):
            group = ("subcommands" if line.startswith("Subcommands:") else
                     "globals" if line.startswith("Global options") else
                     "options" if line.startswith("Options:") else None)
            continue
        if group == "subcommands":
            found = re.match(r"^  ([a-z][\w-]*)((?:, [a-z][\w-]*)*)", line)
            if found:
                aliases = [a for a in found.group(2).split(", ") if a]
                subcommands.append((found.group(1), aliases))
            continue
        found = HELP_OPTION.match(line)
        if group in ("options", "globals") and found:
            names = tuple(found.group(1).split(","))
            if names == ("-h", "--help"):
                continue
            # The description is on this line, or on the next when the names were long.
            description = line[30:].strip()
            if len(line) <= 30 and index + 1 < len(lines):
                description = lines[index + 1].strip()
            (own if group == "options" else globals_).append(
                (names, found.group(2) or "", description))
    return own, globals_, subcommands


def commands(raylaunch, problems):
    """Every command as (words, aliases, options, globals), depth first."""
    found = []

    def walk(words, aliases):
        own, globals_, subs = parse_help(run_help(raylaunch, words, problems))
        found.append((words, aliases, own, globals_))
        for name, sub_aliases in subs:
            walk(words + [name], sub_aliases)

    walk([], [])
    if len(found) < 2:
        problems.append("no command read from `raylaunch --help`: nothing of it is checked")
    return found


def sections(doc):
    """{command: (heading line, level, [(line number, text)])}"""
    result, current = {}, None
    for number, line in enumerate(doc.splitlines(), 1):
        heading = re.match(r"^#{1,3} ", line)
        if heading:
            current = None
            found = HEADING.match(line)
            if found:
                current = found.group(2).strip()
                result[current] = (line, len(found.group(1)), [])
            continue
        if current is not None:
            result[current][2].append((number, line))
    return result


def named_section(doc, title):
    lines, inside = [], False
    for number, line in enumerate(doc.splitlines(), 1):
        if line.startswith("## "):
            inside = line[3:].strip() == title
            continue
        if inside:
            lines.append((number, line))
    return lines


def listed_options(lines):
    """{names tuple: (line number, the whole item's text)}"""
    items, current = {}, None
    for number, line in lines:
        found = OPTION_LINE.match(line)
        if found:
            names = tuple(word for word in re.split(r"[ ,]+", found.group(1))
                          if word.startswith("-"))
            current = names
            items[names] = (number, line)
        elif current and line.startswith("  ") and line.strip():
            items[current] = (items[current][0], items[current][1] + " " + line.strip())
        else:
            current = None
    return items


def check_options(where, wanted, lines, problems):
    listed = listed_options(lines)
    by_name = {name: names for names in listed for name in names}
    for names, kind, description in wanted:
        shown = ",".join(names)
        if names not in listed:
            near = sorted({"/".join(by_name[n]) for n in names if n in by_name})
            problems.append(f"{where}: option {shown} is not listed as `{', '.join(names)} ...`"
                            + (f" (listed as {', '.join(near)})" if near else ""))
            continue
        number, text = listed[names]
        plain = text.replace("–", "-")
        bounds = re.search(r":(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$", kind)
        if bounds and f"{bounds.group(1)}-{bounds.group(2)}" not in plain:
            problems.append(f"cli.md:{number}: {where} {shown}: the range {bounds.group(1)}–"
                            f"{bounds.group(2)} of --help is not in its line")
        choices = re.search(r"\{([^}]*)\}", kind)
        for choice in (choices.group(1).split(",") if choices else []):
            if f"`{choice}`" not in text:
                problems.append(f"cli.md:{number}: {where} {shown}: the value `{choice}` is not in its line")
        default = re.search(r"\(default (\S+?)\)", description)
        if default and not re.search(r"\bdefault\b", text, re.I):
            problems.append(f"cli.md:{number}: {where} {shown}: its line gives no default")
        if default and default.group(1) not in text:
            problems.append(f"cli.md:{number}: {where} {shown}: the default {default.group(1)} of "
                            "--help is not in its line")
    wanted_names = {names for names, _, _ in wanted}
    for names, (number, _) in listed.items():
        if names not in wanted_names and not any(set(names) & set(w) for w in wanted_names):
            problems.append(f"cli.md:{number}: {where}: {', '.join(names)} is listed but "
                            "--help has no such option")


def check_commands(raylaunch, doc, problems):
    found = commands(raylaunch, problems)
    root_globals = found[0][3] + found[0][2]  # the root's own options are global too
    documented = sections(doc)
    known = set()
    for words, aliases, own, globals_ in found[1:]:
        name = " ".join(words)
        known.add(name)
        section = documented.get(name)
        if section is None:
            problems.append(f"docs/cli.md has no section `## \u0060raylaunch {name}\u0060` "
                            f"(`raylaunch {name} --help` lists it)")
            continue
        heading, level, lines = section
        if level != 1 + len(words):
            problems.append(f"cli.md: the heading of raylaunch {name} is not level {1 + len(words)}")
        for alias in aliases:
            if f"`{alias}`" not in heading:
                problems.append(f"cli.md: the heading of raylaunch {name} does not name its "
                                f"alias `{alias}`")
        text = [line for _, line in lines]
        first = next((line for line in text if line.strip()), "")
        if first != "```sh":
            problems.append(f"cli.md: raylaunch {name} has no synopsis (```sh right after "
                            "its heading)")
        for part in PARTS:
            if not any(line.startswith(part) for line in text):
                problems.append(f"cli.md: raylaunch {name} has no {part}")
        check_options(f"raylaunch {name}", own, lines, problems)
    for name in documented:
        if name not in known:
            problems.append(f"cli.md has a section for raylaunch {name}, which --help does not list")
    check_options("Global options", [o for o in root_globals],
                  named_section(doc, "Global options"), problems)
    return known


def man_page(raylaunch, problems):
    run = subprocess.run([raylaunch, "__man"], capture_output=True, text=True)
    if run.returncode != 0 or ".SH COMMANDS" not in run.stdout:
        problems.append(f"`raylaunch __man` exits {run.returncode} without a man page")
    return run.stdout.replace("\\-", "-").replace("\\e", "\\")


def man_sections(man):
    result, current = {}, None
    for line in man.splitlines():
        if line.startswith(".SH "):
            current = line[4:].strip()
            result[current] = []
        elif current:
            result[current].append(line)
    return result


def check_man(raylaunch, doc, known, problems):
    man = man_page(raylaunch, problems)
    parts = man_sections(man)
    documented = sections(doc)
    command, commands_seen = None, 0
    for line in parts.get("COMMANDS", []):
        found = re.match(r"^\.SS (\S.*?)(?: \(or .*)?$", line)
        if found:
            command = found.group(1)
            commands_seen += 1
            if command not in documented:
                problems.append(f"the man page has raylaunch {command}; docs/cli.md has no section")
            continue
        names = re.findall(r"\\fB(-[\w-]+)\\fR", line)
        if command in documented and names and line.startswith("\\fB-"):
            listed = listed_options(documented[command][2])
            if tuple(names) not in listed:
                problems.append(f"the man page gives raylaunch {command} {', '.join(names)}; "
                                "its section in docs/cli.md does not list it")
    if commands_seen == 0:
        problems.append("no command read from the man page")
    for title, section, pattern in (
            ("EXIT STATUS", "Exit codes", r"\\fB(\d+)\\fR"),
            ("ENVIRONMENT", "Environment variables", r"\\fB([A-Z][A-Z0-9_]+)\\fR")):
        in_man = set()
        lines = parts.get(title, [])
        for index, line in enumerate(lines):
            if index > 0 and lines[index - 1] == ".TP":
                in_man |= set(re.findall(pattern, line))
        in_doc = set()
        for _, line in named_section(doc, section):
            if line.startswith("- `"):
                head = line.split(":")[0] if title == "EXIT STATUS" else line.split("`:")[0]
                in_doc |= set(re.findall(r"`(\d+|[A-Z][A-Z0-9_]+)`", head + "`"))
        if not in_man:
            problems.append(f"nothing read from the man page's {title}")
        for missing in sorted(in_man - in_doc):
            problems.append(f"the man page's {title} has {missing}; docs/cli.md's \"{section}\" "
                            "does not")
        for missing in sorted(in_doc - in_man):
            problems.append(f"docs/cli.md's \"{section}\" has {missing}; the man page's {title} "
                            "does not")


# C++ sources as statements of string literals: each statement's literals,
# adjacent ones joined, format fields {...} made \0 (they may only meet a <...>).
LITERAL = re.compile(r'R"([^(]*)\((.*?)\)\1"|"((?:[^"\\\n]|\\.)*)"|(;)|//[^\n]*|/\*.*?\*/|\'(?:[^\'\\]|\\.)+\'',
                     re.S)


def unescape(text):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def source_statements(source):
    statements = []
    for path in sorted((source / "src").rglob("*.[ch]pp")):
        text = path.read_text(errors="replace")
        current, last_end = [], None
        for match in LITERAL.finditer(text):
            if match.group(4):
                if current:
                    statements.append("\0".join(current))
                current, last_end = [], None
                continue
            if match.group(2) is None and match.group(3) is None:
                continue
            value = match.group(2) if match.group(2) is not None else unescape(match.group(3))
            value = re.sub(r"\{[^{}]*\}", "\0", value.replace("{{", "\1").replace("}}", "\2"))
            value = value.replace("\1", "{").replace("\2", "}")
            between = text[last_end:match.start()] if last_end is not None else "x"
            if current and between.strip() == "":
                current[-1] += value  # "a" "b" is one literal
            else:
                current.append(value)
            last_end = match.end()
        if current:
            statements.append("\0".join(current))
    return statements


def check_quotes(doc, source, problems):
    statements = source_statements(source)
    count = 0
    for number, line in enumerate(doc.splitlines(), 1):
        for _, quote in QUOTED.findall(line):
            count += 1
            quote = quote.strip()
            parts = [p for p in re.split(r"<[^<>]+>", quote)]
            pattern = re.compile(".*?".join(re.escape(p) for p in parts), re.S)
            if not any(pattern.search(s) for s in statements if all(p in s for p in parts)):
                problems.append(f"cli.md:{number}: no statement under src/ prints `{quote}`")
    if count == 0:
        problems.append("no quoted message read from docs/cli.md: nothing is checked")
    return count


def check_getenv(doc, source, problems):
    section = "\n".join(line for _, line in named_section(doc, "Environment variables"))
    for path in sorted((source / "src").rglob("*.[ch]pp")):
        for name in re.findall(r'getenv\("([A-Z_]+)"\)', path.read_text(errors="replace")):
            if f"`{name}`" not in section:
                problems.append(f"{path.relative_to(source)} reads {name}; docs/cli.md's "
                                "\"Environment variables\" does not name it")


def main():
    raylaunch, source = sys.argv[1], Path(sys.argv[2])
    doc = (source / "docs/cli.md").read_text()
    problems = []
    known = check_commands(raylaunch, doc, problems)
    check_man(raylaunch, doc, known, problems)
    count = check_quotes(doc, source, problems)
    check_getenv(doc, source, problems)
    return report(problems, f"{len(known)} commands, {count} quoted messages checked")


if __name__ == "__main__":
    sys.exit(main())
