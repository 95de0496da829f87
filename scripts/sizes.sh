#!/usr/bin/env bash
# Every Java file over 350 lines and every method over 60 in the repository (tests and benchmarks included),
# largest first. The same measure backs SourceSizesTest, which fails on a new one (docs/architecture-rules.md).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec java "$ROOT/functions/common/src/test/java/dev/pgbackup/testsupport/SourceSizes.java" "$ROOT"
