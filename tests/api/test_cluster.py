"""Failover over the HTTP API: GET /cluster on a pair of fulcrumds on loopback and on a standalone one, the
switchover and maintenance commands and their refusals, forged datagrams counted, role and peer events on the
stream. Run by test_api.py.

This host's kernel has no IPVS: the two nodes hear each other but both are in fault (they cannot serve), so a
switchover is refused here as on any node that is not active. The rig's scenarios move the role for real.
"""
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import threading
import time
import unittest

from fulcrum import FULCRUMCTL, WORK, Fulcrumd, Stream
from test_metrics import PROMTOOL, parse, value

SECRET = 'a-test-secret-of-enough-length'
ROLES = {'starting', 'active', 'standby', 'fault', 'standalone'}
FLAGS = {'ipvs', 'vips', 'tiebreaker', 'loop', 'carrier', 'eligible', 'maintenance', 'yielding', 'hears_peer',
         'config'}
RESULTS = {'ok', 'truncated', 'bad_magic', 'bad_version', 'unknown_key', 'forged', 'other_cluster', 'malformed',
           'old_epoch', 'replayed', 'duplicate', 'late', 'stale_echo'}
CLUSTER_KEYS = {'enabled', 'node', 'cluster', 'role', 'term', 'flags', 'priority', 'maintenance', 'epoch',
                'revision', 'since', 'reason', 'blocked', 'health', 'peer', 'paths', 'counters', 'vips',
                'tiebreakers', 'sync', 'timing', 'replication', 'history'}
PEER_KEYS = {'state', 'name', 'address', 'role', 'term', 'flags', 'priority', 'revision', 'epoch', 'seq',
             'last_heard', 'silent_ms', 'since'}
CHANGE_KEYS = {'role', 'previous', 'term', 'reason', 'at', 'peer'}


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def key_file(name, secret=SECRET):
    """A heartbeat key file as fulcrumd wants it: owned by us, mode 0600."""
    path = os.path.join(WORK, f'{name}.authkeys')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(f'# heartbeat keys of the API tests\nauth 1\n1 hmac-sha256 {secret}\n')
    os.chmod(path, 0o600)
    return path


def heartbeat(secret, magic=b'FUHB', cluster='fulcrum', node='intruder', seq=1, role=3, epoch=None):
    """A version 1 HEARTBEAT (docs/ha.md, the wire format), from a standby unless role says, signed with key 1 =
    secret."""
    body = magic + bytes([1, 1, 1, role, 0, 100]) + struct.pack('>H', 0)
    body += struct.pack('>QQQqQ', epoch or int(time.time() * 1000), seq, 0, 0, 0)  # ..., revision, echo
    body += bytes([len(cluster)]) + cluster.encode() + bytes([len(node)]) + node.encode()
    return body + hmac.new(secret.encode(), body, hashlib.sha256).digest()


def send_udp(port, data):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, ('127.0.0.1', port))


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pair_conf(port, peer_port, keys, repl=None, **more):
    """Node settings of one of a pair on loopback; repl: (its replication port, the peer's)."""
    repl = repl or (free_tcp_port(), free_tcp_port())
    conf = {'ha_peer': f'127.0.0.1:{peer_port}', 'ha_bind': '127.0.0.1', 'ha_port': str(port),
            'ha_keyfile': keys, 'ha_realtime': 'no', 'repl_port': str(repl[0]),
            'repl_peer_port': str(repl[1])}
    conf.update(more)
    return conf


def wait(cond, timeout, step=0.05):
    """Polls cond() until it returns something true; returns it, or None after timeout seconds."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Cluster(unittest.TestCase):
    """A pair on loopback (ha-a, ha-b) and a standalone node (ha-solo), each with a token of each role."""

    @classmethod
    def setUpClass(cls):
        keys = key_file('ha')
        cls.pa, cls.pb = free_udp_port(), free_udp_port()
        ra, rb = free_tcp_port(), free_tcp_port()
        cls.a = Fulcrumd(WORK, 'ha-a', pair_conf(cls.pa, cls.pb, keys, (ra, rb), node_name='ha-a'))
        cls.b = Fulcrumd(WORK, 'ha-b', pair_conf(cls.pb, cls.pa, keys, (rb, ra), node_name='ha-b'))
        cls.solo = Fulcrumd(WORK, 'ha-solo', {'node_name': 'ha-solo'})
        for d in (cls.a, cls.b, cls.solo):
            for role in ('viewer', 'operator', 'admin'):
                d.token(role, role)
            d.start()
        for d in (cls.a, cls.b):  # both hear each other and have left starting (ha_initdead: 1 s)
            ok = wait(lambda d=d: (lambda c: c['role'] == 'fault' and c['peer']['state'] == 'alive' and
                                   c['peer']['role'] == 'fault')(d.call('GET', '/cluster').json), 10)
            assert ok, d.call('GET', '/cluster')

    @classmethod
    def tearDownClass(cls):
        for d in (cls.a, cls.b, cls.solo):
            rc = d.stop()
            assert rc == 0, f'fulcrumd exited {rc}:\n{d.log_text()[-3000:]}'

    def setUp(self):
        for d in (self.a, self.b, self.solo):
            self.assertTrue(d.alive(), 'fulcrumd died:\n' + d.log_text()[-3000:])

    def cluster(self, d, token='viewer'):
        r = d.call('GET', '/cluster', token=token)
        self.assertEqual(r.status, 200, r)
        self.assertIsNotNone(r.revision, 'no ETag')
        return r.json

    def refused(self, d, path, body, status, field=None, message=None, token='operator', raw=None):
        rev = d.call('GET', '/status').revision
        r = d.call('POST', path, body, token=token, raw=raw)
        self.assertEqual(r.status, status, f'POST {path} {body}: {r}')
        err = r.json['error']
        self.assertEqual(set(err), {'code', 'message', 'field'})
        self.assertEqual(err['field'], field, r)
        if message:
            self.assertIn(message, err['message'])
        self.assertEqual(d.call('GET', '/status').revision, rev, 'a failover command moved the revision')
        return err

    # ---- reading -----------------------------------------------------------------------

    def test_cluster_shape_on_both_nodes(self):
        for d, me, other, port in ((self.a, 'ha-a', 'ha-b', self.pb), (self.b, 'ha-b', 'ha-a', self.pa)):
            c = self.cluster(d)
            self.assertEqual(set(c), CLUSTER_KEYS)
            self.assertIs(c['enabled'], True)
            self.assertEqual((c['node'], c['cluster']), (me, 'fulcrum'))
            self.assertEqual(c['role'], 'fault')  # no IPVS on this host: it cannot serve
            self.assertIn('IPVS', c['health'])
            self.assertIn('cannot serve', c['reason'])
            self.assertEqual(c['term'], 0)
            self.assertLessEqual(set(c['flags']), FLAGS)
            self.assertIn('hears_peer', c['flags'])
            self.assertNotIn('ipvs', c['flags'])
            self.assertIn('config', c['flags'])  # IPVS is missing, not refusing a service
            self.assertIs(c['maintenance'], 'maintenance' in c['flags'])
            self.assertGreater(c['since'], 1.7e12)  # Unix milliseconds
            p = c['peer']
            self.assertEqual(set(p), PEER_KEYS)
            self.assertEqual((p['state'], p['name'], p['role']), ('alive', other, 'fault'))
            self.assertEqual(p['address'], f'127.0.0.1:{port}')
            self.assertLess(p['silent_ms'], 300)
            self.assertGreater(p['last_heard'], c['since'] - 5000)
            self.assertEqual(len(c['paths']), 1)
            self.assertEqual(c['paths'][0]['peer'], f'127.0.0.1:{port}')
            self.assertEqual(set(c['counters']), {'sent', 'sent_stepdown', 'send_errors', 'received',
                                                  'role_changes'})
            self.assertEqual(set(c['counters']['received']), RESULTS)
            self.assertEqual(c['vips'], {'configured': 0, 'held': 0, 'put_back': 0, 'announcements': 0})
            self.assertEqual(c['tiebreakers'], {'reached': False, 'targets': []})
            self.assertEqual(set(c['timing']), {'late_max_ms', 'late_over_half', 'freezes', 'realtime'})
            self.assertIs(c['timing']['realtime'], False)  # ha_realtime = no
            h = c['history']
            self.assertGreaterEqual(len(h), 1)
            self.assertEqual(set(h[0]), CHANGE_KEYS)
            self.assertEqual((h[0]['role'], h[0]['previous']), ('fault', 'starting'))
            self.assertEqual(h[0]['reason'], c['reason'])
            self.assertEqual(d.call('GET', '/status').json['role'], 'fault')

    def test_writes_taken_in_fault_beside_a_peer_in_fault(self):
        # neither can serve, so neither is active: nobody else could take the write (docs/ha.md)
        for d in (self.a, self.b, self.solo):
            r = d.call('POST', '/services', {'name': 'w', 'address': '192.0.2.99', 'port': 80, 'protocol': 'tcp'})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(d.call('DELETE', f'/services/{r.json["id"]}').status, 204)

    def test_counters_move(self):
        c0 = self.cluster(self.a)['counters']
        time.sleep(0.3)  # six intervals of 50 ms
        c1 = self.cluster(self.a)['counters']
        self.assertGreaterEqual(c1['sent'] - c0['sent'], 3, (c0, c1))
        self.assertGreaterEqual(c1['received']['ok'] - c0['received']['ok'], 3, (c0, c1))
        self.assertEqual(c1['send_errors'], 0)
        b = self.cluster(self.b)['counters']
        self.assertGreater(b['received']['ok'], 0)

    def test_metrics_of_a_pair(self):
        c0 = self.cluster(self.a)
        r = self.a.call('GET', '/metrics', token='viewer', prefix='')
        self.assertEqual(r.status, 200, r)
        c1 = self.cluster(self.a)
        m = parse(r.body.decode())
        self.assertEqual(value(m, 'fulcrum_role', role='fault'), 1)
        self.assertEqual(sum(v for (n, _), v in m.items() if n == 'fulcrum_role'), 1)
        self.assertEqual(value(m, 'fulcrum_ha_peer_alive'), 1)
        self.assertEqual(value(m, 'fulcrum_ha_term'), c1['term'])
        for result in ('ok', 'forged', 'duplicate'):
            n = value(m, 'fulcrum_ha_heartbeats_received_total', result=result)
            self.assertTrue(c0['counters']['received'][result] <= n <= c1['counters']['received'][result], result)
        self.assertTrue(c0['counters']['sent'] <= value(m, 'fulcrum_ha_heartbeats_sent_total') <= c1['counters']['sent'])
        states = {dict(ls)['state']: v for (n, ls), v in m.items() if n == 'fulcrum_replication_state'}
        self.assertEqual(sum(states.values()), 1)
        self.assertIn(c1['replication']['state'], states)
        for k in ('divergences', 'refusals', 'connects'):
            n = value(m, f'fulcrum_replication_{k}_total')
            self.assertTrue(c0['replication']['counters'][k] <= n <= c1['replication']['counters'][k], k)
        self.assertTrue(PROMTOOL, 'promtool is not installed')
        p = subprocess.run([PROMTOOL, 'check', 'metrics'], input=r.body, capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b'', b''), 'promtool check metrics')
        # a standalone node has a role and no heartbeat or replication figures
        m = parse(self.solo.call('GET', '/metrics', token='viewer', prefix='').body.decode())
        self.assertEqual(value(m, 'fulcrum_role', role='standalone'), 1)
        self.assertFalse([n for n, _ in m if n.startswith(('fulcrum_ha_', 'fulcrum_replication_'))])

    def test_standalone_shape(self):
        c = self.cluster(self.solo)
        self.assertEqual(set(c), CLUSTER_KEYS)
        self.assertIs(c['enabled'], False)
        self.assertEqual((c['role'], c['node'], c['peer'], c['paths']), ('standalone', 'ha-solo', None, []))
        self.assertEqual(c['counters']['sent'], 0)
        self.assertEqual(c['counters']['received']['ok'], 0)
        self.assertEqual(c['sync']['state'], 'none')
        self.assertEqual(self.solo.call('GET', '/status').json['role'], 'standalone')
        self.assertEqual(c['replication']['state'], 'off')
        self.assertEqual(c['replication']['mode'], 'sync')

    def test_replication_shape_on_a_pair_without_an_active(self):
        """Both nodes in fault here: each would follow, and waits, saying why: its peer is not active."""
        for d in (self.a, self.b):
            r = wait(lambda d=d: (lambda x: x if x['counters']['connects'] == 0 and
                                  x['error'] == 'the peer is fault, not active' else None)(
                self.cluster(d)['replication']), 10)
            self.assertIsNotNone(r, self.cluster(d)['replication'])
            self.assertEqual(set(r), {'state', 'side', 'peer', 'mode', 'revision', 'peer_revision',
                                      'lag_revisions', 'lag_ms', 'ack_lag_ms', 'since', 'error', 'digest',
                                      'export_file', 'counters'})
            self.assertEqual((r['state'], r['side'], r['mode']), ('waiting', 'standby', 'sync'))
            self.assertEqual(r['revision'], d.call('GET', '/status').json['revision'])
            self.assertIsNone(r['digest'])
            self.assertIsNone(r['ack_lag_ms'])  # nothing acknowledged: no figures
            self.assertIsNone(r['export_file'])
            self.assertEqual(r['counters']['refusals'], 0)
        # the OpenAPI document describes exactly what is there
        doc = self.a.call('GET', '/openapi.json', token=None).json['components']['schemas']['Cluster']['properties']
        self.assertEqual(set(doc), CLUSTER_KEYS)
        self.assertEqual(set(doc['replication']['properties']), set(r))
        self.assertEqual(set(doc['replication']['properties']['counters']['properties']), set(r['counters']))
        self.assertIn(r['state'], doc['replication']['properties']['state']['enum'])

    def test_viewer_reads_and_nothing_else(self):
        self.cluster(self.a, token='viewer')
        self.refused(self.a, '/cluster/switchover', {}, 403, token='viewer', message='needs operator')
        self.refused(self.a, '/cluster/maintenance', {'on': True}, 403, token='viewer', message='needs operator')
        self.assertEqual(self.a.call('DELETE', '/cluster').status, 405)
        self.assertEqual(self.a.call('GET', '/cluster/switchover').status, 405)

    # ---- commands ----------------------------------------------------------------------

    def test_switchover_refused_on_a_node_that_is_not_active(self):
        for body in ({'force': False}, {'force': True}, None):
            self.refused(self.a, '/cluster/switchover', body, 409, message='this node is fault, ask the active node')
        self.assertIn("token 'operator' asked for switchover (forced): refused: switchover refused: this node is "
                      'fault', self.a.log_text())

    def test_commands_refused_on_a_standalone_node(self):
        self.refused(self.solo, '/cluster/switchover', {'force': True}, 409, message='standalone')
        self.refused(self.solo, '/cluster/maintenance', {'on': True}, 409, message='standalone')
        self.assertIs(self.cluster(self.solo)['maintenance'], False)

    def test_maintenance_on_and_off(self):
        r = self.b.call('POST', '/cluster/maintenance', {'on': True}, token='operator')
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json['result'], r.json['reason']), ('maintenance', 'maintenance on'))
        self.assertIs(r.json['cluster']['maintenance'], True)  # the state after the command
        self.assertIn('maintenance', r.json['cluster']['flags'])
        # the peer hears it in the next heartbeat
        self.assertTrue(wait(lambda: 'maintenance' in self.cluster(self.a)['peer']['flags'], 3))
        again = self.b.call('POST', '/cluster/maintenance', {'on': True}, token='operator')
        self.assertEqual((again.status, again.json['reason']), (200, 'nothing to change'))
        r = self.b.call('POST', '/cluster/maintenance', {'on': False}, token='admin')
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json['cluster']['maintenance'], False)
        self.assertTrue(wait(lambda: 'maintenance' not in self.cluster(self.a)['peer']['flags'], 3))
        self.assertIn("token 'operator' asked for maintenance on: maintenance on", self.b.log_text())

    def test_a_half_closed_command_is_answered(self):
        """A command whose client shuts its sending side down after the body is answered while another
        connection is open (issue 18: it waits for the engine as a write waits for its commit, and was
        closed unanswered whenever the end of the stream arrived before the engine's answer, which
        happened about one time in two: five tries)."""
        idle = self.a.connect()
        try:
            self.assertEqual(self.a.call('GET', '/status', conn=idle).status, 200)
            for i in range(5):
                start = len(self.a.log_text())
                r = self.a.half_closed('POST', '/cluster/maintenance', {'on': False}, token='operator')
                self.assertIsNotNone(r, f'closed unanswered (try {i + 1})')
                self.assertEqual((r.status, r.json['reason']), (200, 'nothing to change'), r)
                self.assertIn("token 'operator' asked for maintenance off: nothing to change",
                              self.a.log_text()[start:])
        finally:
            idle.close()

    def test_command_bodies(self):
        self.refused(self.a, '/cluster/switchover', {'force': 'yes'}, 422, field='force', message='not a boolean')
        self.refused(self.a, '/cluster/switchover', {'bogus': True}, 422, field='bogus',
                     message='it takes only force')
        self.refused(self.a, '/cluster/maintenance', None, 422, field='on', message='required')
        self.refused(self.a, '/cluster/maintenance', {}, 422, field='on', message='required')
        self.refused(self.a, '/cluster/maintenance', {'on': None}, 422, field='on')
        self.refused(self.a, '/cluster/maintenance', None, 400, raw=b'{"on": tru')
        self.refused(self.a, '/cluster/maintenance', [True], 422)
        self.assertIs(self.cluster(self.a)['maintenance'], False)

    # ---- what arrives on the heartbeat port ---------------------------------------------

    def test_forged_and_bad_magic_datagrams_are_counted(self):
        before = self.cluster(self.a)['counters']['received']
        send_udp(self.pa, heartbeat('not-the-secret-not-the-secret'))  # key 1, a MAC it does not match
        send_udp(self.pa, heartbeat(SECRET, magic=b'XXXX'))
        # the control: a datagram built the same way with the right key passes the MAC check
        send_udp(self.pa, heartbeat(SECRET, cluster='elsewhere'))
        want = {'forged': 1, 'bad_magic': 1, 'other_cluster': 1}
        got = wait(lambda: (lambda now: now if all(now[k] - before[k] == n for k, n in want.items()) else None)(
            self.cluster(self.a)['counters']['received']), 3)
        self.assertIsNotNone(got, self.cluster(self.a)['counters']['received'])
        for k in RESULTS - set(want) - {'ok', 'duplicate', 'late'}:
            self.assertEqual(got[k], before[k], k)
        self.assertEqual(self.cluster(self.a)['peer']['name'], 'ha-b')  # the intruder changed nothing


class WritesOnTheStandby(unittest.TestCase):
    """Writes on a director that does not take them (docs/ha.md, "Writes on the standby"). This host has no
    IPVS, so no node here is standby: one with a long ha_initdead stays starting, and hearing an active peer
    (heartbeats this test signs) it goes to fault; both refuse writes with the same answer as a standby. Once the
    peer is dead nobody else could take a write, and the node in fault takes them again."""

    WRITES = (('POST', '/services', {'name': 'new', 'address': '192.0.2.11', 'port': 80, 'protocol': 'tcp'}),
              ('PATCH', '/services/1', {'description': 'changed'}),
              ('DELETE', '/services/1', None),
              ('POST', '/services/1/reals', {'address': '10.0.0.9', 'port': 80}),
              ('PATCH', '/reals/1', {'weight': 9}),
              ('DELETE', '/reals/1', None),
              ('POST', '/vips', {'address': '192.0.2.12', 'interface': 'eth0'}),
              ('PATCH', '/vips/1', {'description': 'changed'}),
              ('DELETE', '/vips/1', None))

    def refused_everywhere(self, d, role):
        """Every write kind answered 503 with Retry-After and the active's address; nothing changed."""
        before = d.snapshot()
        want = f'this director is {role}: writes go to the active, 127.0.0.1'
        for method, path, body in self.WRITES:
            r = d.call(method, path, body, token='admin')
            self.assertEqual(r.status, 503, f'{method} {path}: {r}')
            self.assertEqual(r.header('Retry-After'), '1', f'{method} {path}')
            self.assertEqual(r.json, {'error': {'code': 'unavailable', 'message': want, 'field': None,
                                                'active': '127.0.0.1'}}, f'{method} {path}')
        self.assertEqual(d.snapshot(), before, 'a refused write changed something')
        # reads work
        self.assertEqual(d.call('GET', '/services/1').status, 200)
        self.assertEqual(d.call('GET', '/vips').status, 200)
        # fulcrumctl over the API: refused (exit 1), the message as the API's
        out = subprocess.run([FULCRUMCTL, '--url', f'http://127.0.0.1:{d.port}', '--token', d.tokens['admin'],
                              'service', 'set', '1', 'description=x'], capture_output=True, text=True)
        self.assertEqual((out.returncode, out.stderr.strip()), (1, f'fulcrumctl: {want}'), out)

    def test_refused_while_starting_and_in_fault_under_an_active(self):
        keys = key_file('ro')
        port, fake = free_udp_port(), free_udp_port()
        d = Fulcrumd(WORK, 'ro', pair_conf(port, fake, keys, node_name='ro', ha_initdead='60000'))
        for args in (['service', 'add', 'web', 'address=192.0.2.10', 'port=80', 'protocol=tcp'],
                     ['real', 'add', 'web', 'address=10.0.0.1', 'port=80'],
                     ['vip', 'add', '192.0.2.10', 'interface=eth0']):
            subprocess.run([FULCRUMCTL, '--db', d.db] + args, check=True, capture_output=True)
        d.token('admin', 'admin')
        d.start()
        try:
            self.assertEqual(d.call('GET', '/cluster').json['role'], 'starting')
            self.refused_everywhere(d, 'starting')
            self.assertIn('configuration writes refused: this director is starting: writes go to the active, '
                          '127.0.0.1', d.log_text())
            # an active peer heard (from ha_peer's address): it goes to fault, and still refuses
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(('127.0.0.1', fake))
            epoch, seq, stop = int(time.time() * 1000), [0], threading.Event()

            def beat():
                while not stop.is_set():
                    seq[0] += 1
                    sock.sendto(heartbeat(SECRET, node='ro-peer', role=2, epoch=epoch, seq=seq[0]),
                                ('127.0.0.1', port))
                    stop.wait(0.05)
            t = threading.Thread(target=beat)
            t.start()
            try:
                c = wait(lambda: (lambda c: c if c['role'] == 'fault' and c['peer']['role'] == 'active' else None)(
                    d.call('GET', '/cluster').json), 5)
                self.assertIsNotNone(c, d.call('GET', '/cluster'))
                time.sleep(1.2)  # the gate follows the peer's role within a second
                self.refused_everywhere(d, 'fault')
            finally:
                stop.set()
                t.join()
                sock.close()
            # the peer dead: nobody else takes writes, so the node in fault does
            self.assertTrue(wait(lambda: d.call('GET', '/cluster').json['peer']['state'] == 'dead', 3))
            r = wait(lambda: (lambda r: r if r.status == 200 else None)(
                d.call('PATCH', '/services/1', {'description': 'taken'})), 3)
            self.assertIsNotNone(r, d.call('PATCH', '/services/1', {'description': 'taken'}))
            self.assertEqual(r.json['description'], 'taken')
            self.assertEqual(d.call('GET', '/cluster').json['role'], 'fault')
            self.assertIn('configuration writes accepted again: this director is fault', d.log_text())
        finally:
            self.assertEqual(d.stop(), 0)


class ClusterEvents(unittest.TestCase):
    """Role and peer events on the stream: a node that starts alone, its peer coming, then stopped."""

    def test_role_and_peer_events(self):
        keys = key_file('ev')
        pa, pb = free_udp_port(), free_udp_port()
        a = Fulcrumd(WORK, 'ev-a', pair_conf(pa, pb, keys, node_name='ev-a', ha_initdead='3000'))
        b = Fulcrumd(WORK, 'ev-b', pair_conf(pb, pa, keys, node_name='ev-b'))
        for d in (a, b):
            d.token('viewer', 'viewer')
        a.start()
        s = Stream(a, 'viewer', timeout=10)
        try:
            self.assertEqual(s.status, 200)
            # ha_initdead over, its peer never heard: it cannot serve, so fault
            ev = s.event(8)
            self.assertEqual(ev['event'], 'role')
            self.assertNotIn('id', ev)  # not replayed
            d = ev['data']
            self.assertEqual(set(d), CHANGE_KEYS)
            self.assertEqual((d['role'], d['previous'], d['term'], d['peer']), ('fault', 'starting', 0, ''))
            self.assertIn('initdead over', d['reason'])
            self.assertEqual(a.call('GET', '/cluster', token='viewer').json['history'][0], d)
            b.start()
            ev = s.event(5)
            self.assertEqual((ev['event'], ev['data']['state'], ev['data']['previous'], ev['data']['peer']),
                             ('peer', 'alive', 'unknown', 'ev-b'))
            t0 = time.time()
            self.assertEqual(b.stop(), 0)
            ev = s.event(5)
            self.assertLess(time.time() - t0, 5)
            self.assertEqual((ev['event'], ev['data']['state'], ev['data']['previous'], ev['data']['peer']),
                             ('peer', 'dead', 'alive', 'ev-b'))
            self.assertNotIn('id', ev)
            self.assertLess(ev['data']['silent_ms'], 300)  # it said it is shutting down: no wait for silence
            c = a.call('GET', '/cluster', token='viewer').json
            self.assertEqual((c['peer']['state'], c['peer']['name']), ('dead', 'ev-b'))
            self.assertIn('peer ev-b is gone: it said it is shutting down', a.log_text())
        finally:
            s.close()
        # the role history survives a restart: the last change before it is still listed
        self.assertEqual(a.stop(), 0)
        restarted = time.time() * 1000
        a.start()
        h = wait(lambda: (lambda h: h if len(h) >= 2 else None)(
            a.call('GET', '/cluster', token='viewer').json['history']), 8)
        self.assertIsNotNone(h)
        self.assertEqual((h[-1]['role'], h[-1]['previous']), ('fault', 'starting'))
        self.assertLess(h[-1]['at'], restarted)
        self.assertEqual(a.stop(), 0)


class ReplicationEvents(unittest.TestCase):
    """Replication's notable changes on the stream: a node whose stand-in peer says it is active (heartbeats with
    the pair's key) and closes every replication connection before TLS: refused, told once."""

    REPL_KEYS = {'state', 'previous', 'peer', 'reason', 'at', 'revision', 'peer_revision', 'lag_revisions'}

    def test_refused_is_told_once(self):
        keys = key_file('rv')
        pa, pb = free_udp_port(), free_udp_port()
        ra, rb = free_tcp_port(), free_tcp_port()
        a = Fulcrumd(WORK, 'rv-a', pair_conf(pa, pb, keys, (ra, rb), node_name='rv-a'))
        a.token('viewer', 'viewer')
        stop = threading.Event()
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.settimeout(0.1)

        def stand_in():
            srv.bind(('127.0.0.1', rb))  # listening only now: before, a connection is refused (waiting)
            srv.listen(4)
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(('127.0.0.1', pb))
            epoch, seq = int(time.time() * 1000), 0
            flags = 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x100 | 0x200  # an active that can serve
            while not stop.is_set():
                seq += 1
                body = b'FUHB' + bytes([1, 1, 1, 2, 0, 100]) + struct.pack('>H', flags)
                body += struct.pack('>QQQqQ', epoch, seq, 1, 0, 0) + bytes([7]) + b'fulcrum' + bytes([8]) + b'stand-in'
                udp.sendto(body + hmac.new(SECRET.encode(), body, hashlib.sha256).digest(), ('127.0.0.1', pa))
                try:
                    c, _ = srv.accept()
                    c.close()  # no TLS
                except socket.timeout:
                    pass
                time.sleep(0.03)
            udp.close()

        a.start()
        s = Stream(a, 'viewer', timeout=10)
        t = threading.Thread(target=stand_in, daemon=True)
        try:
            self.assertEqual(s.status, 200)
            # out of starting first (ha_initdead, 1 s): a role change sets replication back to waiting
            self.assertTrue(wait(lambda: a.call('GET', '/cluster', token='viewer').json['role'] == 'fault', 10))
            t.start()
            ev = s.event(10)
            while ev['event'] != 'replication':  # the role and peer events come first
                ev = s.event(10)
            self.assertNotIn('id', ev)  # not replayed
            d = ev['data']
            self.assertEqual(set(d), self.REPL_KEYS)
            self.assertEqual((d['state'], d['previous'], d['peer'], d['lag_revisions']),
                             ('refused', 'waiting', '', 0))
            self.assertTrue(d['reason'].startswith('TLS handshake failed: '), d)
            r = a.call('GET', '/cluster', token='viewer').json['replication']
            self.assertEqual((r['state'], r['error']), ('refused', d['reason']))
            self.assertLessEqual(d['at'], time.time() * 1000)
            self.assertIn('[notice] repl: replication: waiting -> refused: TLS handshake failed', a.log_text())
            # it tries again 10 s after a refusal, the stand-in goes meanwhile: no second event
            time.sleep(1)
            stop.set()
            t.join()
            end = time.time() + 12
            while time.time() < end:
                try:
                    ev = s.event(end - time.time())
                except TimeoutError:
                    break
                self.assertNotEqual(ev['event'], 'replication', ev)
            self.assertEqual(a.call('GET', '/cluster', token='viewer').json['replication']['state'], 'waiting')
        finally:
            stop.set()
            s.close()
            srv.close()
        self.assertEqual(a.stop(), 0)
