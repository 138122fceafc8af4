#!/bin/bash
# Real guest test: amd64-bullseye-la57 (see guest-common.sh).
GUEST=amd64-bullseye-la57
. "$(dirname "$0")/guest-common.sh"
