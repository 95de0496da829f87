#!/usr/bin/env python3
"""Drops `public` from the members of common's classes that nothing outside their package uses (issue 22).

Compiler-driven, because a member is often reached through a chained call no text search sees: it removes
`public` from every member declared directly in a top-level class, record or enum of functions/common's main
sources, compiles every module with its tests (benchmarks included), puts `public` back on each member the
compiler names as needed, and repeats until the build compiles. Left public from the start: interface members,
overrides, main methods, and no-argument get*/is* methods (Jackson serialises public getters, so hiding one
would silently change a stored or sent document).

Usage (from the repository root, on a clean tree): scripts/visibility-members.py
Prints each round's restorations and, at the end, how many members it left package-private.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMON = ROOT / "functions/common/src/main/java"
MEMBER = re.compile(r"^    public (?!(?:sealed |non-sealed )?(?:interface|@interface) )")
GETTER = re.compile(r"^    public (?!static )[\w<>\[\], ?]+ (?:get|is)[A-Z]\w*\(\)")
KIND = re.compile(r"^(?:public\s+)?(?:(?:final|abstract|sealed|non-sealed|static)\s+)*"
                  r"(class|interface|enum|record|@interface)\s+(\w+)", re.M)
ERROR = re.compile(r"^\[ERROR\] (/\S+\.java):\[(\d+),\d+\] (.*)$")
NOT_PUBLIC = re.compile(r"(\w+)(?:\([^)]*\))? is not public in ([\w.]+); cannot be accessed")


def fqn_of(path):
    return ".".join(path.relative_to(COMMON).with_suffix("").parts)


def candidates():
    """(path, line index) of every member this run may hide."""
    found = []
    for path in sorted(COMMON.rglob("*.java")):
        lines = path.read_text().split("\n")
        kind = KIND.search(path.read_text())
        if not kind or kind.group(1) in ("interface", "@interface"):
            continue
        for i, line in enumerate(lines):
            if not MEMBER.match(line) or GETTER.match(line) or " main(String" in line:
                continue
            above = [lines[j].strip() for j in range(max(0, i - 3), i)]
            if any(a.startswith("@Override") for a in above):
                continue
            found.append((path, i))
    return found


def set_public(path, index, public):
    lines = path.read_text().split("\n")
    line = lines[index]
    if public and not line.startswith("    public "):
        lines[index] = "    public " + line[4:]
    elif not public and line.startswith("    public "):
        lines[index] = "    " + line[len("    public "):]
    path.write_text("\n".join(lines))


def compile_errors():
    run = subprocess.run(["mvn", "-B", "-o", "-q", "test-compile", "-Pbench"], cwd=ROOT,
                         capture_output=True, text=True)
    errors = []
    for match in (ERROR.match(line) for line in run.stdout.split("\n")):
        if match:
            errors.append((pathlib.Path(match.group(1)), int(match.group(2)) - 1, match.group(3)))
    if run.returncode != 0 and not errors:
        sys.exit("build failed without a compiler error:\n" + run.stdout[-3000:])
    return errors


def declares(line, name):
    return re.search(rf"\b{re.escape(name)}\s*(\(|=|;|<|\{{| extends | implements )", line) \
        or re.search(rf"\b(class|record|enum|interface) {re.escape(name)}\b", line)


def restore(errors, hidden):
    restored = set()
    for path, index, message in errors:
        if (path, index) in hidden:
            restored.add((path, index))
            continue
        match = NOT_PUBLIC.search(message)
        if not match:
            sys.exit(f"cannot attribute: {path}:{index + 1}: {message}")
        name, owner = match.groups()
        owner_parts = owner.split(".")
        for (hpath, hindex) in hidden:
            top = fqn_of(hpath)
            if owner != top and not owner.startswith(top + "."):
                continue
            line = hpath.read_text().split("\n")[hindex]
            if declares(line, name) or (name == owner_parts[-1] and re.search(rf"^    {name}\s*\(", line)):
                restored.add((hpath, hindex))
    if not restored:
        sys.exit("errors but nothing to restore:\n" + "\n".join(m for _, _, m in errors[:20]))
    return restored


def main():
    hidden = set(candidates())
    total = len(hidden)
    for path, index in hidden:
        set_public(path, index, False)
    for round_ in range(1, 40):
        errors = compile_errors()
        if not errors:
            break
        back = restore(errors, hidden)
        for path, index in back:
            set_public(path, index, True)
        hidden -= back
        print(f"round {round_}: {len(errors)} errors, {len(back)} members public again, {len(hidden)} hidden")
    print(f"members considered: {total}; package-private now: {len(hidden)}")


if __name__ == "__main__":
    main()
