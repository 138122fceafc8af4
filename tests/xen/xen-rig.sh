#!/bin/bash
# The Xen rig: Xen 4.17 (Debian's, at exactly the host's libxen-dev version)
# + a PV dom0 + a PV and a PVH domU, all under QEMU TCG.  Programs given as a
# payload run inside dom0; the results are read from the serial log.
# See tests/xen/README.md.
#
#   xen-rig.sh fetch                Xen packages + the kernel's Xen modules
#   xen-rig.sh build                fetch + dom0 / domU images (cached)
#   xen-rig.sh payload DIR FILE...  copy FILEs into DIR/bin, their shared
#                                   libraries (ldd) into DIR/lib
#   xen-rig.sh run PAYLOAD_DIR OUT  build, boot, run PAYLOAD_DIR/run.sh in dom0;
#                                   OUT/serial.log, OUT/results.txt (XEN-TEST
#                                   lines), OUT/console-<domU>.log, OUT/times.txt
#   xen-rig.sh boot OUT             the same with no payload
#   xen-rig.sh env                  XEN_RIG_*=... assignments of the built rig
#
# Exit status: 0 the rig ran (and the payload finished), 77 something could
# not be downloaded (tests SKIP), 1 the rig failed (boot, timeout...), 2 usage.
set -euo pipefail

XEN_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_SH=$XEN_SRC/../rig/rig.sh
CACHE=${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig}
XC=$CACHE/xen
QEMU=${LIBVMI_RIG_QEMU:-qemu-system-x86_64}
# whole run (QEMU killed after it), the domUs' readiness, the payload:
# bounds against hangs, far above an idle machine's 1.5-3 min (TCG at load
# 23 on 2 cores took 12 min to both domUs ready)
RUN_TIMEOUT=${LIBVMI_XEN_RIG_TIMEOUT:-2400}
READY_TIMEOUT=${LIBVMI_XEN_RIG_READY_TIMEOUT:-900}
PAYLOAD_TIMEOUT=${LIBVMI_XEN_RIG_PAYLOAD_TIMEOUT:-1200}
XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17"
KMODS="xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs"
DOMUS="domu-pv domu-pvh"
# dom0 programs (paths inside the unpacked packages)
DOM0_BINS="usr/lib/xen-4.17/bin/xl usr/lib/xen-4.17/bin/xenstored usr/lib/xen-4.17/bin/xenconsoled
usr/lib/xen-4.17/bin/xen-init-dom0 usr/lib/xen-4.17/bin/xenctx usr/lib/xen-4.17/bin/xenstore-control
usr/bin/xenstore usr/bin/xenstore-read usr/bin/xenstore-write usr/bin/xenstore-ls usr/bin/xenstore-list
usr/bin/xenstore-exists usr/bin/xenstore-rm usr/bin/xenstore-watch usr/bin/xenstore-chmod"

log() { echo "xen-rig: $*" >&2; }
die() { echo "xen-rig: error: $*" >&2; exit 1; }
nofetch() { echo "xen-rig: SKIP: could not fetch $*" >&2; exit 77; }

with_lock() {
    if [ "${XEN_RIG_LOCKED:-}" = 1 ]; then
        "$@"
        return
    fi
    mkdir -p "$XC"
    (
        flock 9
        export XEN_RIG_LOCKED=1
        "$@"
    ) 9>"$XC/.lock"
}

xen_version() {
    local v
    v=$(dpkg-query -W -f '${Version}' libxen-dev 2>/dev/null || true)
    [ -n "$v" ] || nofetch "nothing: libxen-dev is not installed (the Xen packages are fetched at its version)"
    echo "$v"
}

# apt: the rig's private configuration of the host's sources when it exists
# (tests/rig/rig.sh made it), else the host's own.  Downloads only.
apt_cfg() {
    local c="$CACHE/apt/amd64/apt.conf"
    if [ -f "$c" ]; then APT_CONFIG=$c "$@"; else "$@"; fi
}

# download DIR PKG=VER...: .debs into DIR
download() {
    local dir=$1
    shift
    mkdir -p "$dir"
    log "downloading $*"
    (cd "$dir" && apt_cfg apt-get -q download "$@" >&2) || nofetch "$* (apt-get download failed)"
}

# the rig's Debian 12 amd64 kernel (rig.sh fetch amd64), its directory
kernel_dir() {
    local d rc=0
    d=$CACHE/kernels/current-amd64
    if [ -f "$d/.complete" ] && [ -f "$d/vmlinuz" ] && [ -f "$d/package.txt" ]; then
        readlink -f "$d"
        return 0
    fi
    d=$("$RIG_SH" fetch amd64 | tail -n1) || rc=$?
    [ $rc -ne 77 ] || exit 77
    [ $rc -eq 0 ] && [ -f "$d/vmlinuz" ] || die "tests/rig/rig.sh fetch amd64 failed"
    echo "$d"
}

# ---------------------------------------------------------------- fetch
do_fetch() {
    local ver kd kver kpkg kpver p d tmp deb
    ver=$(xen_version)
    d="$XC/pkgs/$ver"
    if [ ! -f "$d/.complete" ]; then
        tmp="$XC/pkgs/.tmp-$$"
        rm -rf "$tmp"
        mkdir -p "$tmp/root"
        trap 'rm -rf "$tmp"' EXIT
        local args=()
        for p in $XEN_PKGS; do args+=("$p=$ver"); done
        download "$tmp/dl" "${args[@]}"
        for deb in "$tmp"/dl/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
        for p in $XEN_PKGS; do
            ls "$tmp/dl/${p}_"*.deb >/dev/null 2>&1 || nofetch "$p=$ver"
        done
        zcat "$tmp/root/boot/xen-4.17-amd64.gz" >"$tmp/xen" || die "no hypervisor image in the package"
        rm -rf "$tmp/dl"
        echo "$ver" >"$tmp/version"
        touch "$tmp/.complete"
        rm -rf "$d"
        mkdir -p "$XC/pkgs"
        mv "$tmp" "$d"
        trap - EXIT
        log "Xen $ver unpacked in $d"
    fi
    # the modules: from the same linux-image package as the rig's kernel
    kd=$(kernel_dir)
    kver=$(cat "$kd/kernel-version.txt")
    read -r kpkg kpver <"$kd/package.txt"
    d="$XC/modules/$kver"
    if [ ! -f "$d/.complete" ] || [ "$(cat "$d/package.txt")" != "$kpkg $kpver" ]; then
        tmp="$XC/modules/.tmp-$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        trap 'rm -rf "$tmp"' EXIT
        download "$tmp/dl" "$kpkg=$kpver"
        deb=$(ls "$tmp"/dl/*.deb)
        local m paths=()
        for m in $KMODS; do
            case $m in
            xenfs) paths+=("./lib/modules/$kver/kernel/drivers/xen/xenfs/xenfs.ko") ;;
            *) paths+=("./lib/modules/$kver/kernel/drivers/xen/$m.ko") ;;
            esac
        done
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${paths[@]}" || die "the Xen modules are not in $(basename "$deb")"
        for m in "${paths[@]}"; do mv "$tmp/$m" "$tmp/"; done
        rm -rf "${tmp:?}/lib" "$tmp/dl"
        echo "$kpkg $kpver" >"$tmp/package.txt"
        touch "$tmp/.complete"
        rm -rf "$d"
        mkdir -p "$XC/modules"
        mv "$tmp" "$d"
        trap - EXIT
        log "modules of $kver in $d"
    fi
}

# ---------------------------------------------------------------- libraries
# libs_of ROOT FILE...: the shared libraries FILEs load (ldd, with ROOT's
# Xen libraries first), one path a line, the dynamic loader included
libs_of() {
    local root=$1
    shift
    LD_LIBRARY_PATH=${root:+$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/xen-4.17/lib/x86_64-linux-gnu}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
        ldd "$@" 2>/dev/null | awk '
            /=> not found/ { print "MISSING " $1; next }
            $2 == "=>" && $3 !~ /^\(/ { print $3; next }
            $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}

# copy_libs DEST LIB...: into DEST/lib/x86_64-linux-gnu (and the loader
# into DEST/lib64)
copy_libs() {
    local dest=$1 l
    shift
    mkdir -p "$dest/lib/x86_64-linux-gnu" "$dest/lib64"
    for l in "$@"; do
        case $l in
        MISSING*) die "shared library ${l#MISSING } not found" ;;
        */ld-linux-x86-64.so.2) cp -L "$l" "$dest/lib64/ld-linux-x86-64.so.2" ;;
        *) cp -L "$l" "$dest/lib/x86_64-linux-gnu/$(basename "$l")" ;;
        esac
    done
}

busybox_bin() {
    local bb="$CACHE/busybox/amd64/busybox"
    [ -x "$bb" ] || "$RIG_SH" build amd64 >/dev/null || exit $?
    [ -x "$bb" ] || die "no busybox in $CACHE/busybox/amd64 (tests/rig/rig.sh build amd64)"
    echo "$bb"
}

# ---------------------------------------------------------------- build
# The images, keyed by everything they are made of; $XC/images/current -> key
images_key() {
    local ver=$1 kd=$2 bb=$3 p=$XC/pkgs/$1/root libs
    libs=$(cd "$p" && libs_of "$p" $DOM0_BINS)
    {
        echo "xen $ver"
        cat "$kd/package.txt" "$(dirname "$bb")/version"
        sha256sum "$XEN_SRC/xen-rig.sh" "$XEN_SRC/dom0-init.sh" "$XEN_SRC/../rig/init.sh" "$bb" | cut -c1-64
        # the host libraries copied: their packages' versions
        echo "$libs" | grep -v "^$p" | xargs -r ls -lL --time-style=+%s | awk '{ print $5, $6, $7 }'
    } | sha256sum | cut -c1-16
}

do_build() {
    local ver kd kver bb key d tmp r p f m libs
    do_fetch
    ver=$(xen_version)
    kd=$(kernel_dir)
    kver=$(cat "$kd/kernel-version.txt")
    bb=$(busybox_bin)
    p=$XC/pkgs/$ver/root
    key=$(images_key "$ver" "$kd" "$bb")
    d="$XC/images/$key"
    if [ -f "$d/.complete" ]; then
        touch "$d" # in use: not pruned
        ln -sfn "$key" "$XC/images/current.new" && mv -T "$XC/images/current.new" "$XC/images/current"
        return 0
    fi
    log "building the dom0 and domU images ($key)"
    tmp="$XC/images/.tmp-$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT

    # domU: the rig's guest init (tests/rig/init.sh), as the rig's initramfs
    r=$tmp/domu
    mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/run"
    install -m 0755 "$bb" "$r/bin/busybox"
    for f in sh mount mkdir mkfifo cat grep ln stty gzip dd od; do ln -s busybox "$r/bin/$f"; done
    for f in a b c; do ln "$r/bin/busybox" "$r/bin/vmi-sentinel-$f"; done
    install -m 0755 "$XEN_SRC/../rig/init.sh" "$r/init"
    mknod -m 600 "$r/dev/console" c 5 1 2>/dev/null || true
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -9 >"$tmp/domu.img"
    rm -rf "$r"

    # dom0
    r=$tmp/dom0
    mkdir -p "$r/bin" "$r/sbin" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/tmp" "$r/var" "$r/etc/xen" \
        "$r/lib/modules" "$r/boot" "$r/usr/bin" "$r/usr/lib/xen-4.17/bin" "$r/payload"
    ln -s ../run "$r/var/run"
    install -m 0755 "$bb" "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    for f in $DOM0_BINS; do install -m 0755 "$p/$f" "$r/$f"; done
    libs=$(cd "$p" && libs_of "$p" $DOM0_BINS)
    # libgcc_s: loaded with dlopen by glibc (pthread_cancel / exit paths)
    f=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')
    [ -n "$f" ] || die "libgcc_s.so.1 not found on the host"
    # shellcheck disable=SC2086
    copy_libs "$r" $libs "$f"
    for m in $KMODS; do install -m 0644 "$XC/modules/$kver/$m.ko" "$r/lib/modules/"; done
    install -m 0644 "$kd/vmlinuz" "$r/boot/vmlinuz"
    install -m 0644 "$tmp/domu.img" "$r/boot/domu.img"
    : >"$r/etc/xen/xl.conf"
    for f in $DOMUS; do
        cat >"$r/etc/xen/$f.cfg" <<EOF
name = "$f"
type = "${f#domu-}"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu.img"
extra = "console=hvc0 panic=-1 quiet vmi.xen=1 vmi.busy=1"
memory = 256
vcpus = 1
on_crash = "preserve"
EOF
    done
    cat >"$r/etc/xen-rig.conf" <<EOF
READY_TIMEOUT=$READY_TIMEOUT
PAYLOAD_TIMEOUT=$PAYLOAD_TIMEOUT
DOMUS="$DOMUS"
XEN_RIG_PV=domu-pv
XEN_RIG_PVH=domu-pvh
EOF
    echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
    install -m 0755 "$XEN_SRC/dom0-init.sh" "$r/init"
    mknod -m 600 "$r/dev/console" c 5 1 2>/dev/null || true
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 >"$tmp/dom0.img"
    rm -rf "$r"
    cp "$XC/pkgs/$ver/xen" "$tmp/xen"
    cp "$kd/vmlinuz" "$tmp/vmlinuz"
    {
        echo "xen $ver"
        echo "kernel $(cat "$kd/package.txt")"
        echo "busybox $(cat "$(dirname "$bb")/version")"
    } >"$tmp/versions.txt"
    touch "$tmp/.complete"
    mkdir -p "$XC/images"
    rm -rf "$d"
    mv "$tmp" "$d"
    trap - EXIT
    ln -sfn "$key" "$XC/images/current.new" && mv -T "$XC/images/current.new" "$XC/images/current"
    log "images ready in $d"
    # images of other keys not used for 2 hours (a run takes minutes)
    find "$XC/images" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' ! -name "$key" -mmin +120 \
        -exec rm -rf {} + 2>/dev/null || true
}

# ---------------------------------------------------------------- payload
do_payload() {
    local dir=$1 f
    shift
    mkdir -p "$dir/bin"
    for f in "$@"; do
        [ -f "$f" ] || die "payload: no file $f"
        install -m 0755 "$f" "$dir/bin/$(basename "$f")"
    done
    # shellcheck disable=SC2046
    copy_libs "$dir" $(libs_of "" "$@")
    rm -rf "${dir:?}/lib64" # the loader is in dom0's image
    mv "$dir/lib/x86_64-linux-gnu/"* "$dir/lib/" 2>/dev/null || true
    rmdir "$dir/lib/x86_64-linux-gnu" 2>/dev/null || true
}

# ---------------------------------------------------------------- run
do_run() {
    local payload=$1 out=$2 img t0 rc=0 pid d now
    with_lock do_build
    img=$(readlink -f "$XC/images/current")
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    rm -f "$out/serial.log" "$out/results.txt" "$out"/console-*.log "$out/times.txt"
    cp "$img/dom0.img" "$out/dom0.img"
    if [ -n "$payload" ]; then
        [ -x "$payload/run.sh" ] || die "payload $payload has no executable run.sh"
        local pr=$out/payload-root
        rm -rf "$pr"
        mkdir -p "$pr"
        cp -a "$payload" "$pr/payload"
        (cd "$pr" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 >>"$out/dom0.img"
        rm -rf "$pr"
    fi
    t0=$(date +%s%3N)
    # Xen's multiboot modules: dom0's kernel (with its command line) and initramfs
    timeout -k 10 "$RUN_TIMEOUT" "$QEMU" -accel tcg -machine q35 -cpu qemu64,+npt -m 2048 -smp 2 \
        -kernel "$img/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 loglvl=warning guest_loglvl=warning" \
        -initrd "$img/vmlinuz console=hvc0 earlyprintk=xen quiet panic=-1,$out/dom0.img" \
        -display none -monitor none -nodefaults -vga none \
        -serial "file:$out/serial.log" -no-reboot >"$out/qemu.out" 2>&1 &
    pid=$!
    echo "$pid" >"$out/qemu.pid"
    wait "$pid" || rc=$?
    rm -f "$out/qemu.pid" "$out/dom0.img"
    now=$(date +%s%3N)
    tr -d '\r' <"$out/serial.log" >"$out/serial.tmp" && mv "$out/serial.tmp" "$out/serial.log"
    {
        echo "qemu_s $(((now - t0) / 1000)).$(printf %03d $(((now - t0) % 1000)))"
        sed -n 's/^XEN-RIG \(INIT\|TOOLSTACK\|DOMUS-READY\|PAYLOAD-BEGIN\|POWEROFF\) \([0-9.]*\)$/dom0_uptime_\1 \2/p;
                s/^XEN-RIG CREATED \([^ ]*\) \([0-9.]*\)$/dom0_uptime_CREATED_\1 \2/p' "$out/serial.log"
    } >"$out/times.txt"
    grep '^XEN-TEST ' "$out/serial.log" >"$out/results.txt" || true
    for d in $DOMUS; do
        sed -n "s/^XEN-CON $d //p" "$out/serial.log" >"$out/console-$d.log"
    done
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        log "QEMU killed after $RUN_TIMEOUT s; serial tail:"
        tail -n 20 "$out/serial.log" | sed 's/^/xen-rig:   /' >&2
        return 1
    fi
    [ $rc -eq 0 ] || { cat "$out/qemu.out" >&2; die "QEMU exited with $rc"; }
    if grep -q '^XEN-RIG ERROR' "$out/serial.log"; then
        grep '^XEN-RIG ERROR' "$out/serial.log" | sed 's/^/xen-rig: /' >&2
        return 1
    fi
    grep -q '^XEN-RIG DOMUS-READY' "$out/serial.log" || {
        log "dom0 did not report the domUs ready; serial tail:"
        tail -n 30 "$out/serial.log" | sed 's/^/xen-rig:   /' >&2
        return 1
    }
    if [ -n "$payload" ]; then
        grep -q '^XEN-RIG PAYLOAD-END' "$out/serial.log" || { log "the payload did not finish"; return 1; }
    fi
    log "rig done in $(sed -n 's/^qemu_s //p' "$out/times.txt") s (QEMU), $(wc -l <"$out/results.txt") XEN-TEST line(s) in $out/results.txt"
}

do_env() {
    local img
    with_lock do_build
    img=$(readlink -f "$XC/images/current")
    printf '%s=%q\n' XEN_RIG_IMAGES "$img" XEN_RIG_XEN "$img/xen" XEN_RIG_VERSION "$(xen_version)" \
        XEN_RIG_SH "$XEN_SRC/xen-rig.sh"
}

usage() {
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    [ $# -ge 1 ] || usage
    local cmd=$1
    shift
    case $cmd in
    fetch) [ $# -eq 0 ] || usage; with_lock do_fetch ;;
    build) [ $# -eq 0 ] || usage; with_lock do_build; readlink -f "$XC/images/current" ;;
    payload) [ $# -ge 2 ] || usage; do_payload "$@" ;;
    run) [ $# -eq 2 ] || usage; do_run "$1" "$2" ;;
    boot) [ $# -eq 1 ] || usage; do_run "" "$1" ;;
    env) [ $# -eq 0 ] || usage; do_env ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac
}

main "$@"
