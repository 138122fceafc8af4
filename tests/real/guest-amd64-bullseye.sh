#!/bin/bash
# Real guest test: amd64-bullseye (see guest-common.sh).
GUEST=amd64-bullseye
. "$(dirname "$0")/guest-common.sh"
