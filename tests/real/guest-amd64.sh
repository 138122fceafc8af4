#!/bin/bash
# Real guest test: amd64 (see guest-common.sh).
GUEST=amd64
. "$(dirname "$0")/guest-common.sh"
