#!/bin/bash
# Regenerates the seed corpora of fuzz/corpus/ that come from the test rig's
# real files (the rest are copied from tests/ or written by hand; see
# fuzz/README.md).  Needs the rig cache (tests/rig/rig.sh env GUEST).
#
#   fuzz/make-corpus.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
c=$src/fuzz/corpus
mkdir -p "$c"/{elfcore,raw-probe,sysmap,config,rsp,gdb-client,qmp,mtree,domxml}

# ELF cores: headers and notes as QEMU wrote them, each PT_LOAD cut to its
# first 256 bytes (p_filesz and p_offset rewritten; p_memsz kept).
shrink_elf() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, 'rb') as f:
    head = f.read(65536)
    assert head[:4] == b'\x7fELF' and head[4] == 2, 'ELF64 expected'
    phoff, = struct.unpack_from('<Q', head, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', head, 0x36)
    phdrs = [list(struct.unpack_from('<IIQQQQQQ', head, phoff + i * phentsize)) for i in range(phnum)]
    end = max(p[2] + p[5] for p in phdrs if p[0] != 1)   # notes end
    out = bytearray(head[:end])
    for p in phdrs:
        if p[0] != 1:
            continue
        f.seek(p[2])
        keep = min(p[5], 256)
        data = f.read(keep)
        p[2], p[5] = len(out), keep
        out += data
    for i, p in enumerate(phdrs):
        struct.pack_into('<IIQQQQQQ', out, phoff + i * phentsize, *p)
with open(dst, 'wb') as f:
    f.write(out)
PY
}
for g in amd64 i386 i386-pae amd64-la57; do
    eval "$("$src/tests/rig/rig.sh" env "$g")"
    shrink_elf "$RIG_ELF" "$c/elfcore/$g.elf"
    cp "$c/elfcore/$g.elf" "$c/raw-probe/$g.elf"
done
eval "$("$src/tests/rig/rig.sh" env amd64)"
# a raw image: its first page
head -c 4096 "$RIG_RAW" >"$c/raw-probe/amd64-first-page.raw"
# System.map: the first lines, the lines around the symbols libvmi looks up
# (init_task, swapper_pg_dir, _text, linux_banner), and the last lines
{
    head -n 40 "$RIG_SYSMAP"
    grep -n -E ' (init_task|swapper_pg_dir|_text|_stext|linux_banner|init_top_pgt|__per_cpu_start)$' \
        "$RIG_SYSMAP" | cut -d: -f1 | while read -r n; do
        sed -n "$((n > 5 ? n - 5 : 1)),$((n + 5))p" "$RIG_SYSMAP"
    done
    tail -n 20 "$RIG_SYSMAP"
} >"$c/sysmap/amd64-slice.map"
eval "$("$src/tests/rig/rig.sh" env i386)"
head -n 200 "$RIG_SYSMAP" >"$c/sysmap/i386-head.map"
# config files of the rig guests
for g in amd64 i386 i386-pae amd64-la57; do
    eval "$("$src/tests/rig/rig.sh" env "$g")"
    cp "$RIG_CONF" "$c/config/rig-$g.conf"
done

# --- from the recorded exchanges in tests/

# QMP: QEMU's side of a session (tests/data/qmp/session.txt, the 'S ' lines,
# ids renumbered to the order fuzz-qmp.c sends its commands), with the
# recorded HMP texts as the replies of its human-monitor-commands.
python3 - "$src/tests/data/qmp" "$c/qmp" <<'PY'
import json, sys, os
d, out = sys.argv[1], sys.argv[2]
S = [l[2:].rstrip('\n') for l in open(os.path.join(d, 'session.txt'), newline='') if l.startswith('S ')]
greeting = S[0]
def ret(v, i): return json.dumps({"return": v, "id": i})
mtree = open(os.path.join(d, 'mtree-512m-memory-backend.txt'), newline='').read()
regs = open(os.path.join(d, 'registers-smp2.txt'), newline='').read()
gpa = open(os.path.join(d, 'gpa2hva.txt'), newline='').read().split('\n')[0] + '\n'
stop_ev = [l for l in S if '"STOP"' in l][0]
resume_ev = [l for l in S if '"RESUME"' in l][0]
lines = [greeting, ret({}, 1),
         ret({"status": "running", "singlestep": False, "running": True}, 2),
         stop_ev, ret({}, 3), resume_ev, ret({}, 4),
         ret(mtree, 5), ret(regs, 6), ret(gpa, 7),
         json.dumps({"return": [{"name": "type", "type": "string"}], "id": 8})]
with open(os.path.join(out, 'session.jsonl'), 'w', newline='') as f:
    f.write(''.join(l + '\r\n' for l in lines))
# the recorded session as it is (ids 1..9: the later replies go unmatched)
with open(os.path.join(out, 'recorded.jsonl'), 'w', newline='') as f:
    f.write(''.join(l + '\r\n' for l in S))
# an error reply and an early end
with open(os.path.join(out, 'error.jsonl'), 'w', newline='') as f:
    f.write(greeting + '\r\n' + ret({}, 1) + '\r\n' + [l for l in S if '"error"' in l][0].replace('"id": 8', '"id": 2') + '\r\n')
PY
# HMP texts for the text parsers
cp "$src"/tests/data/qmp/{mtree-512m-memory-backend,mtree-5g,registers-amd64,registers-i386,registers-smp2,gpa2hva}.txt "$c/mtree/"

# gdbstub: the stub's side of a connect and of fuzz-gdb-client.c's calls,
# from the QEMU 7.2 traffic recorded in tests/unit/test-gdb-client.c
# (replies, and QEMU's i386-64bit.xml as that test holds it).
python3 - "$src/tests/unit/test-gdb-client.c" "$c" <<'PY'
import re, sys, os, ast
srcf, c = sys.argv[1], sys.argv[2]
text = open(srcf).read()
m = re.search(r'static const char i386_64bit_xml\[\] =(.*?);\n', text, re.S)
xml64 = ''.join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1)))
m = re.search(r'#define QEMU_TARGET_XML \\\n(.*?)\n\n', text, re.S)
target = ''.join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1)))
def esc(p):
    out = bytearray()
    for b in p:
        if b in b'$#}*':
            out += bytes([0x7d, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)
def pkt(p, ack=True):
    p = esc(p.encode() if isinstance(p, str) else p)
    return (b'+' if ack else b'') + b'$' + p + b'#' + b'%02x' % (sum(p) & 0xff)
hexmem = bytes(range(64)).hex()
stream = (pkt('T02thread:01;', ack=False)
          + pkt('PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+')
          + pkt('l' + target) + pkt('l' + xml64)
          + pkt('m01,02') + pkt('l') + pkt('vCont;c;C;s;S')
          + pkt('OK')                       # Qqemu.PhyMemMode:1
          + pkt(hexmem) + pkt('OK')         # m, M
          + pkt('OK') + pkt('eb9245acffffffff')   # Hg, p rip
          + pkt('OK') + pkt('0020060100000000')   # Hg, p cr3
          + pkt('OK')                       # Z0
          + pkt('T05thread:01;')            # vCont;s
          + pkt('T05thread:01;swbreak:;', ack=False)
          + pkt('OK') + pkt('OK'))
os.makedirs(os.path.join(c, 'gdb-client'), exist_ok=True)
open(os.path.join(c, 'gdb-client', 'qemu72-session.bin'), 'wb').write(stream)
short = (pkt('PacketSize=1000;qXfer:features:read+;QStartNoAckMode+') + pkt('OK', ack=False)
         + pkt('l<target><reg name="rip" bitsize="64"/></target>', ack=False)
         + pkt('m1', ack=False) + pkt('l', ack=False) + pkt('', ack=False))
open(os.path.join(c, 'gdb-client', 'noack.bin'), 'wb').write(short)
os.makedirs(os.path.join(c, 'rsp'), exist_ok=True)
open(os.path.join(c, 'rsp', 'qemu72-session.bin'), 'wb').write(stream)
# run-length encoding (QEMU's stub uses it for long runs) and a notification
open(os.path.join(c, 'rsp', 'rle.bin'), 'wb').write(b'+$0* #4d' + b'%Stop:T05thread:01;#00' + b'$E14#aa-\x03')
PY

# domain XML: the inputs of tests/xml/golden, each behind a byte that picks
# the mode of fuzz-domxml.c (0 shm, 1 gdbstub, 2 both; +4 another socket dir)
i=0
for f in "$src"/tests/xml/golden/*.in.xml; do
    b=$(printf '\\%03o' $((i % 3 + (i / 3 % 2) * 4)))
    { printf "$b"; cat "$f"; } >"$c/domxml/$(basename "$f" .in.xml).xml"
    i=$((i + 1))
done
echo "corpus: $(du -sh "$c" | cut -f1) in $c"
