#!/bin/bash
# The IPVS client (controller/ipvs*.c) against the real kernel: tests/vm/ipvs-client-test in the director namespace, ipvsadm as the witness.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/topology.sh
. "$FULCRUM_TOP/tests/vm/lib/topology.sh"

test_bin=$FULCRUM_TOP/tests/vm/ipvs-client-test
[[ -x $test_bin ]] || fail "$test_bin is not built (at the repo top: make)"

topo_up 2
log "topology up"

# A dummy interface for the sync daemons: they need one that exists and takes multicast.
ip -n director link add fsync0 type dummy
ip -n director link set fsync0 multicast on up
ip -n director addr add 192.0.2.1/24 dev fsync0

export IPVS_TEST_VIP=$VIP IPVS_TEST_VIP6=$VIP6
IPVS_TEST_RS1=$(rs_ip 1) IPVS_TEST_RS2=$(rs_ip 2)
export IPVS_TEST_RS1 IPVS_TEST_RS2
export IPVS_TEST_CLIENT_NS=client IPVS_TEST_SYNC_IF=fsync0 IPVS_TEST_SERVICES=10000

start=$(date +%s%3N)
rc=0
in_ns director "$test_bin" || rc=$?
log "ipvs-client-test exited with $rc after $(($(date +%s%3N) - start)) ms"
[[ $rc == 0 ]] || fail "ipvs-client-test: failures above (exit status $rc)"

# The test leaves IPVS empty behind it.
left=$(in_ns director ipvsadm -Ln | tail -n +4)
[[ -z $left ]] || fail "IPVS not empty after the test: $left"
log "PASS: the IPVS client agrees with the kernel and with ipvsadm"
