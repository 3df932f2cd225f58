# Host-side helpers shared by tests/vm/run.sh and tests/vm/demo.sh: find the kernel, build the initramfs, assemble qemu's arguments.
# shellcheck shell=bash
#
# Sourced, not run. After `vm_prepare`:
#   VM_TOP VM_BUILDDIR VM_KVER VM_KERNEL VM_INITRD VM_RUNNER are set, and
#   `vm_qemu_args RESULTS_DIR` fills the array VM_ARGS with everything but the
#   serial/console options (the caller picks those).
# Environment: FULCRUM_VM_KVER, FULCRUM_BUILDDIR, FULCRUM_VM_MEM (MiB, 1024),
# FULCRUM_VM_SMP (2), FULCRUM_VM_QEMU (qemu-system-x86_64).

vm_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 2; }

vm_prepare() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    VM_TOP=$(cd "$here/../.." && pwd)
    VM_BUILDDIR=${FULCRUM_BUILDDIR:-$VM_TOP}
    VM_RUNNER=$here/lib/guest-run.sh
    VM_QEMU=${FULCRUM_VM_QEMU:-qemu-system-x86_64}

    # The guest sees the host root, with fresh tmpfs on /tmp and /run; the
    # guest's /init keeps the tree (fulcrum.top=) visible when it lives there.
    case $VM_TOP in
    *[[:space:]]*) vm_die "the repo path ($VM_TOP) must not contain spaces (it goes on the kernel command line)" ;;
    esac
    command -v "$VM_QEMU" >/dev/null || vm_die "$VM_QEMU not found (install qemu-system-x86)"

    VM_INITRD=$("$here/mkinitramfs.sh") || vm_die "building the initramfs failed"
    VM_KVER=$(basename "$VM_INITRD" .cpio.gz)
    VM_KVER=${VM_KVER#initramfs-}
    VM_KVER=${VM_KVER%-*}
    VM_KERNEL=/boot/vmlinuz-$VM_KVER
    [[ -r $VM_KERNEL ]] || vm_die "$VM_KERNEL missing or unreadable (install linux-image-amd64; it is mode 0600, so run as root)"
    export VM_TOP VM_BUILDDIR VM_KVER VM_KERNEL VM_INITRD VM_RUNNER VM_QEMU
}

# vm_write_job RESULTS_DIR NAME SCRIPT TIMEOUT CONSOLE KEEP [VAR=VALUE...]
vm_write_job() {
    local dir=$1 name=$2 script=$3 timeout=$4 console=$5 keep=$6 kv
    shift 6
    {
        printf 'JOB_NAME=%q\n' "$name"
        printf 'JOB_SCRIPT=%q\n' "$script"
        printf 'JOB_TIMEOUT=%q\n' "$timeout"
        printf 'JOB_CONSOLE=%q\n' "$console"
        printf 'JOB_KEEP=%q\n' "$keep"
        printf 'FULCRUM_TOP=%q\n' "$VM_TOP"
        for kv in "$@"; do
            printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
        done
    } >"$dir/job.env"
}

# vm_qemu_args RESULTS_DIR: no network device at all (-nic none); all test
# traffic stays in namespaces inside the guest.
vm_qemu_args() {
    local dir=$1
    # shellcheck disable=SC2034 # used by the caller
    VM_ARGS=(
        -accel tcg -cpu max
        -m "${FULCRUM_VM_MEM:-1024}" -smp "${FULCRUM_VM_SMP:-2}"
        -nographic -no-reboot
        -kernel "$VM_KERNEL" -initrd "$VM_INITRD"
        -append "console=ttyS0 quiet panic=-1 fulcrum.run=$VM_RUNNER fulcrum.top=$VM_TOP"
        -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
        -virtfs "local,path=$dir,mount_tag=results,security_model=none"
        -device virtio-rng-pci
        # -nographic makes SeaBIOS draw on the serial port (clear screen, no
        # line wrap) and that would reach the user's terminal; 0 turns it off
        # (qemu warns that the name lacks "opt/"; the warning is harmless).
        -fw_cfg "name=etc/sercon-port,string=0"
    )
    # VM_HOSTFWD (the demo): one user-mode NIC whose only way in is a port on the
    # host's loopback; its guest side is 192.0.2.0/24 (TEST-NET-1), clear of the
    # scenarios' subnets. Scenarios get no NIC at all.
    if [[ -n ${VM_HOSTFWD:-} ]]; then
        VM_ARGS+=(-nic "user,model=virtio-net-pci,net=192.0.2.0/24,restrict=on,hostfwd=$VM_HOSTFWD")
    else
        VM_ARGS+=(-nic none)
    fi
}
