#!/bin/bash
# libvmi test rig: Debian kernels + busybox initramfs guests under QEMU (TCG),
# with ground truth printed by the guest itself.  See README.md.
#
#   rig.sh fetch ARCH            ARCH  = amd64 (Debian 12) | amd64-bullseye (11) |
#                                        amd64-trixie (13) | i386-pae | i386 (12)
#   rig.sh build GUEST           GUEST = one of `rig.sh list`
#   rig.sh boot GUEST RUNDIR     start in background, wait for VMI-READY
#   rig.sh stop RUNDIR
#   rig.sh snapshot GUEST        memory dumps + truth; prints the result dir
#   rig.sh all                   snapshot of all guests
#   rig.sh list                  the guest names, one a line
#   rig.sh env GUEST             RIG_*=... assignments (runs snapshot if needed)
#
# Exit status 77: something could not be downloaded (tests SKIP).
set -euo pipefail

RIG_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig}
QEMU=${LIBVMI_RIG_QEMU:-qemu-system-x86_64}
PY=${LIBVMI_RIG_PYTHON:-python3}
RAM_MB=512
BOOT_TIMEOUT=${LIBVMI_RIG_BOOT_TIMEOUT:-120}
GUESTS="amd64 amd64-la57 amd64-bullseye amd64-bullseye-la57 amd64-trixie amd64-trixie-la57 i386-pae i386"
ARCHES="amd64 amd64-bullseye amd64-trixie i386-pae i386"
RESULT_FORMAT=1 # bump when the result directory layout changes (invalidates snapshots)
OFFSETS_FORMAT=2 # bump when offsets.py prints more (kernels/<kver>/offsets.txt redone in place)
# the structs given to pahole (pahole.txt, offsets.txt)
PAHOLE_STRUCTS=task_struct,mm_struct,list_head,cred,vm_area_struct

log() { echo "rig: $*" >&2; }
die() { echo "rig: error: $*" >&2; exit 1; }
nofetch() { echo "rig: SKIP: could not fetch $*" >&2; exit 77; }

# ---------------------------------------------------------------- mapping
# guest -> kernel ARCH key; ARCH -> Debian architecture, Debian release
# (empty: the host's own apt sources, i.e. bookworm), apt configuration key.
guest_arch() {
    case $1 in
    amd64 | amd64-la57) echo amd64 ;;
    amd64-bullseye | amd64-bullseye-la57) echo amd64-bullseye ;;
    amd64-trixie | amd64-trixie-la57) echo amd64-trixie ;;
    i386-pae) echo i386-pae ;;
    i386) echo i386 ;;
    *) die "unknown guest '$1' (one of: $GUESTS)" ;;
    esac
}
dpkg_arch() {
    case $1 in
    amd64 | amd64-bullseye | amd64-trixie) echo amd64 ;;
    i386 | i386-pae) echo i386 ;;
    *) die "unknown arch '$1' (one of: $ARCHES)" ;;
    esac
}
debian_release() { case $1 in amd64-bullseye) echo bullseye ;; amd64-trixie) echo trixie ;; *) echo ;; esac; }
apt_key() { # private apt configuration of ARCH: apt/<darch> (host sources) or apt/<darch>-<release>
    local r
    r=$(debian_release "$1")
    echo "$(dpkg_arch "$1")${r:+-$r}"
}
meta_pkg() { case $1 in amd64*) echo linux-image-amd64 ;; i386-pae) echo linux-image-686-pae ;; i386) echo linux-image-686 ;; esac; }
qemu_cpu() { case $1 in *-la57) echo max ;; i386) echo qemu32 ;; *) echo qemu64 ;; esac; }

# ---------------------------------------------------------------- locking
# One rig process at a time works on the cache (re-entrant through RIG_LOCKED).
with_lock() {
    if [ "${RIG_LOCKED:-}" = 1 ]; then
        "$@"
        return
    fi
    mkdir -p "$CACHE"
    (
        flock 9
        export RIG_LOCKED=1
        "$@"
    ) 9>"$CACHE/.lock"
}

# ---------------------------------------------------------------- apt
# A private apt configuration per KEY (see apt_key): own lists, status
# (empty), cache.  KEY = <darch>: the same sources as the host; KEY =
# <darch>-<release>: deb.debian.org <release>, <release>-updates and
# <release>-security only.  The host's apt state is not used.
apt_dir() { echo "$CACHE/apt/$1"; }

HOST_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# apt_keyring RELEASE -> a keyring file holding the archive keys of RELEASE.
# The host's debian-archive-keyring has them when it ships the per-release
# files (bookworm's 2023.3+deb12u2 has 11/bullseye, 12/bookworm, 13/trixie).
# Otherwise the current debian-archive-keyring package is fetched through the
# host's own (signature-checked) apt sources and its keyring used.
apt_keyring() {
    local rel=$1 k="$CACHE/apt/keyring" deb tmp
    if [ -s "$HOST_KEYRING" ] && [ -s "/usr/share/keyrings/debian-archive-$rel-stable.gpg" ]; then
        echo "$HOST_KEYRING"
        return
    fi
    if [ ! -s "$k/debian-archive-$rel-stable.gpg" ]; then
        log "the host's debian-archive-keyring has no $rel keys: fetching debian-archive-keyring (host sources)"
        apt_setup amd64
        deb=$(apt_download amd64 debian-archive-keyring)
        tmp="$k.tmp-$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        dpkg-deb -x "$deb" "$tmp/x"
        [ -s "$tmp/x/usr/share/keyrings/debian-archive-$rel-stable.gpg" ] ||
            nofetch "archive keys for Debian $rel (not in $(basename "$deb") either)"
        mv "$tmp/x/usr/share/keyrings/"*.gpg "$tmp/"
        rm -rf "$tmp/x" "$k"
        mv "$tmp" "$k"
        rm -f "$deb"
    fi
    echo "$k/debian-archive-keyring.gpg"
}

apt_setup() {
    local key=$1 A arch rel keyring
    A=$(apt_dir "$key")
    arch=${key%%-*}
    rel=
    [ "$arch" = "$key" ] || rel=${key#*-}
    if [ ! -f "$A/apt.conf" ]; then
        mkdir -p "$A/etc/apt.conf.d" "$A/etc/sources.list.d" "$A/etc/preferences.d" \
            "$A/state/lists/partial" "$A/cache/archives/partial" "$A/log"
        : >"$A/status"
        : >"$A/etc/sources.list"
        if [ -n "$rel" ]; then
            keyring=$(apt_keyring "$rel")
            cat >"$A/etc/sources.list.d/debian-$rel.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $rel $rel-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $rel-security
Components: main
Signed-By: $keyring
EOF
        else
            local src
            for src in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
                [ -f "$src" ] && cp "$src" "$A/etc/sources.list.d/"
            done
            [ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$A/etc/sources.list"
        fi
        cat >"$A/apt.conf.tmp" <<EOF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Dir::Etc::Parts "$A/etc/apt.conf.d";
Dir::Etc::Main "$A/etc/apt.conf";
Dir::Etc::SourceList "$A/etc/sources.list";
Dir::Etc::SourceParts "$A/etc/sources.list.d";
Dir::Etc::Preferences "$A/etc/preferences";
Dir::Etc::PreferencesParts "$A/etc/preferences.d";
Dir::State "$A/state";
Dir::State::Lists "$A/state/lists";
Dir::State::status "$A/status";
Dir::Cache "$A/cache";
Dir::Cache::Archives "$A/cache/archives";
Dir::Log "$A/log";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Acquire::IndexTargets::deb::Translations::DefaultEnabled "false";
EOF
        mv "$A/apt.conf.tmp" "$A/apt.conf"
    fi
    if [ ! -f "$A/updated" ] || [ "${LIBVMI_RIG_REFRESH:-0}" = 1 ]; then
        log "apt-get update ($key, private config)"
        APT_CONFIG="$A/apt.conf" apt-get -q update >"$A/log/update.log" 2>&1 || true
        # A single inconsistent suite (e.g. a security mirror in sync) is
        # tolerated as long as some package index arrived.
        if ! ls "$A"/state/lists/*_Packages* >/dev/null 2>&1; then
            grep -E '^(E|W):' "$A/log/update.log" | sed 's/^/rig:   /' >&2 || true
            nofetch "the Debian package index for $key (apt-get update failed)"
        fi
        if grep -qE '^(E|W):' "$A/log/update.log"; then
            log "warning: apt-get update ($key) partly failed, using the indexes it got:"
            grep -E '^(E|W):' "$A/log/update.log" | sed 's/^/rig:   /' >&2 || true
        fi
        date -u +%FT%TZ >"$A/updated"
    fi
}

aptc() {
    local arch=$1
    shift
    APT_CONFIG="$(apt_dir "$arch")/apt.conf" "$@"
}

# apt_download KEY PKG -> path of the .deb in $CACHE/dl (kept until deleted)
apt_download() {
    local key=$1 pkg=$2 ver f
    ver=$(aptc "$key" apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1 || true)
    [ -n "$ver" ] || nofetch "$pkg ($key): not in the package index"
    mkdir -p "$CACHE/dl"
    # named <pkg>_<version with ':' as %3a>_<arch or all>.deb
    f=$(ls -1 "$CACHE/dl/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -n "$f" ] && dpkg-deb -I "$f" >/dev/null 2>&1; then
        echo "$f"
        return
    fi
    log "downloading $pkg $ver ($key)"
    if ! (cd "$CACHE/dl" && aptc "$key" apt-get -q download "$pkg=$ver" >&2); then
        nofetch "$pkg $ver ($key)"
    fi
    f=$(ls -1 "$CACHE/dl/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    [ -n "$f" ] && [ -f "$f" ] || nofetch "$pkg $ver ($key)"
    echo "$f"
}

# ---------------------------------------------------------------- kernels
# extract_vmlinux VMLINUZ OUT: find the compressed payload, decompress, check ELF.
extract_vmlinux() {
    local z=$1 out=$2 magic tool off
    for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lzma:\x5d\x00\x00\x00'; do
        tool=${magic%%:*}
        for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$z" 2>/dev/null | cut -d: -f1); do
            case $tool in
            xz) tail -c +$((off + 1)) "$z" | xz -dc --single-stream >"$out" 2>/dev/null || true ;;
            zstd) tail -c +$((off + 1)) "$z" | zstd -dcq >"$out" 2>/dev/null || true ;;
            gzip) tail -c +$((off + 1)) "$z" | gzip -dc >"$out" 2>/dev/null || true ;;
            lzma) tail -c +$((off + 1)) "$z" | xz -dc --format=lzma >"$out" 2>/dev/null || true ;;
            esac
            if [ "$(head -c4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
                log "vmlinux: $tool payload at offset $off of $(basename "$z")"
                return 0
            fi
        done
    done
    rm -f "$out"
    return 1
}

kernel_dir() { echo "$CACHE/kernels/current-$1"; } # stable symlink per ARCH

# kernel_offsets DIR: DIR/pahole.txt and DIR/offsets.txt from DIR/vmlinux
# (pahole is the ground truth); redone in place, atomically, when
# OFFSETS_FORMAT changed (the lines of older formats stay as they were).
kernel_offsets() {
    local d=$1
    [ "$(cat "$d/offsets-format" 2>/dev/null)" = "$OFFSETS_FORMAT" ] && [ -s "$d/offsets.txt" ] && return 0
    local rc=0
    log "struct offsets (pahole) of $(basename "$d")"
    # pahole 1.24 (bookworm) warns "Unknown kind 17" (BTF_KIND_DECL_TAG) on
    # newer kernels' BTF; the layouts are cross-checked below
    pahole -C "$PAHOLE_STRUCTS" "$d/vmlinux" >"$d/pahole.txt.tmp-$$" 2>"$d/pahole.err" ||
        { cat "$d/pahole.err" >&2; die "pahole failed on $d/vmlinux"; }
    "$PY" "$RIG_SRC/offsets.py" <"$d/pahole.txt.tmp-$$" >"$d/offsets.txt.tmp-$$" ||
        die "struct offsets not found in the pahole output of $(basename "$d")"
    # the same read from the vmlinux's .BTF directly (rc 3: there is none)
    "$PY" "$RIG_SRC/offsets.py" --btf "$d/vmlinux" >"$d/offsets-btf.tmp-$$" || rc=$?
    if [ $rc -eq 0 ]; then
        cmp -s "$d/offsets.txt.tmp-$$" "$d/offsets-btf.tmp-$$" || {
            diff "$d/offsets.txt.tmp-$$" "$d/offsets-btf.tmp-$$" | sed 's/^/rig:   /' >&2
            die "pahole and the .BTF of $(basename "$d") disagree (- pahole, + BTF)"
        }
    elif [ $rc -ne 3 ] && [ "$(head -c5 "$d/vmlinux" | od -An -tx1 | tr -d ' \n')" = 7f454c4602 ]; then
        die "the .BTF of $(basename "$d") could not be read"
    fi
    rm -f "$d/offsets-btf.tmp-$$"
    [ -s "$d/pahole.err" ] || rm -f "$d/pahole.err"
    mv "$d/pahole.txt.tmp-$$" "$d/pahole.txt"
    mv "$d/offsets.txt.tmp-$$" "$d/offsets.txt"
    echo "$OFFSETS_FORMAT" >"$d/offsets-format"
}

do_fetch() {
    local arch=$1 darch key meta pkg pver kver kd tmp deb dbg= f
    darch=$(dpkg_arch "$arch")
    key=$(apt_key "$arch")
    if [ -f "$(kernel_dir "$arch")/.complete" ] && [ "${LIBVMI_RIG_REFRESH:-0}" != 1 ]; then
        kernel_offsets "$(readlink -f "$(kernel_dir "$arch")")"
        return 0
    fi
    apt_setup "$key"
    meta=$(meta_pkg "$arch")
    pkg=$(aptc "$key" apt-cache show --no-all-versions "$meta" 2>/dev/null |
        sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n1 || true)
    [ -n "$pkg" ] || nofetch "$meta ($key): not in the package index"
    kver=${pkg#linux-image-}
    kd="$CACHE/kernels/$kver"
    if [ ! -f "$kd/.complete" ]; then
        tmp="$CACHE/kernels/.tmp-$kver-$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        trap 'rm -rf "$tmp"' EXIT
        deb=$(apt_download "$key" "$pkg")
        pver=$(dpkg-deb -f "$deb" Version)
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$kver" "./boot/config-$kver"
        mv "$tmp/boot/vmlinuz-$kver" "$tmp/vmlinuz"
        mv "$tmp/boot/config-$kver" "$tmp/config"
        rmdir "$tmp/boot"
        if [ "$darch" = amd64 ]; then
            extract_vmlinux "$tmp/vmlinuz" "$tmp/vmlinux" || die "no vmlinux found inside vmlinuz-$kver"
        else
            dbg=$(apt_download "$key" "$pkg-dbg")
            log "extracting System.map and vmlinux from $(basename "$dbg")"
            # the members come first in the archive; --occurrence stops early
            dpkg-deb --fsys-tarfile "$dbg" 2>/dev/null | tar -x -C "$tmp" --occurrence=1 \
                "./usr/lib/debug/boot/System.map-$kver" "./usr/lib/debug/boot/vmlinux-$kver" 2>/dev/null || true
            if [ ! -s "$tmp/usr/lib/debug/boot/vmlinux-$kver" ] || [ ! -s "$tmp/usr/lib/debug/boot/System.map-$kver" ]; then
                rm -rf "$tmp/usr" "$tmp/boot"
                dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$tmp" --wildcards \
                    "./boot/System.map-$kver" "./usr/lib/debug/boot/System.map-$kver" \
                    "./usr/lib/debug/boot/vmlinux-$kver" 2>/dev/null || true
            fi
            for f in "$tmp/usr/lib/debug/boot/System.map-$kver" "$tmp/boot/System.map-$kver"; do
                [ -s "$f" ] && mv "$f" "$tmp/System.map" && break
            done
            [ -s "$tmp/System.map" ] || die "no System.map in $(basename "$dbg")"
            [ -s "$tmp/usr/lib/debug/boot/vmlinux-$kver" ] || die "no vmlinux in $(basename "$dbg")"
            mv "$tmp/usr/lib/debug/boot/vmlinux-$kver" "$tmp/vmlinux"
            rm -rf "$tmp/usr" "$tmp/boot"
        fi
        kernel_offsets "$tmp"
        echo "$kver" >"$tmp/kernel-version.txt"
        echo "$pkg $pver" >"$tmp/package.txt"
        rm -f "$deb" ${dbg:+"$dbg"}
        touch "$tmp/.complete"
        rm -rf "$kd"
        mv "$tmp" "$kd"
        trap - EXIT
        log "kernel $kver ready in $kd"
    else
        kernel_offsets "$kd"
    fi
    ln -sfn "$kver" "$CACHE/kernels/current-$arch.new"
    mv -T "$CACHE/kernels/current-$arch.new" "$CACHE/kernels/current-$arch"
}

# ---------------------------------------------------------------- initramfs
busybox_bin() {
    local darch=$1 d="$CACHE/busybox/$1" deb tmp
    if [ ! -x "$d/busybox" ]; then
        apt_setup "$darch"
        deb=$(apt_download "$darch" busybox-static)
        tmp="$d.tmp-$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./bin/busybox
        dpkg-deb -f "$deb" Version >"$tmp/version"
        mv "$tmp/bin/busybox" "$tmp/busybox"
        rmdir "$tmp/bin"
        rm -rf "$d"
        mv "$tmp" "$d"
        rm -f "$deb"
    fi
    echo "$d/busybox"
}

initrd_path() { echo "$CACHE/initrd/$1/initrd.img"; }

do_build_initrd() {
    local darch=$1 bb key d tmp a
    bb=$(busybox_bin "$darch")
    key=$(cat "$bb" "$RIG_SRC/init.sh" | sha256sum | cut -c1-16)
    d="$CACHE/initrd/$darch"
    if [ -f "$d/initrd.img" ] && [ "$(cat "$d/key" 2>/dev/null)" = "$key" ]; then
        return 0
    fi
    log "building initramfs ($darch)"
    tmp="$CACHE/initrd/.tmp-$darch-$$"
    rm -rf "$tmp"
    mkdir -p "$tmp/root/bin" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/dev" "$tmp/root/run"
    install -m 0755 "$bb" "$tmp/root/bin/busybox"
    for a in sh mount mkdir mkfifo cat grep ln stty gzip; do
        ln -s busybox "$tmp/root/bin/$a"
    done
    for a in a b c; do
        ln "$tmp/root/bin/busybox" "$tmp/root/bin/vmi-sentinel-$a"
    done
    install -m 0755 "$RIG_SRC/init.sh" "$tmp/root/init"
    mknod -m 600 "$tmp/root/dev/console" c 5 1 2>/dev/null || true
    (cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -9 >"$tmp/initrd.img"
    echo "$key" >"$tmp/key"
    cp "$(dirname "$bb")/version" "$tmp/busybox-version"
    rm -rf "$tmp/root" "$d"
    mkdir -p "$CACHE/initrd"
    mv "$tmp" "$d"
}

do_build() {
    local guest=$1 arch
    arch=$(guest_arch "$guest")
    do_fetch "$arch"
    do_build_initrd "$(dpkg_arch "$arch")"
}

# ---------------------------------------------------------------- boot/stop
qmp() { "$PY" "$RIG_SRC/qmp.py" "$@"; }

do_boot() {
    local guest=$1 run=$2 arch kd initrd pid t0 i
    arch=$(guest_arch "$guest")
    kd=$(kernel_dir "$arch")
    initrd=$(initrd_path "$(dpkg_arch "$arch")")
    [ -f "$kd/vmlinuz" ] && [ -f "$initrd" ] || die "guest $guest is not built (rig.sh build $guest)"
    mkdir -p "$run"
    run=$(cd "$run" && pwd)
    if [ -f "$run/qemu.pid" ] && kill -0 "$(cat "$run/qemu.pid")" 2>/dev/null; then
        die "a guest is already running in $run (pid $(cat "$run/qemu.pid"))"
    fi
    rm -f "$run/console.log" "$run/kallsyms.gz" "$run/qmp.sock" "$run/gdb.sock" "$run/ram.file" "$run/qemu.pid"
    echo "$guest" >"$run/guest"
    readlink -f "$kd" >"$run/kernel-dir"
    t0=$(date +%s%3N)
    # LIBVMI_RIG_SMP: vCPUs; LIBVMI_RIG_SHM=0: RAM not in a shared file
    # (live tests of the other memory paths); LIBVMI_RIG_BUSY=1: a second
    # process wakes every second (address-space switches: CR3 writes)
    local append="console=ttyS0 panic=-1 quiet"
    [ "${LIBVMI_RIG_BUSY:-0}" = 0 ] || append="$append vmi.busy=1"
    local ram_backend="memory-backend-file,id=ram0,size=${RAM_MB}M,mem-path=$run/ram.file,share=on"
    [ "${LIBVMI_RIG_SHM:-1}" != 0 ] || ram_backend="memory-backend-ram,id=ram0,size=${RAM_MB}M"
    "$QEMU" -accel tcg -cpu "$(qemu_cpu "$guest")" -m $RAM_MB -smp "${LIBVMI_RIG_SMP:-1}" \
        -kernel "$kd/vmlinuz" -initrd "$initrd" \
        -append "$append" \
        -display none -monitor none -nodefaults -vga none \
        -serial "file:$run/console.log" ${RIG_KALLSYMS:+-serial "file:$run/kallsyms.gz"} \
        -qmp "unix:$run/qmp.sock,server=on,wait=off" \
        -gdb "unix:$run/gdb.sock,server=on,wait=off" \
        -object "$ram_backend" \
        -machine pc,memory-backend=ram0 \
        -no-reboot -daemonize -pidfile "$run/qemu.pid" 2>"$run/qemu.err" ||
        { cat "$run/qemu.err" >&2; rm -f "$run/ram.file"; die "qemu failed to start"; }
    pid=$(cat "$run/qemu.pid")
    for ((i = 0; i < BOOT_TIMEOUT * 10; i++)); do
        if grep -q '^VMI-READY' "$run/console.log" 2>/dev/null; then
            t0=$(($(date +%s%3N) - t0))
            log "$guest up in $((t0 / 1000)).$(printf %03d $((t0 % 1000))) s ($run, qemu pid $pid)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "qemu exited before VMI-READY; console tail:"
            tail -n 30 "$run/console.log" >&2 2>/dev/null || true
            rm -f "$run/ram.file"
            die "guest $guest did not boot"
        fi
        sleep 0.1
    done
    log "no VMI-READY after $BOOT_TIMEOUT s; console tail:"
    tail -n 30 "$run/console.log" >&2 2>/dev/null || true
    do_stop "$run"
    die "guest $guest boot timed out"
}

do_stop() {
    local run=$1 pid i
    if [ -f "$run/qemu.pid" ]; then
        pid=$(cat "$run/qemu.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$run/qemu.pid"
    fi
    rm -f "$run/ram.file" "$run/qmp.sock" "$run/gdb.sock"
}

# ---------------------------------------------------------------- snapshot
result_link() { echo "$CACHE/guests/$1"; }

snapshot_current() { # is the cached result for GUEST made from the current kernel?
    local guest=$1 arch r
    arch=$(guest_arch "$guest")
    r=$(result_link "$guest")
    [ -f "$r/.complete" ] && [ -f "$(kernel_dir "$arch")/.complete" ] &&
        [ "$(cat "$r/rig-format" 2>/dev/null)" = "$RESULT_FORMAT" ] &&
        [ "$(cat "$r/truth/kernel-version.txt")" = "$(cat "$(kernel_dir "$arch")/kernel-version.txt")" ] || return 1
    # amd64 snapshots made before truth/kallsyms.txt existed are taken again
    # (into a new directory: the old one stays for whoever still reads it);
    # so are those made before the guest printed its kernel log and modules
    [ -s "$r/truth/kmsg.txt" ] && [ -f "$r/truth/modules.txt" ] || return 1
    [ "$(dpkg_arch "$arch")" != amd64 ] || [ -s "$r/truth/kallsyms.txt" ]
}

hexoff() { printf '0x%x' "$(awk -v k="$1" '$1 == k { print $2 }' "$2")"; }

# zero_conf DIR GUEST: DIR/libvmi-zero.conf, an entry with nothing but the OS
# type (for the zero-configuration tests); added to older snapshots in place.
zero_conf() {
    [ -s "$1/libvmi-zero.conf" ] && return 0
    printf '%s { ostype = "Linux"; }\n' "$2" >"$1/libvmi-zero.conf.tmp-$$"
    mv "$1/libvmi-zero.conf.tmp-$$" "$1/libvmi-zero.conf"
}

# prune_snapshots GUEST KEEP: result dirs of GUEST replaced by a newer one
# (marked .superseded) more than 2 hours ago are removed; whoever read the
# old RIG_* paths before has that long to finish.
prune_snapshots() {
    local guest=$1 keep=$2 d
    for d in "$CACHE/guests/"*/; do
        d=${d%/}
        [ "$d" != "$keep" ] && [ -f "$d/guest" ] && [ "$(cat "$d/guest")" = "$guest" ] || continue
        [ -f "$d/.superseded" ] && [ -n "$(find "$d/.superseded" -mmin +120)" ] || continue
        log "removing the old snapshot $d"
        rm -rf "$d"
    done
}

do_snapshot() {
    local guest=$1 arch darch kd kver final tmp run try off after text maptext t0 i ok cr4 n old want levels
    arch=$(guest_arch "$guest")
    darch=$(dpkg_arch "$arch")
    if snapshot_current "$guest"; then
        zero_conf "$(readlink -f "$(result_link "$guest")")" "$guest"
        readlink -f "$(result_link "$guest")"
        return 0
    fi
    t0=$(date +%s)
    do_build "$guest"
    kd=$(readlink -f "$(kernel_dir "$arch")")
    kver=$(cat "$kd/kernel-version.txt")
    final="$CACHE/guests/$guest-$kver"
    n=1
    while [ -e "$final" ] && [ "$(readlink -f "$(result_link "$guest")")" = "$(readlink -f "$final")" ]; do
        n=$((n + 1))
        final="$CACHE/guests/$guest-$kver.$n"
    done
    tmp="$CACHE/guests/.tmp-$guest-$$"
    run=$(mktemp -d /tmp/libvmi-rig-run.XXXXXX)
    trap 'do_stop "$run"; rm -rf "$run" "$tmp"' EXIT
    for try in 1 2 3; do
        rm -rf "$tmp"
        mkdir -p "$tmp/truth"
        # amd64: the guest's whole kallsyms, gzip'ed on a second serial port
        RIG_KALLSYMS=$([ "$darch" = amd64 ] && echo 1) do_boot "$guest" "$run"
        qmp "$run/qmp.sock" stop >/dev/null
        off=$(stat -c %s "$run/console.log")
        qmp "$run/qmp.sock" hmp "info registers" >"$tmp/truth/regs.txt"
        qmp "$run/qmp.sock" dump-guest-memory "{\"paging\": false, \"protocol\": \"file:$tmp/$guest.elf\"}" >/dev/null
        qmp "$run/qmp.sock" pmemsave "{\"val\": 0, \"size\": $((RAM_MB * 1024 * 1024)), \"filename\": \"$tmp/$guest.raw\"}" >/dev/null
        qmp "$run/qmp.sock" cont >/dev/null
        "$PY" "$RIG_SRC/truth.py" ps-before "$run/console.log" "$off" >"$tmp/truth/ps-before.txt" ||
            die "no complete process list before the snapshot"
        after=
        for ((i = 0; i < 300; i++)); do
            if "$PY" "$RIG_SRC/truth.py" ps-after "$run/console.log" "$off" >"$tmp/truth/ps-after.txt" 2>/dev/null; then
                after=1
                break
            fi
            sleep 0.1
        done
        [ -n "$after" ] || die "no process list after the snapshot (console: $run/console.log)"
        do_stop "$run"
        ok=1
        if [ "$darch" = amd64 ]; then
            if ! gzip -dc "$run/kallsyms.gz" 2>/dev/null >"$run/kallsyms.txt" ||
                ! "$PY" "$RIG_SRC/truth.py" kallsyms "$run/kallsyms.txt" >"$tmp/truth/kallsyms.txt"; then
                log "the kallsyms dump from the guest is incomplete (try $try)"
                ok=
            fi
        fi
        if [ -n "$ok" ] && cmp -s "$tmp/truth/ps-before.txt" "$tmp/truth/ps-after.txt"; then
            break
        fi
        if [ -n "$ok" ]; then
            log "process list changed across the snapshot (try $try):"
            diff "$tmp/truth/ps-before.txt" "$tmp/truth/ps-after.txt" | sed 's/^/rig:   /' >&2 || true
        fi
        [ "$try" -lt 3 ] || die "no consistent snapshot of $guest in 3 tries"
    done
    mv "$tmp/truth/ps-before.txt" "$tmp/truth/ps.txt"
    rm -f "$tmp/truth/ps-after.txt"
    cp "$run/console.log" "$tmp/truth/console.log"
    "$PY" "$RIG_SRC/truth.py" extract "$tmp/truth/console.log" "$tmp/truth"
    echo "$kver" >"$tmp/truth/kernel-version.txt"
    cp "$kd/package.txt" "$tmp/truth/package.txt"
    cp "$kd/offsets.txt" "$tmp/truth/offsets.txt"
    # the amd64 System.map comes from the guest's kallsyms, once per kernel
    if [ "$darch" = amd64 ] && [ ! -s "$kd/System.map" ]; then
        text=$(awk '$1 == "_text" { print $2 }' "$tmp/truth/ksyms.txt")
        [ -n "$text" ] || die "_text missing from the guest's kallsyms"
        "$PY" "$RIG_SRC/truth.py" sysmap "$run/kallsyms.txt" "$text" >"$kd/System.map.tmp-$$"
        mv "$kd/System.map.tmp-$$" "$kd/System.map"
    fi
    cp "$kd/System.map" "$tmp/System.map"
    text=$(awk '$1 == "_text" { print $2 }' "$tmp/truth/ksyms.txt")
    maptext=$(awk '$3 == "_text" { print $1 }' "$tmp/System.map")
    printf 'text 0x%s\nmap_text 0x%s\nslide 0x%x\n' "$text" "$maptext" $((0x$text - 0x$maptext)) >"$tmp/truth/kaslr.txt"
    [ $((0x$text - 0x$maptext)) -ne 0 ] || log "warning: $guest booted with KASLR slide 0 (chance, or KASLR off)"
    if [ "$darch" = amd64 ]; then
        # the paging mode the guest really runs in: CR4.LA57 (bit 12)
        cr4=$(sed -n 's/.*CR4=\([0-9a-fA-F]*\).*/\1/p' "$tmp/truth/regs.txt" | head -n1)
        [ -n "$cr4" ] || die "no CR4 in the registers of $guest"
        # A -la57 guest has a CPU with LA57 (-cpu max); a kernel built
        # without CONFIG_X86_5LEVEL (no __pgtable_l5_enabled: Debian 11)
        # still runs 4-level there.
        want=4
        case $guest in
        *-la57) ! grep -q ' __pgtable_l5_enabled$' "$tmp/truth/kallsyms.txt" || want=5 ;;
        esac
        levels=4
        [ $((0x$cr4 & 0x1000)) -eq 0 ] || levels=5
        [ "$levels" = "$want" ] || die "$guest runs with $levels-level paging, expected $want (CR4=$cr4)"
        case $guest in
        *-la57) [ "$want" = 5 ] || log "note: kernel $kver has no 5-level paging: $guest runs 4-level on a CPU with LA57" ;;
        esac
        printf 'cr4 0x%s\nlevels %s\n' "$cr4" "$levels" >"$tmp/truth/paging.txt"
    fi
    chmod 0644 "$tmp/$guest.elf" "$tmp/$guest.raw"
    cat >"$tmp/libvmi.conf" <<EOF
$guest {
    ostype = "Linux";
    sysmap = "$final/System.map";
    linux_tasks = $(hexoff task_struct.tasks "$kd/offsets.txt");
    linux_mm = $(hexoff task_struct.mm "$kd/offsets.txt");
    linux_pid = $(hexoff task_struct.pid "$kd/offsets.txt");
    linux_name = $(hexoff task_struct.comm "$kd/offsets.txt");
    linux_pgd = $(hexoff mm_struct.pgd "$kd/offsets.txt");
}
EOF
    zero_conf "$tmp" "$guest"
    echo "$guest" >"$tmp/guest"
    echo "$RESULT_FORMAT" >"$tmp/rig-format"
    touch "$tmp/.complete"
    old=
    [ ! -L "$(result_link "$guest")" ] || old=$(readlink -f "$(result_link "$guest")" || true)
    rm -rf "$final"
    mv "$tmp" "$final"
    ln -sfn "$(basename "$final")" "$CACHE/guests/$guest.new"
    mv -T "$CACHE/guests/$guest.new" "$CACHE/guests/$guest"
    [ -z "$old" ] || [ "$old" = "$final" ] || [ ! -d "$old" ] || touch "$old/.superseded"
    rm -rf "$run"
    trap - EXIT
    prune_snapshots "$guest" "$final"
    log "snapshot $guest done in $(($(date +%s) - t0)) s"
    echo "$final"
}

do_env() {
    local guest=$1 d arch
    d=$(do_snapshot "$guest" | tail -n1)
    arch=$(guest_arch "$guest")
    printf '%s=%q\n' \
        RIG_GUEST "$guest" \
        RIG_DIR "$d" \
        RIG_CONF "$d/libvmi.conf" \
        RIG_RAW "$d/$guest.raw" \
        RIG_ELF "$d/$guest.elf" \
        RIG_SYSMAP "$d/System.map" \
        RIG_TRUTH "$d/truth" \
        RIG_ZCONF "$d/libvmi-zero.conf" \
        RIG_KALLSYMS "$([ "$(dpkg_arch "$arch")" = amd64 ] && echo "$d/truth/kallsyms.txt")" \
        RIG_KERNEL_DIR "$(readlink -f "$(kernel_dir "$arch")")" \
        RIG_INITRD "$(initrd_path "$(dpkg_arch "$arch")")" \
        RIG_SH "$RIG_SRC/rig.sh"
}

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    [ $# -ge 1 ] || usage
    local cmd=$1 g
    shift
    case $cmd in
    fetch)
        [ $# -eq 1 ] || usage
        dpkg_arch "$1" >/dev/null
        with_lock do_fetch "$1"
        readlink -f "$(kernel_dir "$1")"
        ;;
    build)
        [ $# -eq 1 ] || usage
        guest_arch "$1" >/dev/null
        with_lock do_build "$1"
        ;;
    boot)
        [ $# -eq 2 ] || usage
        guest_arch "$1" >/dev/null
        with_lock do_build "$1"
        do_boot "$1" "$2"
        ;;
    stop)
        [ $# -eq 1 ] || usage
        do_stop "$1"
        ;;
    snapshot)
        [ $# -eq 1 ] || usage
        guest_arch "$1" >/dev/null
        with_lock do_snapshot "$1"
        ;;
    all)
        [ $# -eq 0 ] || usage
        for g in $GUESTS; do
            with_lock do_snapshot "$g"
        done
        ;;
    list)
        [ $# -eq 0 ] || usage
        printf '%s\n' $GUESTS
        ;;
    env)
        [ $# -eq 1 ] || usage
        guest_arch "$1" >/dev/null
        with_lock do_env "$1"
        ;;
    *) usage ;;
    esac
}

main "$@"
