#!/usr/bin/env python3
"""Which public top-level types of a module nothing outside their own package names (issue 22).

Reads every Java source of every module, main and test, and counts a type as used outside its package when a
file of another package imports it (or a member of it), imports its package with a wildcard and names it, or
names it fully qualified. A type left unnamed can still be reached through a public signature (a chained call on
a returned value), which only the compiler sees; so the candidates printed here are confirmed by compiling every
module with its tests (`mvn -B -o -q test-compile -Pbench`) and put back where that fails.

Usage: scripts/visibility.py [module-source-root]   (default functions/common/src/main/java)
Prints: one line per public type, "used" or "unused" outside its package, then the counts.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ["functions", "local", "tools", "benchmarks"]
PACKAGE = re.compile(r"^package\s+([\w.]+)\s*;", re.M)
IMPORT = re.compile(r"^import\s+(?:static\s+)?([\w.]+(?:\.\*)?)\s*;", re.M)
TOP_LEVEL = re.compile(r"^public\s+(?:(?:final|abstract|sealed|non-sealed|static)\s+)*"
                       r"(?:class|interface|enum|record|@interface)\s+(\w+)", re.M)


def sources():
    for top in SOURCES:
        for path in (ROOT / top).rglob("*.java"):
            if "/target/" not in str(path):
                yield path


def package_of(text):
    found = PACKAGE.search(text)
    return found.group(1) if found else ""


def public_types(root):
    for path in sorted(root.rglob("*.java")):
        text = path.read_text()
        for name in TOP_LEVEL.findall(text):
            yield package_of(text), name, path


def users(package, name, files):
    qualified = f"{package}.{name}"
    word = re.compile(rf"\b{re.escape(name)}\b")
    for path, text, file_package in files:
        if file_package == package:
            continue
        imports = IMPORT.findall(text)
        if any(i == qualified or i.startswith(qualified + ".") for i in imports):
            yield path
        elif f"{package}.*" in imports and word.search(text):
            yield path
        elif re.search(rf"\b{re.escape(qualified)}\b", text):
            yield path


def main():
    root = ROOT / (sys.argv[1] if len(sys.argv) > 1 else "functions/common/src/main/java")
    files = [(p, t, package_of(t)) for p in sources() for t in [p.read_text()]]
    used = unused = 0
    for package, name, path in public_types(root):
        outside = sorted({str(p.relative_to(ROOT)) for p in users(package, name, files)})
        if outside:
            used += 1
            print(f"used    {package}.{name}  ({len(outside)} files, e.g. {outside[0]})")
        else:
            unused += 1
            print(f"unused  {package}.{name}  {path.relative_to(ROOT)}")
    print(f"public top-level types: {used + unused}; used outside their package: {used}; unused: {unused}")


if __name__ == "__main__":
    main()
