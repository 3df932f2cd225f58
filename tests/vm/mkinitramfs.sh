#!/bin/bash
# Builds (or reuses from cache) the real-kernel rig's initramfs: busybox, IPVS and friends' modules, and /init.
#
# Usage: tests/vm/mkinitramfs.sh [--force]
# Prints the path of the cpio.gz on stdout (log lines go to stderr).
#
# Environment:
#   FULCRUM_VM_KVER    kernel version (default: newest /lib/modules/*-amd64 with ip_vs.ko)
#   FULCRUM_BUILDDIR   where tests/vm/cache/ lives (default: the repo top)
#
# The cache key is KVER plus a hash of this script, so editing the script (the
# module list or /init) rebuilds, and a rerun with nothing changed is instant.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${FULCRUM_BUILDDIR:-$top}
cachedir=$builddir/tests/vm/cache

force=0
if [[ ${1:-} == --force ]]; then force=1; fi

log() { printf 'mkinitramfs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- pick the kernel ---------------------------------------------------------
pick_kver() {
    local d v best=""
    for d in /lib/modules/*-amd64; do
        [[ -d $d ]] || continue
        v=${d##*/}
        if compgen -G "$d/kernel/net/netfilter/ipvs/ip_vs.ko*" >/dev/null; then
            best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
        fi
    done
    [[ -n $best ]] || die "no /lib/modules/*-amd64 with ip_vs.ko (install linux-image-amd64)"
    printf '%s\n' "$best"
}
KVER=${FULCRUM_VM_KVER:-$(pick_kver)}
[[ -d /lib/modules/$KVER ]] || die "/lib/modules/$KVER does not exist"

# ---- cache -------------------------------------------------------------------
hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
out=$cachedir/initramfs-$KVER-$hash.cpio.gz
if [[ $force == 0 && -s $out ]]; then
    printf '%s\n' "$out"
    exit 0
fi

busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (install busybox-static)"
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    [[ -x /bin/busybox ]] || die "$busybox is not static (install busybox-static)"
fi

# ---- modules -----------------------------------------------------------------
# required: the guest is useless without them (/init gives up if they are missing).
# optional: loaded if the kernel ships them; a failure is logged, not fatal.
required_mods=(virtio_pci 9pnet_virtio 9p ip_vs nf_conntrack veth bridge)
optional_mods=(
    ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
    ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_twos
    ipip ip_gre gre fou ip6_tunnel ip6_gre dummy virtio_net virtio_rng
    # nftables (firewall marks for fwmark services; meta, payload, sets and
    # filter chains are built into nf_tables itself) and SCTP sockets
    nf_tables sctp
    # the failover scenarios' heartbeat loss: a prio qdisc whose extra band is
    # a netem qdisc, and a u32 filter that sends only the heartbeats (UDP 694) there
    sch_prio sch_netem cls_u32
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,host,tmp,etc}

declare -A seen=()
order=()     # module file paths (as on the host), dependency order
add_module() { # NAME
    local name=$1 line path skipped=0
    local deps
    if ! deps=$(modprobe -S "$KVER" -C /dev/null --show-depends "$name" 2>/dev/null); then
        log "module $name: not shipped by $KVER, skipped"
        return 1
    fi
    while read -r line; do
        case $line in
        builtin\ *) continue ;;
        insmod\ *) ;;
        *) continue ;;
        esac
        path=$(awk '{print $2}' <<<"$line")
        case ${path##*/} in
        crc32c-intel.ko* | crc32c_intel.ko*) skipped=1; continue ;; # faults under TCG; crc32c_generic does the job
        esac
        if [[ -z ${seen[$path]:-} ]]; then
            seen[$path]=1
            order+=("$path")
        fi
    done <<<"$deps"
    : "$skipped"
    return 0
}

for m in "${required_mods[@]}"; do
    add_module "$m" || die "required module $m is missing from $KVER"
done
for m in "${optional_mods[@]}"; do
    add_module "$m" || true
done

# Copy modules to the same paths inside the initramfs (decompressing if needed:
# busybox insmod only takes plain .ko).
: >"$root/etc/modules.order"
for path in "${order[@]}"; do
    dest=$root$path
    mkdir -p "$(dirname "$dest")"
    case $path in
    *.ko.xz) dest=${dest%.xz}; xz -dc "$path" >"$dest" ;;
    *.ko.zst) dest=${dest%.zst}; zstd -qdc "$path" >"$dest" ;;
    *.ko.gz) dest=${dest%.gz}; gzip -dc "$path" >"$dest" ;;
    *) cp "$path" "$dest" ;;
    esac
    printf '%s\n' "${dest#"$root"}" >>"$root/etc/modules.order"
done
printf '%s\n' "${required_mods[@]}" >"$root/etc/modules.required"
printf '%s\n' "$KVER" >"$root/etc/kver"

cp "$busybox" "$root/bin/busybox"

# ---- /init -------------------------------------------------------------------
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# Fulcrum real-kernel rig /init: load modules, mount the host root (9p) read-only,
# chroot into it and run the runner named by fulcrum.run= on the kernel command line.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# devtmpfs lacks these; bash's <(...) needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

say() { echo "fulcrum-init: $*" | tee -a /init.log; }
halt_now() { sync; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

# Each module is tried once, in dependency order; failures are logged.
while read -r ko; do
    [ -n "$ko" ] || continue
    if ! err=$(insmod "$ko" 2>&1); then
        say "insmod ${ko##*/} failed: $err"
    fi
done </etc/modules.order
missing=""
while read -r m; do
    [ -d "/sys/module/$m" ] || missing="$missing $m"
done </etc/modules.required
if [ -n "$missing" ]; then
    say "FATAL: required modules not loaded:$missing"
    halt_now
fi

runner=""
top=""
for arg in $(cat /proc/cmdline); do
    case $arg in
    fulcrum.run=*) runner=${arg#fulcrum.run=} ;;
    fulcrum.top=*) top=${arg#fulcrum.top=} ;;
    esac
done

# cache=loose: the host root is read-only here and does not change under a
# scenario; caching it makes process start-up about 3x faster under TCG.
# (The results share below stays uncached so the host sees writes at once.)
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host; then
    say "FATAL: cannot mount the hostroot 9p share"
    halt_now
fi
# A tree under /tmp or /run (a CI clone, say) would vanish under the tmpfs
# below: hold it aside with a bind mount and move it back on top.
held=""
case $top/ in
/tmp/* | /run/*)
    mkdir -p /held
    if mount -o bind "/host$top" /held; then held=1; else say "cannot hold $top"; fi
    ;;
esac
mount -t tmpfs -o mode=1777 tmpfs /host/tmp
mount -t tmpfs -o mode=755 tmpfs /host/run
if [ -n "$held" ]; then
    mkdir -p "/host$top"
    mount -o move /held "/host$top" || say "FATAL: cannot put $top back"
fi
mount -o bind /proc /host/proc
mount -o bind /sys /host/sys
mount -o bind /dev /host/dev
mount -o bind /dev/pts /host/dev/pts
mount -o bind /dev/shm /host/dev/shm 2>/dev/null
mkdir -p /host/tmp/results
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /host/tmp/results; then
    say "FATAL: cannot mount the results 9p share"
    halt_now
fi

if [ -z "$runner" ]; then
    say "FATAL: no fulcrum.run= on the kernel command line"
    echo 125 >/host/tmp/results/exit-status
    halt_now
fi
hostname fulcrum-vm
cp /init.log /host/tmp/results/init.log 2>/dev/null

chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM=linux LANG=C.UTF-8 /bin/bash "$runner"
rc=$?
echo "$rc" >/host/tmp/results/exit-status
sync
umount /host/tmp/results 2>/dev/null
halt_now
INIT
chmod 755 "$root/init"

mkdir -p "$cachedir"
tmp_out=$(mktemp "$cachedir/.initramfs.XXXXXX")
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp_out"
mv -f "$tmp_out" "$out"
# Old images for this KVER with a different script hash are stale.
for f in "$cachedir"/initramfs-"$KVER"-*.cpio.gz; do
    [[ $f == "$out" ]] || rm -f "$f"
done
log "built $out (${#order[@]} modules, $(du -k "$out" | cut -f1) KiB)"
printf '%s\n' "$out"
