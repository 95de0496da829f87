#!/usr/bin/env python3
"""Drops `public` from the members of common's classes that nothing outside their package uses (issue 22).

Compiler-driven, because a member is often reached through a chained call no text search sees: it removes
`public` from every member declared directly in a top-level class, record or enum of functions/common's main
sources, compiles every module with its tests (benchmarks included), puts `public` back on each member the
compiler names as needed, and repeats until the build compiles. Left public from the start: interface members,
overrides, main methods, and no-argument get*/is* methods (Jackson serialises public getters, so hiding one
would silently change a stored or sent document).

Usage (from the repository root, on a clean tree): scripts/visibility-members.py
       scripts/visibility-members.py --continue   (after a stop: resumes with what differs from HEAD)
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
# an overload hidden leaves javac choosing among the rest, so it reports the call as not applicable
NOT_APPLICABLE = re.compile(r"(?:method|constructor) (\w+) in (?:class|record|enum) ([\w.]+) cannot be applied")
INACCESSIBLE = re.compile(r"([\w.]+)\.(\w+)\.\w+\(.*\) is defined in an inaccessible class")
NO_SUITABLE = re.compile(r"no suitable (?:method|constructor) found for (\w+)\(")


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
    for line in run.stdout.split("\n"):
        match = ERROR.match(line)
        if match:
            errors.append((pathlib.Path(match.group(1)), int(match.group(2)) - 1, match.group(3)))
        elif errors and re.match(r"^(\[ERROR\])?\s{2,}\S", line):
            # javac's detail lines, e.g. which member a method reference could not reach
            path, index, message = errors[-1]
            errors[-1] = (path, index, message + " " + line.replace("[ERROR]", "").strip())
    if run.returncode != 0 and not errors:
        sys.exit("build failed without a compiler error:\n" + run.stdout[-3000:])
    return errors


def declares(line, name):
    return re.search(rf"\b{re.escape(name)}\s*(\(|=|;|<|\{{| extends | implements )", line) \
        or re.search(rf"\b(class|record|enum|interface) {re.escape(name)}\b", line)


def needed(message):
    """(member name, owner class) the compiler says a caller needs public, or None."""
    match = NOT_PUBLIC.search(message) or NOT_APPLICABLE.search(message)
    if match:
        return match.groups()
    match = INACCESSIBLE.search(message)
    if match:
        # the member is reachable but its nested class is not: the class is what must be public
        return match.group(2), match.group(1)
    return None


def declarations(hidden, name, owner):
    for path, index in hidden:
        top = fqn_of(path)
        if owner is not None and owner != top and not owner.startswith(top + "."):
            continue
        line = " ".join(path.read_text().split("\n")[index:index + 3])
        if declares(line, name):
            yield path, index


def restore(errors, hidden):
    restored = set()
    for path, index, message in errors:
        if (path, index) in hidden:
            restored.add((path, index))
        elif needed(message):
            restored |= set(declarations(hidden, *needed(message)))
        elif NO_SUITABLE.search(message):
            restored |= set(declarations(hidden, NO_SUITABLE.search(message).group(1), None))
        else:
            print(f"cannot attribute: {path}:{index + 1}: {message}")
    if not restored:
        sys.exit("errors but nothing to restore:\n" + "\n".join(m for _, _, m in errors[:20]))
    return restored


def hidden_since_head():
    """Members hidden by an earlier run that stopped: public at HEAD, not public now."""
    hidden = set()
    for path in COMMON.rglob("*.java"):
        head = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT)}"], cwd=ROOT, capture_output=True,
                              text=True).stdout.split("\n")
        for i, (was, now) in enumerate(zip(head, path.read_text().split("\n"))):
            if was.startswith("    public ") and now == "    " + was[len("    public "):]:
                hidden.add((path, i))
    return hidden


def main():
    if "--continue" in sys.argv:
        hidden = hidden_since_head()
    else:
        hidden = set(candidates())
        for path, index in hidden:
            set_public(path, index, False)
    total = len(hidden)
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
