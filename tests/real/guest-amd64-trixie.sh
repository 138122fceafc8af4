#!/bin/bash
# Real guest test: amd64-trixie (see guest-common.sh).
GUEST=amd64-trixie
. "$(dirname "$0")/guest-common.sh"
