#!/bin/bash
# Real guest test: i386-pae (see guest-common.sh).
GUEST=i386-pae
. "$(dirname "$0")/guest-common.sh"
