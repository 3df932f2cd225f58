# What every host benchmark in bench/ starts with. Sourced (after `here` and `top` are set)
# by a script that then calls bench_private_net and bench_workdir; it runs nothing itself.
# shellcheck shell=bash

bench_name=$(basename "$0" .sh)

die() {
	echo "bench/$bench_name.sh: $*" >&2
	exit 1
}

# bench_private_net ARGS...: as root, fulcrumd would write the benchmark's services into this
# machine's IPVS: the script runs again with ARGS in a private network namespace instead (its
# own IPVS table and loopback, gone when it exits). Returns when inside one, or not root.
bench_private_net() {
	[[ $EUID -eq 0 && -z ${BENCH_IN_NETNS:-} ]] || return 0
	unshare --net true 2>/dev/null ||
		die "as root it needs 'unshare --net' (to keep away from this machine's IPVS);" \
			"run it as another user"
	# shellcheck disable=SC2016,SC2154 # $0 $@: the inner bash's; here: the sourcing script's
	exec unshare --net env BENCH_IN_NETNS=1 \
		bash -c 'ip link set lo up && exec "$0" "$@"' "$here/$bench_name.sh" "$@"
}

# bench_workdir: sets outdir ($BENCH_DIR, or bench/out) and work (a fresh folder in it), and
# pids=(): on exit each process in pids gets SIGTERM (and SIGCONT, should it be stopped), the
# last started first, and is waited for; then work is removed.
bench_workdir() {
	outdir=${BENCH_DIR:-$top/bench/out}
	mkdir -p "$outdir"
	work=$(mktemp -d "$outdir/$bench_name.XXXXXX")
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
		kill -CONT "${pids[i]}" 2>/dev/null || true
		wait "${pids[i]}" 2>/dev/null || true
	done
	rm -rf "$work"
}

machine() {
	echo "nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
