#!/bin/bash
# Real guest test: i386 (see guest-common.sh).
GUEST=i386
. "$(dirname "$0")/guest-common.sh"
