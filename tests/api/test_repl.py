"""Commit modes over the HTTP API: every committed write's answer says, in Fulcrum-Replicated, whether the
standby holds it. This host runs no standby (replication comes with its engine), so what is tested here is
what a director without one answers: at once, and saying so. Run by test_api.py; the rig's pair scenarios test
the wait for a real standby.
"""
import time
import unittest

from fulcrum import WORK, Fulcrumd
from test_cluster import free_tcp_port, free_udp_port, key_file

HEADER = 'Fulcrum-Replicated'
SLOW = 2.0  # seconds: repl_sync_timeout is 5000 ms below, so an answer that waited for it takes longer


class CommitModes(unittest.TestCase):
    """A standalone node in sync mode (the default), and two nodes whose peer never answers: sync and async."""

    @classmethod
    def setUpClass(cls):
        keys = key_file('repl')
        silent = free_udp_port()  # a peer that never speaks

        def paired(mode):
            return {'ha_peer': f'127.0.0.1:{silent}', 'ha_bind': '127.0.0.1', 'ha_port': str(free_udp_port()),
                    'ha_keyfile': keys, 'ha_realtime': 'no', 'repl_mode': mode, 'repl_sync_timeout': '5000',
                    'repl_port': str(free_tcp_port()), 'repl_peer_port': str(free_tcp_port())}

        cls.solo = Fulcrumd(WORK, 'repl-solo', {'repl_sync_timeout': '5000'})
        cls.sync = Fulcrumd(WORK, 'repl-sync', paired('sync'))
        cls.asyn = Fulcrumd(WORK, 'repl-async', paired('async'))
        for d in (cls.solo, cls.sync, cls.asyn):
            d.token('admin', 'admin')
            d.start()
        # a paired node takes writes once it has left starting (ha_initdead, 1 s): in fault here (no IPVS,
        # the peer silent), where nobody else could take them (docs/ha.md, "Writes on the standby")
        for d in (cls.sync, cls.asyn):
            end = time.time() + 10
            while d.call('GET', '/cluster', token='admin').json['role'] == 'starting' and time.time() < end:
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        for d in (cls.solo, cls.sync, cls.asyn):
            rc = d.stop()
            assert rc == 0, f'fulcrumd exited {rc}:\n{d.log_text()[-3000:]}'

    def timed(self, d, method, path, body=None, status=None):
        t0 = time.monotonic()
        r = d.call(method, path, body)
        took = time.monotonic() - t0
        if status is not None:
            self.assertEqual(r.status, status, r)
        self.assertLess(took, SLOW, f'{method} {path} waited {took:.2f} s')
        return r

    def writes(self, d, addr):
        """Creates a service, a real server, changes both and deletes them; returns each answer."""
        created = self.timed(d, 'POST', '/services', {'name': f'repl{addr}', 'address': f'192.0.2.{addr}',
                                                      'port': 80, 'protocol': 'tcp'}, 201)
        vs = created.json['id']
        real = self.timed(d, 'POST', f'/services/{vs}/reals', {'address': f'10.9.0.{addr}', 'port': 80}, 201)
        rs = real.json['id']
        return [created, real,
                self.timed(d, 'PATCH', f'/reals/{rs}', {'weight': 7}, 200),
                self.timed(d, 'PATCH', f'/services/{vs}', {'admin_state': 'disabled'}, 200),
                self.timed(d, 'DELETE', f'/reals/{rs}', None, 204),
                self.timed(d, 'DELETE', f'/services/{vs}', None, 204)]

    def test_standalone_answers_none(self):
        for r in self.writes(self.solo, 31):
            self.assertEqual(r.header(HEADER), 'none', r)

    def test_async_answers_async(self):
        for r in self.writes(self.asyn, 32):
            self.assertEqual(r.header(HEADER), 'async', r)

    def test_sync_without_a_standby_answers_alone_at_once(self):
        for r in self.writes(self.sync, 33):
            self.assertEqual(r.header(HEADER), 'alone', r)

    def test_failed_and_unchanged_writes_have_no_header(self):
        """Nothing to replicate: a refused write and one that changed nothing answer without it."""
        for d in (self.solo, self.sync, self.asyn):
            r = self.timed(d, 'POST', '/services', {'name': 'bad', 'address': '192.0.2.34', 'port': 0,
                                                    'protocol': 'tcp'}, 422)
            self.assertIsNone(r.header(HEADER), r)
            vs = self.timed(d, 'POST', '/services', {'name': 'same', 'address': '192.0.2.35', 'port': 80,
                                                     'protocol': 'tcp'}, 201).json['id']
            before = d.call('GET', '/status').revision
            r = self.timed(d, 'PATCH', f'/services/{vs}', {'name': 'same'}, 200)
            self.assertEqual(d.call('GET', '/status').revision, before, 'a PATCH that changed nothing moved it')
            self.assertIsNone(r.header(HEADER), r)
            self.timed(d, 'DELETE', f'/services/{vs}', None, 204)

    def test_a_set_that_could_stall_the_loop_is_warned_of_at_start(self):
        """An SNMP SET waits for the standby on the main loop: a repl_sync_timeout the failover engine would take
        for a stalled loop is named at start, in sync mode only."""
        words = 'repl_sync_timeout (5000 ms) is not below ha_loop_timeout (1000 ms) less 100 ms'
        self.assertIn(words, self.sync.log_text())
        self.assertNotIn('repl_sync_timeout', self.asyn.log_text())
        self.assertNotIn('repl_sync_timeout', self.solo.log_text())

    def test_reads_have_no_header(self):
        for d in (self.solo, self.sync):
            r = d.call('GET', '/services')
            self.assertEqual(r.status, 200, r)
            self.assertIsNone(r.header(HEADER), r)
