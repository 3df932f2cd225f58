"""VIPs over the HTTP API: create, read, change, delete; errors naming the field; roles; the change log and
the event stream. Run by test_api.py."""
import time
import unittest

from fulcrum import API, WORK, Fulcrumd, Stream

NO_ENGINE = 'fulcrumd adds no VIP'  # the harness runs it standalone with ha_standalone_vips = no


class Vips(unittest.TestCase):
    """A daemon of its own, with a token of each role."""

    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Fulcrumd(WORK, 'vips')
        for role in ('viewer', 'operator', 'admin'):
            cls.d.token(role, role)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, f'fulcrumd exited {rc}:\n{cls.d.log_text()[-3000:]}'

    def setUp(self):
        self.assertTrue(self.d.alive(), 'fulcrumd died:\n' + self.d.log_text()[-3000:])

    def ok(self, method, path, body=None, status=200, token='admin', **kw):
        r = self.d.call(method, path, body, token=token, **kw)
        self.assertEqual(r.status, status, f'{method} {path}: {r}')
        self.assertIsNotNone(r.revision, 'no ETag')
        return r

    def refused(self, method, path, status, body=None, field=None, message=None, token='admin', **kw):
        """Refused with status and the error form naming field; nothing changes, VIPs included."""
        before = self.d.snapshot()
        r = self.d.call(method, path, body, token=token, **kw)
        self.assertEqual(r.status, status, f'{method} {path} {body}: {r}')
        err = r.json['error']
        self.assertEqual(set(err), {'code', 'message', 'field'})
        if field is not None:
            self.assertEqual(err['field'], field, r)
        if message is not None:
            self.assertIn(message, err['message'])
        self.assertEqual(self.d.snapshot(), before, f'{method} {path} changed something')
        return r

    def new_vip(self, address, **fields):
        body = {'address': address, 'interface': 'eth0'}
        body.update(fields)
        return self.ok('POST', '/vips', body, 201)

    def test_vip_create_read_patch_delete(self):
        r = self.new_vip('192.0.2.50', prefix=24, description='masq gateway')
        v = r.json
        self.assertEqual(r.header('Location'), f'{API}/vips/{v["id"]}')
        self.assertEqual({k: v[k] for k in ('address', 'prefix', 'interface', 'description')},
                         {'address': '192.0.2.50', 'prefix': 24, 'interface': 'eth0', 'description': 'masq gateway'})
        self.assertEqual(v['status']['held'], False)
        self.assertIn(NO_ENGINE, v['status']['reason'])
        rev = r.revision
        self.assertEqual(self.ok('GET', f'/vips/{v["id"]}', token='viewer').json, v)
        lst = self.ok('GET', '/vips', token='viewer')
        self.assertEqual(lst.json['revision'], rev)
        self.assertIn(v, lst.json['vips'])
        self.assertEqual([x['id'] for x in lst.json['vips']], sorted(x['id'] for x in lst.json['vips']))
        p = self.ok('PATCH', f'/vips/{v["id"]}', {'interface': 'bond0.100'})
        self.assertEqual(p.revision, rev + 1)
        self.assertEqual((p.json['interface'], p.json['prefix']), ('bond0.100', 24))
        same = self.ok('PATCH', f'/vips/{v["id"]}', {'interface': 'bond0.100'})
        self.assertEqual(same.revision, rev + 1, 'a PATCH that changes nothing makes no revision')
        self.assertEqual(self.ok('PATCH', f'/vips/{v["id"]}', p.json).revision, rev + 1,
                         'the whole body of a GET sent back (id, status) changes nothing')
        d = self.ok('DELETE', f'/vips/{v["id"]}', status=204)
        self.assertEqual(d.body, b'')
        self.assertEqual(d.revision, rev + 2)
        self.refused('GET', f'/vips/{v["id"]}', 404, message='does not exist')
        self.refused('DELETE', f'/vips/{v["id"]}', 404)
        self.refused('PATCH', f'/vips/{v["id"]}', 404, {'prefix': 8})

    def test_vip_prefix_is_the_whole_address_unless_given(self):
        v = self.new_vip('2001:db8::50').json
        self.assertEqual((v['address'], v['prefix']), ('2001:db8::50', 128))
        p = self.ok('PATCH', f'/vips/{v["id"]}', {'address': '192.0.2.51'}).json
        self.assertEqual(p['prefix'], 32, 'a whole-address prefix follows the family')
        p = self.ok('PATCH', f'/vips/{v["id"]}', {'address': '2001:0DB8:0::51', 'prefix': 64}).json
        self.assertEqual((p['address'], p['prefix']), ('2001:db8::51', 64), 'canonical form, prefix as given')
        self.ok('DELETE', f'/vips/{v["id"]}', status=204)

    def test_vip_errors_name_the_field(self):
        gw = self.new_vip('192.0.2.60').json
        other = self.new_vip('192.0.2.61', interface='eth1').json
        self.refused('POST', '/vips', 422, {'interface': 'eth0'}, 'address', 'VIP address: required')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62'}, 'interface', 'VIP interface: required')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62', 'interface': 'eth0', 'prefix': 33},
                     'prefix', 'VIP prefix: 33 is outside 1..32 for IPv4')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62', 'interface': 'eth0', 'prefix': '24'},
                     'prefix', 'expected an integer')
        self.refused('POST', '/vips', 422, {'address': '127.0.0.1', 'interface': 'lo'}, 'address', 'loopback')
        self.refused('POST', '/vips', 422, {'address': 'ff02::1', 'interface': 'eth0'}, 'address', 'multicast')
        self.refused('POST', '/vips', 422, {'address': '0.0.0.0', 'interface': 'eth0'}, 'address', 'unspecified')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62/24', 'interface': 'eth0'}, 'address')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62', 'interface': 'eth 0'}, 'interface',
                     "may hold only letters")
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62', 'interface': 'a-very-long-name0'},
                     'interface', 'longer than 15')
        self.refused('POST', '/vips', 422, {'address': '192.0.2.62', 'interface': 'eth0', 'weight': 1},
                     'weight', "unknown field 'weight'")
        self.refused('POST', '/vips', 409, {'address': '192.0.2.60', 'interface': 'eth2'}, 'address',
                     f'VIP address: 192.0.2.60 is already VIP {gw["id"]} (on eth0)')
        self.refused('PATCH', f'/vips/{other["id"]}', 409, {'address': '192.0.2.60'}, 'address')
        self.refused('PATCH', f'/vips/{other["id"]}', 422, {'id': other['id'] + 1}, 'id', 'read-only')
        self.refused('PATCH', f'/vips/{other["id"]}', 422, {'address': None}, 'address')
        self.refused('PATCH', f'/vips/{other["id"]}', 422, {'prefix': 0}, 'prefix')
        self.refused('POST', '/vips', 400, raw=b'{"address": ', field=None)
        for v in (gw, other):
            self.ok('DELETE', f'/vips/{v["id"]}', status=204)

    def test_vip_roles(self):
        v = self.new_vip('192.0.2.70').json
        self.ok('GET', '/vips', token='viewer')
        self.ok('GET', f'/vips/{v["id"]}', token='operator')
        for token in ('viewer', 'operator'):
            self.refused('POST', '/vips', 403, {'address': '192.0.2.71', 'interface': 'eth0'}, token=token)
            self.refused('PATCH', f'/vips/{v["id"]}', 403, {'prefix': 24}, token=token)
            self.refused('DELETE', f'/vips/{v["id"]}', 403, token=token)
        self.refused('GET', '/vips', 401, token='ful_nosuchtoken')
        self.refused('PUT', f'/vips/{v["id"]}', 405, {'prefix': 24})
        self.ok('DELETE', f'/vips/{v["id"]}', status=204)

    def test_vip_if_match(self):
        r = self.new_vip('192.0.2.80')
        vid = r.json['id']
        self.refused('PATCH', f'/vips/{vid}', 412, {'prefix': 24}, headers={'If-Match': f'"{r.revision - 1}"'})
        self.refused('DELETE', f'/vips/{vid}', 412, headers={'If-Match': f'"{r.revision - 1}"'})
        self.refused('POST', '/vips', 412, {'address': '192.0.2.81', 'interface': 'eth0'},
                     headers={'If-Match': f'"{r.revision - 1}"'})
        p = self.ok('PATCH', f'/vips/{vid}', {'prefix': 24}, headers={'If-Match': f'"{r.revision}"'})
        self.ok('DELETE', f'/vips/{vid}', status=204, headers={'If-Match': f'"{p.revision}"'})

    def test_vip_ids_are_never_reused(self):
        a = self.new_vip('192.0.2.90').json['id']
        self.ok('DELETE', f'/vips/{a}', status=204)
        b = self.new_vip('192.0.2.90').json['id']
        self.assertGreater(b, a)
        self.refused('GET', f'/vips/{a}', 404)
        self.ok('DELETE', f'/vips/{b}', status=204)

    def test_vip_change_log_and_event_stream(self):
        s = Stream(self.d, 'viewer')
        try:
            self.assertEqual(s.status, 200)
            r = self.new_vip('192.0.2.100')
            vid = r.json['id']
            t0 = time.time()
            ev = s.event(2)
            self.assertLess(time.time() - t0, 2)
            self.assertEqual((ev['event'], ev['id']), ('change', str(r.revision)))
            self.assertEqual(len(ev['data']), 1)
            c = ev['data'][0]
            self.assertEqual((c['object_type'], c['object_id'], c['actor'], c['origin']),
                             ('vip', vid, 'admin', 'http'))
            self.assertIsNone(c['before'])
            self.assertEqual(c['after']['address'], '192.0.2.100')
            p = self.ok('PATCH', f'/vips/{vid}', {'prefix': 25})
            ev = s.event(2)
            self.assertEqual(ev['id'], str(p.revision))
            self.assertEqual((ev['data'][0]['before']['prefix'], ev['data'][0]['after']['prefix']), (32, 25))
            d = self.ok('DELETE', f'/vips/{vid}', status=204)
            ev = s.event(2)
            self.assertEqual((ev['id'], ev['data'][0]['object_type']), (str(d.revision), 'vip'))
            self.assertIsNone(ev['data'][0]['after'])
        finally:
            s.close()
        ch = self.ok('GET', f'/changes?since={r.revision - 1}', token='viewer').json['changes']
        self.assertEqual([(c['object_type'], c['object_id']) for c in ch], [('vip', vid)] * 3)
        self.assertEqual([c['revision'] for c in ch], [r.revision, p.revision, d.revision])

    def test_vip_next_to_services(self):
        """A service on a VIP's address is fine; a VIP's change leaves the services as they were."""
        v = self.new_vip('192.0.2.110').json
        s = self.ok('POST', '/services', {'name': 'onvip', 'address': '192.0.2.110', 'port': 80,
                                          'protocol': 'tcp'}, 201).json
        before = self.ok('GET', '/services').json['services']
        self.ok('PATCH', f'/vips/{v["id"]}', {'description': 'front'})
        self.assertEqual(self.ok('GET', '/services').json['services'], before)
        self.ok('DELETE', f'/services/{s["id"]}', status=204)
        self.ok('DELETE', f'/vips/{v["id"]}', status=204)
