#!/usr/bin/env python3
"""The HTTP admin API against a real fulcrumd on loopback: every route, every error, every role.

Runs the daemon-level tests of test_daemon.py too; the last line is "api: N passed, N failed".
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fulcrum import API, SERVICE, TOP, WORK, Fulcrumd, Stream  # noqa: E402
from test_config import ConfigFile  # noqa: E402
from test_cluster import Cluster, ClusterEvents, ReplicationEvents, WritesOnTheStandby  # noqa: E402
from test_daemon import Durability, Hostile, Settings  # noqa: E402
from test_group import ConcurrentDurability, GroupCommit  # noqa: E402
from test_metrics import Metrics  # noqa: E402
from test_repl import CommitModes  # noqa: E402
from test_vip import Vips  # noqa: E402

ROUTE_404 = ('no such route', 'no such page')


class Api(unittest.TestCase):
    """The shared daemon: tokens of each role and a small configuration."""

    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Fulcrumd(WORK, 'api')
        for role in ('viewer', 'operator', 'admin'):
            cls.d.token(role, role)
        cls.d.start()
        r = cls.d.call('POST', '/services', dict(SERVICE, reals=[
            {'address': '10.0.0.1', 'port': 8080, 'weight': 3},
            {'address': '10.0.0.2', 'port': 8080},
        ]))
        assert r.status == 201, r
        cls.vs = r.json['id']
        cls.rs = [x['id'] for x in r.json['reals']]
        r = cls.d.call('POST', '/vips', {'address': '192.0.2.10', 'interface': 'eth0'})
        assert r.status == 201, r
        cls.vip = r.json['id']
        cls.heartbeat_stream = Stream(cls.d, 'viewer')
        cls.heartbeat_start = time.time()
        cls.heartbeat_at = None
        cls.heartbeat_error = None
        cls.heartbeat_thread = threading.Thread(target=cls.read_heartbeat, daemon=True)
        cls.heartbeat_thread.start()

    @classmethod
    def read_heartbeat(cls):
        """Reads the stream opened at the start (keeping its socket drained) until a heartbeat comes."""
        try:
            while True:
                lines = cls.heartbeat_stream.block(20)
                if any(line.startswith(': heartbeat') for line in lines):
                    cls.heartbeat_at = time.time()
                    return
        except (OSError, EOFError, ValueError) as e:
            cls.heartbeat_error = repr(e)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.heartbeat_thread.join(5)
        cls.heartbeat_stream.close()
        assert rc == 0, f'fulcrumd exited {rc}:\n{cls.d.log_text()[-3000:]}'

    def setUp(self):
        self.assertTrue(self.d.alive(), 'fulcrumd died:\n' + self.d.log_text()[-3000:])

    def tearDown(self):
        self.assertTrue(self.d.alive(), 'fulcrumd died:\n' + self.d.log_text()[-3000:])

    # ---- helpers ----------------------------------------------------------------

    def ok(self, method, path, body=None, status=200, token='admin', **kw):
        r = self.d.call(method, path, body, token=token, **kw)
        self.assertEqual(r.status, status, r)
        self.assertIsNotNone(r.revision, 'no ETag')
        return r

    def refused(self, method, path, status, body=None, code=None, field=None, token='admin', **kw):
        """The request is refused with status and the error form, and nothing changes."""
        before = self.d.snapshot()
        r = self.d.call(method, path, body, token=token, **kw)
        self.assertEqual(r.status, status, f'{method} {path}: {r}')
        self.assertEqual(r.header('ETag'), f'"{before.revision}"')
        if method != 'HEAD':
            self.assertIsInstance(r.json, dict, r)
            err = r.json.get('error')
            self.assertEqual(set(err), {'code', 'message', 'field'}, r)
            self.assertTrue(err['message'])
            if code:
                self.assertEqual(err['code'], code, r)
            if field is not None:
                self.assertEqual(err['field'], field, r)
        self.assertEqual(self.d.snapshot(), before, f'{method} {path} changed something')
        return r

    def raw(self, data, timeout=5, shut=False):
        """Sends bytes on a fresh connection; returns what came back before the server closed or went quiet."""
        s = socket.create_connection((self.d.host, self.d.port), timeout=timeout)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
            out = b''
            while True:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def new_service(self, name, **fields):
        body = {'name': name, 'address': '192.0.2.%d' % (abs(hash(name)) % 200 + 20), 'port': 443,
                'protocol': 'tcp'}
        body.update(fields)
        return self.ok('POST', '/services', body, 201).json

    # ---- the document and the routes -------------------------------------------

    def test_openapi_is_public_json(self):
        r = self.ok('GET', '/openapi.json', token=None)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assertTrue(r.json['openapi'].startswith('3.0'))
        self.assertEqual(r.json['servers'], [{'url': '/api/v1'}])
        with open(os.path.join(TOP, 'web', 'openapi.json'), 'rb') as f:
            self.assertEqual(json.loads(f.read()), r.json, 'served document differs from web/openapi.json')

    def probe(self, method, path, prefix=API):
        """Asks method path (under prefix) as an admin in a way that changes nothing; True when the route exists."""
        headers = {}
        body = None
        if method in ('PATCH', 'POST'):
            body = {'no_such_field': 1}  # 422 on every route with a body
        if method in ('PUT', 'POST', 'PATCH', 'DELETE'):
            headers['If-Match'] = '"999999"'  # stale: nothing is written even where a body passes
        if method == 'GET' and path == '/events':
            s = Stream(self.d, 'admin')
            s.close()
            return s.status == 200
        r = self.d.call(method, path, body, headers=headers, prefix=prefix)
        if r.status == 405 or (r.status == 404 and method == 'HEAD'):
            return False  # HEAD is 405 on every route, so its 404 (no body) means no route
        if r.status == 404 and r.json and r.json['error']['message'].startswith(ROUTE_404):
            return False
        self.assertIn(r.status, (200, 204, 400, 412, 422), f'{method} {path}: {r}')
        return True

    def test_openapi_matches_the_routes(self):
        doc = self.ok('GET', '/openapi.json', token=None).json
        documented = set()
        prefixes = {}  # a path with servers of its own is under their url, not /api/v1
        for path, item in doc['paths'].items():
            if 'servers' in item:
                prefixes[path] = item['servers'][0]['url'].rstrip('/')
            for method in item:
                if method in ('get', 'post', 'put', 'patch', 'delete', 'head', 'options'):
                    documented.add((method.upper(), path))
        ids = {'/services/{id}': self.vs, '/services/{id}/reals': self.vs, '/reals/{id}': self.rs[0],
               '/services/{id}/reset-counters': self.vs, '/vips/{id}': self.vip}
        before = self.d.snapshot()
        for method, path in sorted(documented):
            real = path.replace('{id}', str(ids.get(path, 0)))
            self.assertTrue(self.probe(method, real, prefixes.get(path, API)),
                            f'documented but not answered: {method} {path}')
        candidates = ['/services', '/services/{id}', '/services/{id}/reals', '/reals/{id}', '/status',
                      '/changes', '/events', '/openapi.json', '/reals', '/tokens', '/config', '/health',
                      '/services/{id}/reals/{id}', '/reals/{id}/services', '/services/{id}/status',
                      '/services/{id}/reset-counters', '/vips', '/vips/{id}', '/vips/{id}/status',
                      '/cluster', '/cluster/switchover', '/cluster/maintenance', '/cluster/history',
                      '/version', '/metrics', '']
        for path in candidates:
            for method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'):
                real = path.replace('{id}', str(ids.get(path, self.vs)))
                if self.probe(method, real):
                    self.assertIn((method, path), documented, f'answered but not documented: {method} {path}')
                    self.assertNotIn(path, prefixes, f'answered under {API} too: {method} {path}')
        self.assertEqual(self.d.snapshot(), before)

    # ---- reads ------------------------------------------------------------------

    def test_counter_reset_is_an_operators_write(self):
        vs = self.ok('POST', '/services', dict(SERVICE, name='resetme', port=8181), status=201).json['id']
        self.refused('POST', f'/services/{vs}/reset-counters', 403, token='viewer')
        # this kernel holds no service: nothing to zero, said so
        r = self.refused('POST', f'/services/{vs}/reset-counters', 409, token='operator', code='conflict')
        self.assertIn('not in the kernel', r.json['error']['message'])
        self.refused('POST', '/services/999999/reset-counters', 404, token='operator')
        self.refused('GET', f'/services/{vs}/reset-counters', 405)
        self.ok('DELETE', f'/services/{vs}', status=204)

    def test_status(self):
        r = self.ok('GET', '/status', token='viewer')
        s = r.json
        self.assertEqual(s['role'], 'standalone')
        self.assertEqual(s['revision'], r.revision)
        self.assertRegex(s['version'], r'^\d+\.\d+')
        self.assertIsInstance(s['uptime_seconds'], int)
        self.assertTrue(s['node_name'])
        self.assertEqual(set(s['ipvs']), {'available', 'version', 'reason'})
        if not s['ipvs']['available']:
            self.assertIsNone(s['ipvs']['version'])
            self.assertIn('IPVS', s['ipvs']['reason'])

    def test_every_object_has_its_fields_and_status(self):
        st = self.ok('GET', '/status').json['ipvs']
        vs = self.ok('GET', f'/services/{self.vs}', token='viewer').json
        for k in ('id', 'name', 'address', 'port', 'protocol', 'fwmark', 'family', 'scheduler',
                  'scheduler_flags', 'persistence_timeout', 'persistence_netmask', 'one_packet',
                  'admin_state', 'description', 'check', 'fallback', 'min_up', 'reals_total', 'status'):
            self.assertIn(k, vs)
        self.assertEqual(set(vs['check']), {'type', 'path', 'host', 'head', 'expect_status', 'expect',
                                            'expect_regex', 'verify_tls', 'command', 'interval', 'timeout',
                                            'rise', 'fall', 'check_address', 'check_port', 'on_failure'})
        self.assertGreaterEqual(vs['reals_total'], 2)
        rs = self.ok('GET', f'/reals/{self.rs[0]}', token='viewer').json
        for k in ('id', 'service_id', 'address', 'port', 'forwarding', 'tunnel_type', 'tunnel_port',
                  'weight', 'upper_threshold', 'lower_threshold', 'admin_state', 'description', 'check',
                  'status'):
            self.assertIn(k, rs)
        for obj in (vs, rs):
            self.assertEqual(obj['status']['oper_state'], 'unknown')
            if st['available']:
                self.assertEqual(obj['status']['kernel_state'], 'pending')
            else:
                self.assertEqual(obj['status']['kernel_state'], 'unavailable')
                self.assertEqual(obj['status']['kernel_reason'], st['reason'])
        lst = self.ok('GET', '/services').json
        self.assertEqual(lst['revision'], self.d.snapshot().revision)
        self.assertIn(self.vs, [s['id'] for s in lst['services']])
        reals = self.ok('GET', f'/services/{self.vs}/reals').json['reals']
        self.assertEqual([x['id'] for x in reals][:2], self.rs)
        self.assertEqual(reals[0]['service_id'], self.vs)

    # ---- writes -----------------------------------------------------------------

    def test_service_create_read_patch_delete(self):
        r = self.ok('POST', '/services', {'name': 'crud', 'address': '2001:db8::10', 'port': 53,
                                          'protocol': 'udp', 'one_packet': True}, 201)
        s = r.json
        self.assertEqual(r.header('Location'), f'{API}/services/{s["id"]}')
        self.assertEqual((s['family'], s['persistence_netmask'], s['reals_total']), ('ipv6', 128, 0))
        rev = r.revision
        self.assertEqual(self.ok('GET', r.header('Location')[len(API):]).json, s)
        p = self.ok('PATCH', f'/services/{s["id"]}', {'scheduler': 'mh', 'scheduler_flags': ['port']})
        self.assertEqual(p.revision, rev + 1)
        self.assertEqual(p.json['scheduler_flags'], ['port'])
        same = self.ok('PATCH', f'/services/{s["id"]}', {'scheduler': 'mh'})
        self.assertEqual(same.revision, rev + 1, 'a PATCH that changes nothing makes no revision')
        back = dict(p.json, description='sent back whole, read-only fields too')
        self.assertEqual(self.ok('PATCH', f'/services/{s["id"]}', back).json['description'], back['description'])
        d = self.ok('DELETE', f'/services/{s["id"]}', status=204)
        self.assertEqual(d.body, b'')
        self.assertEqual(d.revision, rev + 3)
        self.refused('GET', f'/services/{s["id"]}', 404, code='not_found')

    def test_service_with_reals_in_one_change(self):
        r = self.ok('POST', '/services', {'name': 'pool', 'fwmark': 7, 'family': 'ipv4', 'reals': [
            {'address': '10.9.0.1', 'forwarding': 'route'},
            {'address': '10.9.0.2', 'forwarding': 'tunnel', 'tunnel_type': 'gue', 'tunnel_port': 6080},
        ]}, 201)
        s = r.json
        self.assertIsNone(s['address'])
        self.assertIsNone(s['protocol'])
        self.assertEqual(s['reals_total'], 2)
        self.assertEqual([x['service_id'] for x in s['reals']], [s['id'], s['id']])
        ch = self.ok('GET', f'/changes?since={r.revision - 1}').json['changes']
        self.assertEqual({c['revision'] for c in ch}, {r.revision})
        self.assertEqual(sorted(c['object_type'] for c in ch), ['real', 'real', 'service'])

    def test_real_create_read_patch_delete(self):
        total = self.ok('GET', f'/services/{self.vs}').json['reals_total']
        r = self.ok('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.50', 'port': 8080}, 201)
        rs = r.json
        self.assertEqual(r.header('Location'), f'{API}/reals/{rs["id"]}')
        self.assertEqual((rs['service_id'], rs['weight'], rs['forwarding']), (self.vs, 1, 'masq'))
        self.assertEqual(self.ok('GET', f'/services/{self.vs}').json['reals_total'], total + 1)
        for state in ('drained', 'disabled', 'enabled'):
            self.assertEqual(self.ok('PATCH', f'/reals/{rs["id"]}', {'admin_state': state}).json['admin_state'], state)
        self.assertEqual(self.ok('PATCH', f'/reals/{rs["id"]}', {'weight': 65535}).json['weight'], 65535)
        self.ok('DELETE', f'/reals/{rs["id"]}', status=204)
        self.refused('GET', f'/reals/{rs["id"]}', 404)
        self.refused('DELETE', f'/reals/{rs["id"]}', 404)

    def test_change_log_names_the_token_and_http(self):
        rid = self.ok('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.42', 'port': 8080}, 201).json['id']
        r = self.ok('PATCH', f'/reals/{rid}', {'weight': 42}, token='operator')
        ch = self.ok('GET', f'/changes?since={r.revision - 1}', token='viewer').json
        self.assertEqual(len(ch['changes']), 1)
        c = ch['changes'][0]
        self.assertEqual((c['revision'], c['actor'], c['origin'], c['object_type'], c['object_id']),
                         (r.revision, 'operator', 'http', 'real', rid))
        self.assertEqual((c['before']['weight'], c['after']['weight']), (1, 42))
        self.assertEqual(ch['next_since'], r.revision)
        self.assertFalse(ch['more'])

    # ---- health-check settings ------------------------------------------------------

    def test_check_create_read_patch(self):
        check = {'type': 'http', 'path': '/health', 'host': 'www.example.com', 'expect_status': '200-299,301',
                 'expect': 'OK', 'interval': 10, 'timeout': 2, 'rise': 3, 'fall': 4, 'on_failure': 'remove'}
        r = self.ok('POST', '/services', {'name': 'checked', 'address': '192.0.2.230', 'port': 80,
                                          'protocol': 'tcp', 'check': check, 'min_up': 2}, 201)
        s = r.json
        self.assertEqual({k: s['check'][k] for k in check}, check)
        self.assertEqual({k: s['check'][k] for k in ('head', 'verify_tls', 'expect_regex', 'command',
                                                     'check_address', 'check_port')},
                         {'head': False, 'verify_tls': True, 'expect_regex': '', 'command': '',
                          'check_address': None, 'check_port': 0})
        self.assertIsNone(s['fallback'])
        self.assertEqual(s['min_up'], 2)
        self.assertEqual(self.ok('GET', f'/services/{s["id"]}').json, s)
        # a PATCH of check.interval changes that alone
        p = self.ok('PATCH', f'/services/{s["id"]}', {'check': {'interval': 30}})
        self.assertEqual(p.revision, r.revision + 1)
        self.assertEqual(p.json['check'], dict(s['check'], interval=30))
        self.assertEqual(self.ok('GET', f'/services/{s["id"]}').json['check'], p.json['check'])
        ch = self.ok('GET', f'/changes?since={r.revision}').json['changes']
        self.assertEqual([(c['before']['check']['interval'], c['after']['check']['interval']) for c in ch],
                         [(10, 30)])
        again = self.ok('PATCH', f'/services/{s["id"]}', {'check': {'interval': 30}})
        self.assertEqual(again.revision, p.revision, 'a PATCH that changes nothing makes no revision')
        self.assertEqual(self.ok('PATCH', f'/services/{s["id"]}', p.json).revision, p.revision,
                         'the whole body of a GET sent back changes nothing')
        # "" and null both clear a text; check_address takes an address or null
        p = self.ok('PATCH', f'/services/{s["id"]}', {'check': {'expect': None, 'host': '',
                                                                'check_address': '10.0.0.5'}})
        self.assertEqual((p.json['check']['expect'], p.json['check']['host'], p.json['check']['check_address']),
                         ('', '', '10.0.0.5'))
        p = self.ok('PATCH', f'/services/{s["id"]}', {'check': {'check_address': None, 'type': 'external',
                                                                'command': '/usr/bin/check --quick'}})
        self.assertEqual((p.json['check']['type'], p.json['check']['check_address']), ('external', None))
        self.ok('DELETE', f'/services/{s["id"]}', status=204)

    def test_check_422_names_the_field(self):
        sid = self.ok('POST', '/services', {'name': 'checks422', 'address': '192.0.2.231', 'port': 80,
                                            'protocol': 'tcp'}, 201).json['id']
        rid = self.ok('POST', f'/services/{sid}/reals', {'address': '10.0.0.231', 'port': 80}, 201).json['id']
        vs, rs = f'/services/{sid}', f'/reals/{rid}'
        cases = [
            ('POST', '/services', dict(SERVICE, name='c1', port=81, check={'type': 'http', 'expect_regex': '(['}),
             'check.expect_regex'),
            ('PATCH', vs, {'check': {'expect_regex': '(['}}, 'check.expect_regex'),
            ('PATCH', vs, {'check': {'expect': 'a', 'expect_regex': 'b'}}, 'check.expect_regex'),
            ('PATCH', vs, {'check': {'interval': 0}}, 'check.interval'),
            ('PATCH', vs, {'check': {'interval': 3601}}, 'check.interval'),
            ('PATCH', vs, {'check': {'timeout': 6}}, 'check.timeout'),
            ('PATCH', vs, {'check': {'rise': 0}}, 'check.rise'),
            ('PATCH', vs, {'check': {'colour': 'red'}}, 'check.colour'),
            ('PATCH', vs, {'check': {'interval': '5'}}, 'check.interval'),
            ('PATCH', vs, {'check': {'type': 'icmp'}}, 'check.type'),
            ('PATCH', vs, {'check': {'on_failure': 'drain'}}, 'check.on_failure'),
            ('PATCH', vs, {'check': {'path': 'health'}}, 'check.path'),
            ('PATCH', vs, {'check': {'path': '/a b'}}, 'check.path'),
            ('PATCH', vs, {'check': {'host': 'a b'}}, 'check.host'),
            ('PATCH', vs, {'check': {'expect_status': '200-'}}, 'check.expect_status'),
            ('PATCH', vs, {'check': {'expect_status': '700'}}, 'check.expect_status'),
            ('PATCH', vs, {'check': {'type': 'external'}}, 'check.command'),
            ('PATCH', vs, {'check': {'command': 'check.sh'}}, 'check.command'),
            ('PATCH', vs, {'check': {'command': '/bin/c\tx'}}, 'check.command'),
            ('PATCH', vs, {'check': {'head': True, 'expect': 'OK'}}, 'check.head'),
            ('PATCH', vs, {'check': {'check_address': '2001:db8::1'}}, 'check.check_address'),
            ('PATCH', vs, {'check': {'check_address': ''}}, 'check.check_address'),
            ('PATCH', vs, {'check': None}, 'check'),
            ('PATCH', vs, {'check': 'http'}, 'check'),
            ('PATCH', vs, {'fallback': {'address': '2001:db8::1', 'port': 80}}, 'fallback.address'),
            ('PATCH', vs, {'fallback': {'port': 80}}, 'fallback.address'),
            ('PATCH', vs, {'fallback': {'address': '10.0.0.9'}}, 'fallback.port'),
            ('PATCH', vs, {'fallback': {'address': '10.0.0.9', 'port': 81, 'forwarding': 'route'}}, 'fallback.port'),
            ('PATCH', vs, {'fallback': {'address': '10.0.0.9', 'weight': 1}}, 'fallback.weight'),
            ('PATCH', vs, {'min_up': 70000}, 'min_up'),
            ('PATCH', rs, {'check': {'path': '/x'}}, 'check.path'),
            ('PATCH', rs, {'check': {'interval': 2}}, 'check.interval'),  # shorter than the service's timeout
            ('PATCH', rs, {'check': {'check_address': '2001:db8::1'}}, 'check.check_address'),
            ('PATCH', rs, {'check': {'type': 'external'}}, 'check.type'),  # the service has no command
            ('PATCH', rs, {'check': {'colour': 1}}, 'check.colour'),
            ('POST', f'{vs}/reals', {'address': '10.0.0.232', 'port': 80, 'check': {'rise': 0}}, 'check.rise'),
            ('POST', '/services', dict(SERVICE, name='c2', port=82, reals=[
                {'address': '10.1.1.1', 'port': 80, 'check': {'fall': 101}}]), 'reals[0].check.fall'),
        ]
        for method, path, body, field in cases:
            r = self.refused(method, path, 422, body, code='invalid', field=field)
            self.assertTrue(r.json['error']['message'].startswith(('service', 'real server')), r)
        r = self.refused('PATCH', vs, 422, {'check': {'expect_regex': '(['}}, field='check.expect_regex')
        self.assertIn("'([' is not a POSIX extended regex", r.json['error']['message'])
        self.refused('PATCH', vs, 403, {'check': {'interval': 9}}, token='operator', code='forbidden',
                     field='check')
        self.refused('PATCH', rs, 403, {'check': {'interval': 9}}, token='operator', code='forbidden',
                     field='check')
        self.ok('DELETE', vs, status=204)

    def test_real_check_override_round_trip(self):
        sid = self.ok('POST', '/services', {'name': 'override', 'address': '192.0.2.234', 'port': 80,
                                            'protocol': 'tcp', 'check': {'type': 'tcp'}}, 201).json['id']
        r = self.ok('POST', f'/services/{sid}/reals', {'address': '10.0.0.234', 'port': 8080,
                                                       'check': {'interval': 20, 'check_port': 9000}}, 201)
        rid = r.json['id']
        self.assertEqual(r.json['check'], {'interval': 20, 'check_port': 9000})
        self.assertEqual(self.ok('GET', f'/reals/{rid}').json, r.json)
        p = self.ok('PATCH', f'/reals/{rid}', {'check': {'type': 'http', 'interval': None, 'verify_tls': False}})
        self.assertEqual(p.json['check'], {'type': 'http', 'check_port': 9000, 'verify_tls': False})
        c = self.ok('GET', f'/changes?since={p.revision - 1}').json['changes'][0]
        self.assertEqual((c['before']['check'], c['after']['check']), (r.json['check'], p.json['check']))
        self.assertEqual(self.ok('PATCH', f'/reals/{rid}', p.json).revision, p.revision)
        self.assertEqual(self.ok('PATCH', f'/reals/{rid}', {'check': None}).json['check'], {})
        self.assertEqual(self.ok('GET', f'/reals/{self.rs[0]}').json['check'], {})
        # created with the service, in one change
        s = self.ok('POST', '/services', {'name': 'override2', 'address': '192.0.2.235', 'port': 80,
                                          'protocol': 'tcp', 'reals': [
                                              {'address': '10.0.0.235', 'port': 80, 'check': {'on_failure': 'remove'}}]},
                    201).json
        self.assertEqual(s['reals'][0]['check'], {'on_failure': 'remove'})
        for i in (sid, s['id']):
            self.ok('DELETE', f'/services/{i}', status=204)

    def test_fallback_set_and_removed(self):
        s = self.ok('POST', '/services', {'name': 'sorry', 'address': '192.0.2.236', 'port': 80,
                                          'protocol': 'tcp'}, 201).json
        self.assertIsNone(s['fallback'])
        p = self.ok('PATCH', f'/services/{s["id"]}', {'fallback': {'address': '10.0.9.1', 'port': 8080}})
        self.assertEqual(p.json['fallback'], {'address': '10.0.9.1', 'port': 8080, 'forwarding': 'masq'})
        self.assertEqual(self.ok('GET', f'/services/{s["id"]}').json['fallback'], p.json['fallback'])
        p = self.ok('PATCH', f'/services/{s["id"]}', {'fallback': {'forwarding': 'route', 'port': 0}})
        self.assertEqual(p.json['fallback'], {'address': '10.0.9.1', 'port': 0, 'forwarding': 'route'})
        p = self.ok('PATCH', f'/services/{s["id"]}', {'fallback': None})
        self.assertIsNone(p.json['fallback'])
        self.assertIsNone(self.ok('GET', f'/services/{s["id"]}').json['fallback'])
        c = self.ok('GET', f'/changes?since={p.revision - 1}').json['changes'][0]
        self.assertEqual((c['before']['fallback']['forwarding'], c['after']['fallback']), ('route', None))
        self.ok('DELETE', f'/services/{s["id"]}', status=204)

    def test_changes_paging(self):
        for i in range(3):
            self.ok('PATCH', f'/reals/{self.rs[1]}', {'description': f'page {i}'})
        seen, since, pages = [], 0, 0
        while True:
            ch = self.ok('GET', f'/changes?since={since}&limit=2').json
            self.assertLessEqual(len({c['revision'] for c in ch['changes']}), 2)
            seen += ch['changes']
            since = ch['next_since']
            pages += 1
            if not ch['more']:
                break
        self.assertEqual(since, self.d.snapshot().revision)
        self.assertEqual(len(seen), self.d.snapshot().changes, 'paging lost or repeated rows')
        revs = [c['revision'] for c in seen]
        self.assertEqual(revs, sorted(revs))
        self.assertGreater(pages, 2)
        # a revision is never split: the first one has 3 rows, more than limit=1
        first = self.ok('GET', '/changes?since=0&limit=1').json
        self.assertEqual([c['revision'] for c in first['changes']], [1, 1, 1])
        capped = self.ok('GET', '/changes?limit=5000').json
        self.assertLessEqual(len(capped['changes']), 1000)
        self.ok('GET', '/changes?limit=99999999999999999999999')
        future = self.ok('GET', '/changes?since=999999').json
        self.assertEqual((future['changes'], future['next_since'], future['more']), ([], 999999, False))
        for q, field in (('since=abc', 'since'), ('since=-1', 'since'), ('since=99999999999999999999', 'since'),
                         ('limit=0', 'limit'), ('limit=-5', 'limit'), ('limit=1e3', 'limit'), ('since=', 'since')):
            self.refused('GET', f'/changes?{q}', 400, code='bad_request', field=field)

    # ---- the event stream ----------------------------------------------------------

    def test_events_deliver_a_patch_within_a_second(self):
        s = Stream(self.d, 'viewer')
        keep = self.d.connect()  # the writer's connection stays open: nothing else wakes the loop
        try:
            self.assertEqual(s.status, 200)
            self.assertEqual(s.resp.getheader('Content-Type'), 'text/event-stream')
            for i, conn in enumerate((None, keep, keep)):
                time.sleep(0.1)
                t0 = time.time()
                r = self.ok('PATCH', f'/reals/{self.rs[0]}', {'weight': 9 + i}, token='operator', conn=conn)
                ev = s.event(1.0)
                self.assertLess(time.time() - t0, 1.0)
                self.assertEqual((ev['event'], ev['id']), ('change', str(r.revision)))
                self.assertEqual(ev['data'][0]['object_id'], self.rs[0])
                self.assertEqual(ev['data'][0]['after']['weight'], 9 + i)
                self.assertEqual(ev['data'][0]['actor'], 'operator')
        finally:
            keep.close()
            s.close()

    def test_events_carry_state_changes(self):
        """A real server whose tcp check fails: a state event says down, with the reason."""
        s = Stream(self.d, 'viewer')
        try:
            with socket.socket() as probe:  # a port nothing listens on
                probe.bind(('127.0.0.1', 0))
                port = probe.getsockname()[1]
            body = dict(SERVICE, name='stateev', port=8282,
                        check={'type': 'tcp', 'interval': 1, 'timeout': 1, 'rise': 1, 'fall': 1},
                        reals=[{'address': '127.0.0.1', 'port': port}])
            vs = self.ok('POST', '/services', body, status=201).json['id']
            rs = self.ok('GET', f'/services/{vs}/reals').json['reals'][0]['id']
            deadline = time.time() + 8
            ev = None
            while time.time() < deadline:
                try:
                    e = s.event(max(0.1, deadline - time.time()))
                except TimeoutError:
                    break
                if e.get('event') == 'state' and e['data']['object'] == 'real' and e['data']['id'] == rs:
                    ev = e
                    break
            self.assertIsNotNone(ev, 'no state event for the failing real server within 8 s')
            self.assertEqual(ev['data']['oper_state'], 'down')
            self.assertIn('tcp: connection refused', ev['data']['oper_reason'])
            # a weight PATCH leaves its check alone: still down, no flap through unknown
            self.ok('PATCH', f'/reals/{rs}', {'weight': 5})
            self.assertEqual(self.ok('GET', f'/reals/{rs}').json['status']['health']['state'], 'down')
            deadline = time.time() + 1.5  # past the state tracker's next tick
            while time.time() < deadline:
                try:
                    e = s.event(max(0.1, deadline - time.time()))
                except TimeoutError:
                    break
                if e.get('event') == 'state' and e['data']['object'] == 'real' and e['data']['id'] == rs:
                    self.fail(f'a weight PATCH moved the state of a down real server: {e["data"]}')
            self.ok('DELETE', f'/services/{vs}', status=204)
        finally:
            s.close()

    def test_events_replay_from_last_event_id(self):
        revs = [self.ok('PATCH', f'/reals/{self.rs[1]}', {'weight': w}).revision for w in (11, 12, 13)]
        s = Stream(self.d, 'viewer', last_id=revs[0] - 1)
        try:
            got = [s.event(2) for _ in revs]
            self.assertEqual([int(e['id']) for e in got], revs)
            self.assertEqual([e['data'][0]['after']['weight'] for e in got], [11, 12, 13])
            r = self.ok('PATCH', f'/reals/{self.rs[1]}', {'weight': 14})
            self.assertEqual(int(s.event(1)['id']), r.revision, 'replay then live')
        finally:
            s.close()
        s = Stream(self.d, 'viewer', last_id='junk')  # ignored: live from now
        try:
            r = self.ok('PATCH', f'/reals/{self.rs[1]}', {'weight': 15})
            self.assertEqual(int(s.event(1)['id']), r.revision)
        finally:
            s.close()

    def test_events_replay_everything_whole_revisions(self):
        """Last-Event-ID: 0 replays the whole log from SQLite, a revision of 301 rows in one event."""
        big = self.ok('POST', '/services', {'name': 'big', 'address': '192.0.2.250', 'port': 80, 'protocol': 'tcp',
                                            'reals': [{'address': f'10.250.{i // 200}.{i % 200 + 1}', 'port': 80}
                                                      for i in range(300)]}, 201)
        page = self.ok('GET', f'/changes?since={big.revision - 1}&limit=10').json
        self.assertEqual(len(page['changes']), 301)
        self.assertEqual(page['next_since'], big.revision)
        cur = self.d.snapshot().revision
        s = Stream(self.d, 'viewer', last_id=0)
        try:
            ids, rows = [], {}
            while not ids or ids[-1] < cur:
                ev = s.event(3)
                ids.append(int(ev['id']))
                rows[ids[-1]] = len(ev['data'])
                self.assertTrue(all(c['revision'] == ids[-1] for c in ev['data']))
            self.assertEqual(ids, list(range(1, cur + 1)), 'every revision once, in order')
            self.assertEqual(rows[big.revision], 301)
            r = self.ok('PATCH', f'/services/{big.json["id"]}', {'description': 'live after replay'})
            self.assertEqual(int(s.event(1)['id']), r.revision)
        finally:
            s.close()
        self.ok('DELETE', f'/services/{big.json["id"]}', status=204)

    def test_events_bounded_streams(self):
        streams = []
        try:
            while len(streams) < 64:
                s = Stream(self.d, 'viewer')
                if s.status != 200:  # the heartbeat test's stream holds one
                    s.close()
                    break
                streams.append(s)
            self.assertGreaterEqual(len(streams), 62)
            over = Stream(self.d, 'viewer')
            self.assertEqual(over.status, 503)
            self.assertEqual(over.resp.getheader('Retry-After'), '5')
            self.assertEqual(json.loads(over.resp.read())['error']['code'], 'unavailable')
            over.close()
            self.ok('GET', '/status')  # the rest of the API still answers
            streams.pop().close()  # a client going away frees its place at once
            deadline = time.time() + 2
            while True:
                again = Stream(self.d, 'viewer')
                if again.status == 200 or time.time() > deadline:
                    break
                again.close()
                time.sleep(0.05)
            self.assertEqual(again.status, 200)
            streams.append(again)
        finally:
            for s in streams:
                s.close()

    def test_zz_heartbeat(self):
        """The stream opened at the start gets a comment line within 15 s."""
        self.heartbeat_thread.join(max(self.heartbeat_start + 17 - time.time(), 0))
        self.assertIsNotNone(self.heartbeat_at, f'no heartbeat within 17 s: {self.heartbeat_error}')
        self.assertLess(self.heartbeat_at - self.heartbeat_start, 17)

    # ---- 400 415 413 411 414 ----------------------------------------------------------

    def test_400_malformed_json(self):
        for raw in (b'{', b'{"name": ', b'nul', b'{"name": "x"} trailing', b'{"a": 1, "a": 2}',
                    b'\xff\xfe{}', b'{"name": "\xc3\x28"}', b"{'name': 'x'}", b'"just a string"',
                    b'{"port": 08}', b'{"x": NaN}', b'[' * 5000):
            self.refused('POST', '/services', 400, raw=raw, code='malformed_json')
            self.refused('PATCH', f'/reals/{self.rs[0]}', 400, raw=raw, code='malformed_json')
        self.refused('POST', '/services', 400, raw=b'', code='malformed_json')
        self.refused('PATCH', f'/services/{self.vs}', 400, code='malformed_json', ctype=None)

    def test_400_body_cut_short(self):
        """Content-Length larger than what is sent, then close (or half-close): nothing changes."""
        before = self.d.snapshot()
        body = b'{"weight": 777, "description": "cut short"}'
        for shut in (False, True):
            req = (f'PATCH {API}/reals/{self.rs[0]} HTTP/1.1\r\nHost: x\r\n'
                   f'Authorization: Bearer {self.d.tokens["admin"]}\r\nContent-Type: application/json\r\n'
                   f'Content-Length: {len(body) + 40}\r\n\r\n').encode() + body[:20]
            out = self.raw(req, timeout=4, shut=shut)
            self.assertTrue(out == b'' or out.startswith(b'HTTP/1.1 400'), out[:200])
        self.assertEqual(self.d.snapshot(), before)

    def test_415_content_type(self):
        for ctype in ('text/plain', 'application/x-www-form-urlencoded', 'application/jsonx',
                      'multipart/form-data; boundary=x', None):
            self.refused('POST', '/services', 415, raw=b'{"name": "ct"}', ctype=ctype,
                         code='unsupported_media_type')
            self.refused('PATCH', f'/reals/{self.rs[0]}', 415, raw=b'{"weight": 5}', ctype=ctype)
        self.ok('PATCH', f'/reals/{self.rs[0]}', raw=b'{"weight": 5}', ctype='Application/JSON; charset=utf-8')

    def test_413_body_too_large(self):
        big = {'name': 'big', 'description': 'x' * 70000}
        self.refused('POST', '/services', 413, big, code='body_too_large')
        # announced only: refused before a byte of the body is read
        before = self.d.snapshot()
        req = (f'POST {API}/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.d.tokens["admin"]}\r\n'
               f'Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n').encode()
        out = self.raw(req + b'{"name": ', timeout=3)
        self.assertTrue(out.startswith(b'HTTP/1.1 413'), out[:200])
        self.assertEqual(self.d.snapshot(), before)
        # a body of exactly the limit is read (and judged on its content)
        head = b'{"name": "exact", "description": "'
        exact = head + b'y' * (65536 - len(head) - 2) + b'"}'
        self.assertEqual(len(exact), 65536)
        self.refused('POST', '/services', 422, raw=exact, field='description')

    def test_411_chunked_body(self):
        before = self.d.snapshot()
        req = (f'POST {API}/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.d.tokens["admin"]}\r\n'
               'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
               'e\r\n{"name": "chk"}\r\n0\r\n\r\n').encode()
        out = self.raw(req, timeout=3)
        self.assertTrue(out.startswith(b'HTTP/1.1 411'), out[:200])
        self.assertEqual(self.d.snapshot(), before)

    def test_414_long_path_and_huge_headers(self):
        self.refused('GET', '/services/' + '1' * 3000, 414, code='uri_too_long')
        before = self.d.snapshot()
        out = self.raw(f'GET {API}/status HTTP/1.1\r\nHost: x\r\nX-Big: {"a" * 100000}\r\n\r\n'.encode(), timeout=3)
        self.assertRegex(out[:40], rb'^(HTTP/1.1 4\d\d|$)')
        out = self.raw(b'GET ' + b'/' * 100000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', timeout=3)
        self.assertRegex(out[:40], rb'^(HTTP/1.1 4\d\d|$)')
        self.assertEqual(self.d.snapshot(), before)

    # ---- 404 405 ------------------------------------------------------------------------

    def test_404_routes_and_objects(self):
        for path in ('/nope', '/services/', '/services/abc', '/services/0', '/services/007', '/services/-1',
                     '/services/1.0', '/services/99999999999999999999', '/services/9223372036854775808',
                     f'/services/{self.vs}/', f'/services/{self.vs}/reals/1', '/reals', '', '/Services'):
            self.refused('GET', path, 404, code='not_found')
        for path in ('/services/9223372036854775807', '/reals/999999', '/services/999999/reals'):
            self.refused('GET', path, 404, code='not_found')
        self.refused('PATCH', '/services/999999', 404, {'admin_state': 'disabled'})
        self.refused('PATCH', '/reals/999999', 404, {'weight': 1})
        self.refused('DELETE', '/services/999999', 404)
        self.refused('POST', '/services/999999/reals', 404, {'address': '10.0.0.9'})
        self.refused('GET', '/nothing-here', 404, prefix='')
        self.refused('GET', '/%ff%fe%0a%00/x', 404, code='not_found')  # still JSON, still UTF-8
        self.refused('GET', '/services/%c3%28', 404, code='not_found')
        self.refused('GET', '/api/v2/services', 404, prefix='')

    def test_405_with_allow(self):
        for method, path, allow in (('PUT', '/services', 'GET, POST'), ('DELETE', '/services', 'GET, POST'),
                                    ('POST', f'/services/{self.vs}', 'GET, PATCH, DELETE'),
                                    ('PUT', f'/reals/{self.rs[0]}', 'GET, PATCH, DELETE'),
                                    ('PATCH', f'/services/{self.vs}/reals', 'GET, POST'),
                                    ('POST', '/status', 'GET'), ('DELETE', '/changes', 'GET'),
                                    ('POST', '/events', 'GET'), ('PUT', '/openapi.json', 'GET'),
                                    ('HEAD', '/services', 'GET, POST'), ('OPTIONS', '/status', 'GET')):
            r = self.refused(method, path, 405, {'x': 1} if method in ('PUT', 'POST', 'PATCH') else None)
            self.assertEqual(r.header('Allow'), allow)
            if method != 'HEAD':
                self.assertEqual(r.json['error']['code'], 'method_not_allowed')
        r = self.refused('POST', '/', 405, prefix='')
        self.assertEqual(r.header('Allow'), 'GET')

    # ---- 409 422 ------------------------------------------------------------------------

    def test_409_duplicates(self):
        self.refused('POST', '/services', 409, {'name': 'web', 'address': '192.0.2.99', 'port': 80,
                                                'protocol': 'tcp'}, code='conflict', field='name')
        self.refused('POST', '/services', 409, dict(SERVICE, name='other'), code='conflict')
        self.refused('POST', f'/services/{self.vs}/reals', 409, {'address': '10.0.0.1', 'port': 8080},
                     code='conflict')
        self.refused('POST', '/services', 409, {'name': 'dup-reals', 'address': '192.0.2.98', 'port': 80,
                                                'protocol': 'tcp', 'reals': [{'address': '10.0.0.1', 'port': 80},
                                                                             {'address': '10.0.0.1', 'port': 80}]})
        other = self.new_service('dupe-target')
        self.refused('PATCH', f'/services/{other["id"]}', 409, {'name': 'web'}, field='name')

    def test_422_fields(self):
        cases = [
            ('POST', '/services', {}, 'name'),
            ('POST', '/services', {'name': 'bad name!'}, 'name'),
            ('POST', '/services', {'name': 'x' * 65, 'address': '192.0.2.1', 'port': 1, 'protocol': 'tcp'}, 'name'),
            ('POST', '/services', dict(SERVICE, name='t1', port='80'), 'port'),
            ('POST', '/services', dict(SERVICE, name='t2', port=-1), 'port'),
            ('POST', '/services', dict(SERVICE, name='t3', port=65536), 'port'),
            ('POST', '/services', dict(SERVICE, name='t4', port=80.0), 'port'),
            ('POST', '/services', dict(SERVICE, name='t5', address='300.1.1.1'), 'address'),
            ('POST', '/services', dict(SERVICE, name='t6', address='example.com'), 'address'),
            ('POST', '/services', dict(SERVICE, name='t7', address='fe80::1%eth0'), 'address'),
            ('POST', '/services', dict(SERVICE, name='t8', address=''), 'address'),
            ('POST', '/services', dict(SERVICE, name='t9', address=17), 'address'),
            ('POST', '/services', dict(SERVICE, name='t10', scheduler='fast'), 'scheduler'),
            ('POST', '/services', dict(SERVICE, name='t11', scheduler_flags='port'), 'scheduler_flags'),
            ('POST', '/services', dict(SERVICE, name='t12', one_packet='yes'), 'one_packet'),
            ('POST', '/services', dict(SERVICE, name='t13', fwmark=2 ** 32), 'fwmark'),
            ('POST', '/services', dict(SERVICE, name='t14', fwmark=2 ** 70), 'fwmark'),
            ('POST', '/services', dict(SERVICE, name='t15', colour='red'), 'colour'),
            ('POST', '/services', dict(SERVICE, name='t15b', **{'a' + '\u20ac' * 40: 1}), None),
            ('POST', '/services', dict(SERVICE, name='t16', id=5), 'id'),
            ('POST', '/services', dict(SERVICE, name='t17', persistence_timeout=10 ** 30), 'persistence_timeout'),
            ('POST', '/services', dict(SERVICE, name='t18', reals={}), 'reals'),
            ('POST', '/services', dict(SERVICE, name='t19', reals=[{'address': '10.1.1.1', 'port': 80}, {'address': '10.1.1.2', 'port': 80, 'weight': 70000}]), 'reals[1].weight'),
            ('POST', '/services', dict(SERVICE, name='t20', reals=[{'address': '2001:db8::1', 'port': 80}]), 'reals[0].address'),
            ('POST', '/services', dict(SERVICE, name='t20b', reals=[{'address': '10.1.1.1'}]), 'reals[0].port'),
            ('POST', '/services', dict(SERVICE, name='t21', reals=[7]), None),
            ('POST', '/services', dict(SERVICE, name='t22', description='\u0000'), 'description'),
            ('POST', f'/services/{self.vs}/reals', {}, 'address'),
            ('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.77', 'weight': '5'}, 'weight'),
            ('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.77', 'weight': 2 ** 63}, 'weight'),
            ('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.77', 'service_id': self.vs + 1}, 'service_id'),
            ('POST', f'/services/{self.vs}/reals', {'address': '10.0.0.77', 'forwarding': 'nat'}, 'forwarding'),
            ('PATCH', f'/reals/{self.rs[0]}', {'weight': -1}, 'weight'),
            ('PATCH', f'/reals/{self.rs[0]}', {'weight': 1e3}, 'weight'),
            ('PATCH', f'/reals/{self.rs[0]}', {'weight': 123456789012345678901234567890}, 'weight'),
            ('PATCH', f'/reals/{self.rs[0]}', {'weight': None}, 'weight'),
            ('PATCH', f'/reals/{self.rs[0]}', {'admin_state': 'paused'}, 'admin_state'),
            ('PATCH', f'/reals/{self.rs[0]}', {'id': self.rs[0] + 1}, 'id'),
            ('PATCH', f'/reals/{self.rs[0]}', {'address': '10.0.0.300'}, 'address'),
            ('PATCH', f'/reals/{self.rs[0]}', {'lower_threshold': 10, 'upper_threshold': 5}, None),
            ('PATCH', f'/services/{self.vs}', {'admin_state': 'drained'}, 'admin_state'),
            ('PATCH', f'/services/{self.vs}', {'reals': []}, 'reals'),
            ('PATCH', f'/services/{self.vs}', [1, 2], None),
            ('PATCH', f'/services/{self.vs}', {'address': '2001:db8::5'}, None),
        ]
        for method, path, body, field in cases:
            r = self.refused(method, path, 422, body, code='invalid')
            if field:
                self.assertEqual(r.json['error']['field'], field, f'{body}: {r}')

    # ---- 412 -----------------------------------------------------------------------------

    def test_412_stale_if_match(self):
        cur = self.d.snapshot().revision
        for tag in ('"0"', f'"{cur - 1}"', f'"{cur + 1}"', f'W/"{cur}"', '"1", "2"'):
            self.refused('PATCH', f'/reals/{self.rs[0]}', 412, {'weight': 77}, code='stale',
                         headers={'If-Match': tag})
            self.refused('DELETE', f'/reals/{self.rs[0]}', 412, headers={'If-Match': tag})
            self.refused('POST', '/services', 412, dict(SERVICE, name='stale', port=81),
                         headers={'If-Match': tag})
            self.refused('POST', f'/services/{self.vs}/reals', 412, {'address': '10.0.0.66'},
                         headers={'If-Match': tag})
        for tag in ('abc', '"x"', '""', '"1'):
            self.refused('PATCH', f'/reals/{self.rs[0]}', 400, {'weight': 77}, code='bad_request',
                         headers={'If-Match': tag})
        r = self.ok('PATCH', f'/reals/{self.rs[0]}', {'weight': 77}, headers={'If-Match': f'"{cur}"'})
        self.assertEqual(r.revision, cur + 1)
        self.ok('PATCH', f'/reals/{self.rs[0]}', {'weight': 78}, headers={'If-Match': '*'})
        self.ok('PATCH', f'/reals/{self.rs[0]}', {'weight': 79}, headers={'If-Match': f'"1", "{cur + 2}"'})
        self.ok('PATCH', f'/reals/{self.rs[0]}', {'weight': 80}, headers={'If-Match': str(cur + 3)})

    # ---- 401 403 -------------------------------------------------------------------------

    def test_401_without_a_known_token(self):
        for headers in ({}, {'Authorization': 'Bearer ful_' + 'A' * 43}, {'Authorization': 'Basic YWRtaW46eA=='},
                        {'Authorization': 'Bearer'}, {'Authorization': 'Bearer ' + 'x' * 5000},
                        {'Authorization': 'Bearer ' + self.d.tokens['admin'] + ' extra'},
                        {'Authorization': 'bearer ' + self.d.tokens['admin'][:-1]}):
            for method, path, body in (('GET', '/services', None), ('GET', '/events', None),
                                       ('POST', '/services', dict(SERVICE, name='anon', port=82)),
                                       ('PATCH', f'/reals/{self.rs[0]}', {'weight': 100}),
                                       ('DELETE', f'/services/{self.vs}', None)):
                r = self.refused(method, path, 401, body, token=None, headers=headers, code='unauthorized')
                self.assertTrue(r.header('WWW-Authenticate').startswith('Bearer'))
        self.ok('GET', '/services', token=None, headers={'Authorization': 'bearer  ' + self.d.tokens['viewer']})

    def test_403_roles(self):
        rs, vs = f'/reals/{self.rs[1]}', f'/services/{self.vs}'
        for path in ('/services', vs, f'{vs}/reals', rs, '/status', '/changes'):
            self.ok('GET', path, token='viewer')
        for method, path, body in (('PATCH', rs, {'weight': 5}), ('PATCH', rs, {'admin_state': 'drained'}),
                                   ('PATCH', vs, {'admin_state': 'disabled'}), ('DELETE', rs, None),
                                   ('POST', '/services', dict(SERVICE, name='v', port=90)),
                                   ('POST', f'{vs}/reals', {'address': '10.0.0.90'})):
            self.refused(method, path, 403, body, token='viewer', code='forbidden')
        # operator: weights and admin state only
        self.ok('PATCH', rs, {'weight': 6}, token='operator')
        for state in ('drained', 'disabled', 'enabled'):
            self.ok('PATCH', rs, {'admin_state': state}, token='operator')
        self.ok('PATCH', vs, {'admin_state': 'disabled'}, token='operator')
        self.ok('PATCH', vs, {'admin_state': 'enabled'}, token='operator')
        cur = self.ok('GET', rs).json
        self.ok('PATCH', rs, dict(cur, weight=8), token='operator')  # the whole object back, weight changed
        for method, path, body, field in (('PATCH', rs, {'address': '10.0.0.99'}, 'address'),
                                          ('PATCH', rs, {'weight': 9, 'port': 9090}, 'port'),
                                          ('PATCH', vs, {'name': 'renamed'}, 'name'),
                                          ('PATCH', vs, {'scheduler': 'rr'}, 'scheduler')):
            self.refused(method, path, 403, body, token='operator', code='forbidden', field=field)
        for method, path, body in (('DELETE', rs, None), ('DELETE', vs, None),
                                   ('POST', '/services', dict(SERVICE, name='o', port=91)),
                                   ('POST', f'{vs}/reals', {'address': '10.0.0.91'})):
            self.refused(method, path, 403, body, token='operator', code='forbidden')

    def test_tokens_added_and_deleted_while_running(self):
        subprocess.run([os.path.join(TOP, 'fulcrumctl'), '--db', self.d.db, 'token', 'create', 'late',
                        '--role', 'viewer'], check=True, capture_output=True, text=True)
        late = subprocess.run([os.path.join(TOP, 'fulcrumctl'), '--db', self.d.db, 'token', 'create', 'later',
                               '--role', 'admin'], check=True, capture_output=True, text=True).stdout.strip()
        self.ok('GET', '/status', token=late)
        subprocess.run([os.path.join(TOP, 'fulcrumctl'), '--db', self.d.db, 'token', 'delete', 'later'],
                       check=True, capture_output=True)
        self.refused('GET', '/status', 401, token=late)

    # ---- hostile clients -------------------------------------------------------------------

    def test_slow_client_is_cut_and_others_are_answered(self):
        """Headers byte by byte, slower than http_timeout (2 s here): closed, while others get answers."""
        s = socket.create_connection((self.d.host, self.d.port), timeout=10)
        req = f'GET {API}/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.d.tokens["admin"]}\r\n\r\n'.encode()
        t0 = time.time()
        closed = None
        try:
            for i, b in enumerate(req):
                try:
                    s.send(bytes([b]))
                except OSError:
                    closed = time.time() - t0
                    break
                t1 = time.time()
                r = self.ok('GET', '/status', token='viewer')  # another client, meanwhile
                self.assertLess(time.time() - t1, 0.5)
                s.settimeout(0.25)
                try:
                    if s.recv(100) == b'':
                        closed = time.time() - t0
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = time.time() - t0
                    break
        finally:
            s.close()
        self.assertIsNotNone(closed, 'the slow client was never cut off')
        self.assertLess(closed, 5)
        # an idle connection that sends nothing is closed too
        s = socket.create_connection((self.d.host, self.d.port), timeout=6)
        t0 = time.time()
        try:
            self.assertEqual(s.recv(10), b'')
        except ConnectionResetError:
            pass
        finally:
            s.close()
        self.assertLess(time.time() - t0, 5)
        self.assertIsNotNone(r.revision)

    def test_garbage_and_protocol_abuse(self):
        before = self.d.snapshot()
        for data in (b'\x00\x01\x02garbage\r\n\r\n', b'GET\r\n\r\n', b'GET / HTTP/9.9\r\n\r\n',
                     b'G\xffT /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n',
                     b'GET /api/v1/status HTTP/1.1\r\n\r\n',  # no Host
                     b'GET /api/v1/status HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n',
                     b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + os.urandom(200),  # a TLS hello
                     b'PATCH /api/v1/reals/1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
                     b'PATCH /api/v1/reals/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde',
                     b'GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n' * 50,
                     os.urandom(4096)):
            out = self.raw(data, timeout=3)
            self.assertTrue(out == b'' or out.startswith(b'HTTP/1.'), out[:100])
        # more connections than allowed, all idle: the surplus is refused, the idle ones time out
        conns = []
        try:
            for _ in range(300):
                try:
                    conns.append(socket.create_connection((self.d.host, self.d.port), timeout=2))
                except OSError:
                    break
            time.sleep(3)
            self.ok('GET', '/status')
        finally:
            for c in conns:
                c.close()
        self.assertEqual(self.d.snapshot(), before)

    # ---- the page ---------------------------------------------------------------------------

    def test_static_files(self):
        r = self.ok('GET', '/', token=None, prefix='')
        self.assertEqual(r.header('Content-Type'), 'text/html; charset=utf-8')
        self.assertIn(b'<html', r.body)
        self.assertIn("frame-ancestors 'none'", r.header('Content-Security-Policy'))
        with open(os.path.join(TOP, 'web', 'static', 'index.html'), 'rb') as f:
            self.assertEqual(r.body, f.read())
        for name, ctype in (('app.js', 'text/javascript; charset=utf-8'), ('style.css', 'text/css; charset=utf-8')):
            r = self.ok('GET', f'/static/{name}', token=None, prefix='')
            self.assertEqual(r.header('Content-Type'), ctype)
        for path in ('/static/', '/static/../web.c', '/static/%2e%2e/web.c', '/static/..%2fweb.c',
                     '/static/.hidden', '/static//etc/passwd', '/static/a/../../web.h', '/static/nope.js',
                     '/static/app.js/', '/static/%00', '/index.html', '/static', '/static/app.js%00.png'):
            self.refused('GET', path, 404, token=None, prefix='')
        self.refused('DELETE', '/static/app.js', 405, token=None, prefix='')


def main():
    try:
        return run()
    finally:
        if not os.environ.get('FULCRUM_API_KEEP'):
            shutil.rmtree(WORK, ignore_errors=True)


def run():
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for cls in (Api, Vips, ConfigFile, Cluster, ClusterEvents, ReplicationEvents, WritesOnTheStandby, Hostile, Settings, Durability,
                GroupCommit, ConcurrentDurability, CommitModes, Metrics):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    t0 = time.time()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    if failed:
        for name in ('api', 'vips', 'config', 'config-copy', 'ha-a', 'ha-b', 'ha-solo', 'ev-a', 'ev-b', 'hostile', 'durable', 'group',
                     'durable-group', 'repl-solo', 'repl-sync', 'repl-async', 'metrics'):
            log = os.path.join(WORK, f'{name}.log')
            if os.path.exists(log):
                print(f'--- {log} (last lines)')
                with open(log, errors='replace') as f:
                    print(''.join(f.readlines()[-30:]))
    if os.environ.get('FULCRUM_API_KEEP'):
        print(f'kept {WORK}')
    print(f'{len(result.skipped)} skipped, {time.time() - t0:.0f} s')
    print(f'api: {passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
