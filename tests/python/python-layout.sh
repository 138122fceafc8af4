#!/bin/bash
# The binding's cffi declarations against the C headers: every size and
# member offset of the structures it shares with the library
# (tests/python/test_layout.py; no guest needed).
set -euo pipefail
. "$(dirname "$0")/../real/checks.sh"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CC=${CC:-cc}
py_checks "$work/py.log" test_layout
checks_end "python binding layouts"
