#!/usr/bin/env python3
"""make-isf.py - a Volatility 3 ISF (format 6.2.0) file from a kernel's
System.map and the structure layouts pahole prints from its vmlinux.

There is no dwarf2json here: this makes ISF test files from ground truth.

    make-isf.py --system-map System.map --vmlinux vmlinux [--types a,b,...]
                [--pahole FILE] [--xz] -o out.json

--types limits the user types to those pahole -C prints (default: every
struct and union of vmlinux).  --pahole reads pahole's output from FILE
instead of running pahole.  The banner (linux_banner's bytes) is read from
vmlinux's ELF sections and stored as the symbol's constant_data.

What pahole does not say is approximated: a typedef'd member type (u16,
refcount_t, spinlock_t) becomes a base type of the member's size, so a
dotted path cannot go through it; enums have no constants.
"""
import argparse
import base64
import datetime
import hashlib
import json
import lzma
import re
import struct
import subprocess
import sys

MEMBER_RE = re.compile(r'^(?P<decl>.*?);\s*/\*\s*(?P<off>\d+)(?::\s*(?P<bit>\d+))?\s+(?P<size>\d+)\s*\*/\s*$')
OPEN_RE = re.compile(r'^(?:const |volatile )*(?P<kind>struct|union)\s*\{\s*$')
CLOSE_RE = re.compile(r'^\}\s*(?P<ptr>\**)\s*(?P<name>[A-Za-z_]\w*)?(?P<arr>(?:\[\d*\])*)\s*(?:__attribute__\(\(.*\)\))?\s*;\s*/\*\s*(?P<off>\d+)\s+(?P<size>\d+)\s*\*/\s*$')
TOP_RE = re.compile(r'^(?P<kind>struct|union) (?P<name>[A-Za-z_]\w*) \{\s*$')
SIZE_RE = re.compile(r'/\* size: (\d+)')
ATTR_RE = re.compile(r'\s*__attribute__\(\((?:[^()]|\([^()]*\))*\)\)\s*')

CHAR_NAMES = {'char', 'signed char', 'unsigned char'}
BASE_NAMES = {
    'char', 'signed char', 'unsigned char', 'short int', 'short unsigned int', 'int', 'unsigned int',
    'long int', 'long unsigned int', 'long long int', 'long long unsigned int', '_Bool', 'float',
    'double', 'long double', 'void', '__int128', '__int128 unsigned',
}


class Builder:
    def __init__(self, pointer_size):
        self.pointer_size = pointer_size
        self.user_types = {}
        self.base_types = {}
        self.enums = {}
        self.anon_count = 0

    def base(self, name, size):
        if name in self.base_types:
            return
        if name == 'void':
            kind, signed = 'void', True
        elif name in CHAR_NAMES:
            kind, signed = 'char', name != 'unsigned char'
        elif name == '_Bool':
            kind, signed = 'bool', False
        elif name in ('float', 'double', 'long double'):
            kind, signed = 'float', True
        else:
            kind, signed = 'int', 'unsigned' not in name
        self.base_types[name] = {'size': size, 'signed': signed, 'kind': kind, 'endian': 'little'}

    def type_desc(self, text, size):
        """Descriptor of a declared type (without the member name)."""
        text = ' '.join(w for w in text.split() if w not in ('const', 'volatile'))
        text = text.replace(' *', '*').strip()
        stars = 0
        while text.endswith('*'):
            stars += 1
            text = text[:-1].strip()
        if stars:
            self.base('pointer', self.pointer_size)
            desc = self.type_desc(text, 0) if text != 'void' else {'kind': 'base', 'name': 'void'}
            self.base('void', 0)
            for _ in range(stars):
                desc = {'kind': 'pointer', 'subtype': desc}
            return desc
        m = re.match(r'^(struct|union|enum) (\w+)$', text)
        if m:
            if m.group(1) == 'enum':
                self.enums.setdefault(m.group(2), {'size': size or 4, 'base': 'unsigned int',
                                                   'constants': {}})
            return {'kind': m.group(1), 'name': m.group(2)}
        name = text
        if name not in BASE_NAMES and name not in self.base_types:
            # a typedef pahole does not resolve: a base type of its size
            self.base(name, size)
        else:
            self.base(name, size if name != 'void' else 0)
        return {'kind': 'base', 'name': name}

    def member(self, decl, off, bit, size):
        """(name, field) for one member line."""
        decl = ATTR_RE.sub(' ', decl).strip()
        fm = re.match(r'^(?P<ret>.*?)\(\*\s*(?P<name>\w+)\)\s*\(.*\)$', decl)
        if fm:
            self.base('pointer', self.pointer_size)
            return fm.group('name'), {'type': {'kind': 'pointer', 'subtype': {'kind': 'function'}},
                                      'offset': off}
        bm = re.match(r'^(?P<type>.*?)\s*\b(?P<name>\w+)\s*:\s*(?P<bits>\d+)$', decl)
        if bm:
            inner = self.type_desc(bm.group('type'), size)
            return bm.group('name'), {'type': {'kind': 'bitfield', 'bit_position': bit or 0,
                                               'bit_length': int(bm.group('bits')), 'type': inner},
                                      'offset': off}
        am = re.match(r'^(?P<type>.*?)\s*\b(?P<name>\w+)\s*(?P<dims>(?:\[\d*\])*)$', decl)
        if not am:
            raise ValueError('cannot parse member: %r' % decl)
        dims = [int(d) if d else 0 for d in re.findall(r'\[(\d*)\]', am.group('dims'))]
        elems = 1
        for d in dims:
            elems *= d
        esize = size // elems if elems else 0
        desc = self.type_desc(am.group('type'), esize)
        for d in reversed(dims):
            desc = {'kind': 'array', 'count': d, 'subtype': desc}
        return am.group('name'), {'type': desc, 'offset': off}

    def inline_enum(self, parent, fields, lines):
        consts = {}
        for raw in lines:
            line = raw.strip()
            cm = re.match(r'^(\w+)\s*=\s*(-?\d+),?$', line)
            if cm:
                consts[cm.group(1)] = int(cm.group(2))
                continue
            em = re.match(r'^\}\s*(?P<name>\w+)\s*(?::\s*(?P<bits>\d+))?\s*;\s*/\*\s*(?P<off>\d+)'
                          r'(?::\s*(?P<bit>\d+))?\s+(?P<size>\d+)\s*\*/$', line)
            if not em:
                raise ValueError('%s: cannot parse enum line %r' % (parent, raw))
            ename = self.anon_name(parent)
            size = int(em.group('size'))
            self.enums[ename] = {'size': size, 'base': 'unsigned int', 'constants': consts}
            desc = {'kind': 'enum', 'name': ename}
            if em.group('bits'):
                desc = {'kind': 'bitfield', 'bit_position': int(em.group('bit') or 0),
                        'bit_length': int(em.group('bits')), 'type': desc}
            fields[em.group('name')] = {'type': desc, 'offset': int(em.group('off')), '_size': size}
            return
        raise ValueError('%s: unterminated enum' % parent)

    def anon_name(self, parent):
        self.anon_count += 1
        h = hashlib.sha256(('%s/%d' % (parent, self.anon_count)).encode()).hexdigest()[:16]
        return 'unnamed_' + h

    def parse(self, text):
        lines = iter(text.splitlines())
        for line in lines:
            m = TOP_RE.match(line)
            if m:
                self.parse_type(m.group('kind'), m.group('name'), lines)

    def parse_type(self, kind, name, lines):
        # stack of (kind, fields, name) for inline anonymous types; offsets
        # in pahole's output are from the start of the outermost type
        stack = [(kind, {}, name)]
        size = None
        for raw in lines:
            line = ATTR_RE.sub(' ', raw).strip()
            if not line:
                continue
            if len(stack) == 1 and re.match(r'^\}[^/]*;$', line):
                break
            if line.startswith('/*'):
                sm = SIZE_RE.match(line)
                if sm and len(stack) == 1:
                    size = int(sm.group(1))
                continue
            if re.match(r'^[\w ]*\s:\s*\d+;$', line):
                continue        # an unnamed bitfield (padding): no member
            if re.match(r'^(?:const )?enum\s*\{$', line):
                self.inline_enum(name, stack[-1][1], lines)
                continue
            om = OPEN_RE.match(line)
            if om:
                stack.append((om.group('kind'), {}, self.anon_name(name)))
                continue
            cm = CLOSE_RE.match(line)
            if cm and len(stack) > 1:
                ikind, ifields, iname = stack.pop()
                off, isize = int(cm.group('off')), int(cm.group('size'))
                fsize = isize
                stars = len(cm.group('ptr'))
                if stars:
                    # a pointer to an inline type: its offsets are its own
                    isize = max((f['offset'] + f['_size'] for f in ifields.values()), default=0)
                else:
                    for f in ifields.values():
                        f['offset'] -= off
                for f in ifields.values():
                    f.pop('_size', None)
                self.user_types[iname] = {'kind': ikind, 'size': isize, 'fields': ifields}
                desc = {'kind': ikind, 'name': iname}
                for _ in range(stars):
                    desc = {'kind': 'pointer', 'subtype': desc}
                fields = stack[-1][1]
                if cm.group('name'):
                    dims = [int(d) for d in re.findall(r'\[(\d+)\]', cm.group('arr') or '')]
                    for d in reversed(dims):
                        desc = {'kind': 'array', 'count': d, 'subtype': desc}
                    fields[cm.group('name')] = {'type': desc, 'offset': off, '_size': fsize}
                else:
                    fname = 'unnamed_field_%x' % off
                    n = 0
                    while fname in fields:
                        n += 1
                        fname = 'unnamed_field_%x_%d' % (off, n)
                    fields[fname] = {'type': desc, 'offset': off, 'anonymous': True,
                                     '_size': fsize}
                continue
            mm = MEMBER_RE.match(line)
            if mm:
                fname, field = self.member(mm.group('decl'), int(mm.group('off')),
                                           int(mm.group('bit')) if mm.group('bit') else None,
                                           int(mm.group('size')))
                field['_size'] = int(mm.group('size'))
                stack[-1][1][fname] = field
                continue
            raise ValueError('%s: cannot parse line %r' % (name, raw))
        if size is None and kind == 'union':
            # pahole gives no size for a top-level union: its largest member
            # (tail padding for alignment is not known here)
            size = max((f['offset'] + f['_size'] for f in stack[0][1].values()), default=0)
        if size is None or len(stack) != 1:
            raise ValueError('%s: no size, or unbalanced braces' % name)
        for f in stack[0][1].values():
            f.pop('_size', None)
        # pahole prints a type once per definition; the first one wins
        self.user_types.setdefault(name, {'kind': kind, 'size': size, 'fields': stack[0][1]})


def read_system_map(path):
    syms = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            addr, _, name = parts
            if name not in syms:
                syms[name] = int(addr, 16)
    return syms


def elf_class(path):
    with open(path, 'rb') as f:
        ident = f.read(6)
    if ident[:4] != b'\x7fELF' or ident[4] not in (1, 2) or ident[5] != 1:
        raise ValueError('%s: not a little-endian ELF file' % path)
    return ident[4]


def elf_read_string(path, vaddr, limit=4096):
    """NUL-terminated bytes at @vaddr in a little-endian ELF file (with the
    NUL), from the section that holds them."""
    with open(path, 'rb') as f:
        data = f.read()
    if elf_class(path) == 2:
        shoff, = struct.unpack_from('<Q', data, 0x28)
        shentsize, shnum = struct.unpack_from('<HH', data, 0x3a)
        shfmt = '<IIQQQQ'
    else:
        shoff, = struct.unpack_from('<I', data, 0x20)
        shentsize, shnum = struct.unpack_from('<HH', data, 0x2e)
        shfmt = '<IIIIII'
    for i in range(shnum):
        sh = struct.unpack_from(shfmt, data, shoff + i * shentsize)
        stype, addr, off, size = sh[1], sh[3], sh[4], sh[5]
        if stype == 8 or not addr:      # NOBITS, or not loaded
            continue
        if addr <= vaddr < addr + size:
            start = off + (vaddr - addr)
            end = data.index(b'\0', start, start + limit)
            return data[start:end + 1]
    raise ValueError('%s: no section holds 0x%x' % (path, vaddr))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--system-map', required=True)
    ap.add_argument('--vmlinux', required=True)
    ap.add_argument('--types', help='comma-separated struct/union names (pahole -C)')
    ap.add_argument('--pahole', help="pahole's output, instead of running it")
    ap.add_argument('--xz', action='store_true', help='compress the output with xz')
    ap.add_argument('-o', '--output', required=True)
    args = ap.parse_args()

    if args.pahole:
        with open(args.pahole) as f:
            text = f.read()
    else:
        cmd = ['pahole']
        if args.types:
            cmd += ['-C', args.types]
        cmd.append(args.vmlinux)
        text = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    b = Builder(8 if elf_class(args.vmlinux) == 2 else 4)
    b.parse(text)
    if args.types:
        missing = [t for t in args.types.split(',') if t not in b.user_types]
        if missing:
            sys.exit('make-isf.py: pahole printed no %s' % ', '.join(missing))

    symbols = {name: {'address': addr} for name, addr in read_system_map(args.system_map).items()}
    if 'linux_banner' in symbols:
        banner = elf_read_string(args.vmlinux, symbols['linux_banner']['address'])
        symbols['linux_banner']['constant_data'] = base64.b64encode(banner).decode()

    isf = {
        'metadata': {
            'format': '6.2.0',
            'producer': {
                'name': 'libvmi-make-isf',
                'version': '0.1.0',
                'datetime': datetime.datetime.now(datetime.timezone.utc).isoformat(),
            },
            'linux': {
                'symbols': [{'kind': 'system-map', 'name': 'System.map', 'hash_type': 'sha256',
                             'hash_value': sha256_file(args.system_map)}],
                'types': [{'kind': 'dwarf', 'name': 'vmlinux', 'hash_type': 'sha256',
                           'hash_value': sha256_file(args.vmlinux)}],
            },
        },
        'base_types': b.base_types,
        'user_types': b.user_types,
        'enums': b.enums,
        'symbols': symbols,
    }
    out = json.dumps(isf, indent=1, sort_keys=False).encode()
    if args.xz:
        out = lzma.compress(out, preset=6)
    with open(args.output, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main()
