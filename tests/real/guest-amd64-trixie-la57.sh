#!/bin/bash
# Real guest test: amd64-trixie-la57 (see guest-common.sh).
GUEST=amd64-trixie-la57
. "$(dirname "$0")/guest-common.sh"
