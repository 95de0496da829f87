#!/usr/bin/env bash
# Every relative link of the README and docs/ leads somewhere: the file exists and, when the link names an anchor,
# the target has a heading with that GitHub anchor. The docs move between files; a link that no longer resolves
# fails here instead of sending a reader (or an error message) nowhere. Usage: scripts/check-links.sh [files...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
  set -- README.md docs/*.md layers/*/README.md
fi
python3 - "$@" <<'EOF'
import os, re, sys

def headings(path):
    """GitHub's anchors of a Markdown file's headings (outside fenced code)."""
    anchors, fence, seen = set(), False, {}
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
        m = None if fence else re.match(r'^#{1,6} +(.*?)\s*#*\s*$', line)
        if m:
            text = re.sub(r'[^\w\- ]', '', m.group(1).lower())
            slug = text.replace(' ', '-')
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f'{slug}-{n}')
    return anchors

LINK = re.compile(r'\]\(([^)\s]+)\)')
broken = 0
for doc in sys.argv[1:]:
    fence = False
    for number, line in enumerate(open(doc, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
        if fence:
            continue
        for target in LINK.findall(re.sub(r'`[^`]*`', '', line)):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):
                continue  # https:, mailto:
            path, _, anchor = target.partition('#')
            file = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
            if not os.path.exists(file):
                print(f'{doc}:{number}: {target}: no file {file}')
                broken += 1
            elif anchor and file.endswith('.md') and anchor not in headings(file):
                print(f'{doc}:{number}: {target}: no heading #{anchor} in {file}')
                broken += 1
if broken:
    sys.exit(f'{broken} broken link(s)')
print(f'links resolve in {len(sys.argv) - 1} files')
EOF
