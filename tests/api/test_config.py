"""The configuration as a file over the HTTP API and fulcrumctl: GET and PUT /api/v1/config, export, apply.
Run by test_api.py."""
import os
import sqlite3
import subprocess
import unittest

from fulcrum import FULCRUMCTL, TOP, WORK, Fulcrumd

XSD = os.path.join(TOP, 'schema', 'fulcrum-config.xsd')
NS = 'urn:fulcrum:config:1'

BASE = f'''<?xml version="1.0" encoding="UTF-8"?>
<fulcrum xmlns="{NS}">
  <service name="web" address="192.0.2.80" port="80" protocol="tcp" scheduler="wrr">
    <check type="http" path="/health" expect="OK"/>
    <real address="10.1.0.1" port="80" weight="5"/>
    <real address="10.1.0.2" port="80"/>
  </service>
  <service name="dns" address="192.0.2.53" port="53" protocol="udp">
    <real address="10.1.1.1" port="53"/>
  </service>
  <vip address="192.0.2.80" prefix="24" interface="eth0"/>
</fulcrum>
'''


def change_log(db):
    """Every change-log row: (revision, actor, origin, object_type)."""
    c = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    try:
        return c.execute('SELECT revision, actor, origin, object_type FROM change_log ORDER BY seq').fetchall()
    finally:
        c.close()


class ConfigFile(unittest.TestCase):
    """A daemon of its own, with a token of each role; each test starts from BASE applied."""

    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Fulcrumd(WORK, 'config')
        for role in ('viewer', 'operator', 'admin'):
            cls.d.token(role, role)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, f'fulcrumd exited {rc}:\n{cls.d.log_text()[-3000:]}'

    def setUp(self):
        self.assertTrue(self.d.alive(), 'fulcrumd died:\n' + self.d.log_text()[-3000:])
        r = self.put(BASE.encode(), prune=True)
        self.assertEqual(r.status, 200, r)

    def put(self, data, ctype='application/xml', dry_run=False, prune=False, token='admin', headers=None):
        q = f'?dry_run={"true" if dry_run else "false"}&prune={"true" if prune else "false"}'
        return self.d.call('PUT', '/config' + q, raw=data, ctype=ctype, token=token, headers=headers)

    def export(self, accept='application/xml', token='viewer'):
        r = self.d.call('GET', '/config', token=token, headers={'Accept': accept})
        self.assertEqual(r.status, 200, r)
        return r

    def test_export_is_one_revision_and_schema_valid(self):
        r = self.export()
        self.assertEqual(r.header('Content-Type'), 'application/xml')
        self.assertIn(f'revision="{r.revision}"'.encode(), r.body)
        path = os.path.join(WORK, 'export.xml')
        with open(path, 'wb') as f:
            f.write(r.body)
        out = subprocess.run(['xmllint', '--noout', '--schema', XSD, path], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        j = self.export('application/json')
        self.assertEqual(j.header('Content-Type'), 'application/json')
        self.assertEqual(j.json['revision'], j.revision)
        self.assertEqual([s['name'] for s in j.json['services']], ['web', 'dns'])
        self.assertEqual([x['weight'] for x in j.json['services'][0]['reals']], [5, 1])
        self.assertEqual(j.json['vips'][0]['address'], '192.0.2.80')

    def test_dry_run_shows_the_difference_and_writes_nothing(self):
        before = self.d.snapshot()
        edited = BASE.replace('weight="5"', 'weight="9"').replace('scheduler="wrr"', 'scheduler="rr"')
        r = self.put(edited.encode(), dry_run=True)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json['dry_run'])
        self.assertEqual((r.json['created'], r.json['updated'], r.json['deleted']), (0, 2, 0))
        fields = {c['key']: c['fields'] for c in r.json['changes']}
        self.assertEqual(fields['web'], {'scheduler': ['wrr', 'rr']})
        self.assertEqual(fields['web/10.1.0.1:80'], {'weight': [5, 9]})
        self.assertEqual(self.d.snapshot(), before)

    def test_apply_is_one_revision_of_origin_import(self):
        before = self.d.snapshot()
        edited = BASE.replace('weight="5"', 'weight="9"').replace(
            '<service name="dns"', '<service name="api" address="192.0.2.81" port="443" protocol="tcp">'
            '<real address="10.1.2.1" port="443"/></service>\n  <service name="dns"')
        r = self.put(edited.encode())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.revision, before.revision + 1)
        self.assertEqual(r.json['revision'], before.revision + 1)
        self.assertEqual((r.json['created'], r.json['updated']), (2, 1))
        rows = [x for x in change_log(self.d.db) if x[0] == r.revision]
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(x[1] == 'admin' and x[2] == 'import' for x in rows), rows)
        # the same file again: nothing changes, not even the revision
        again = self.put(edited.encode())
        self.assertEqual(again.status, 200, again)
        self.assertEqual((again.json['created'], again.json['updated'], again.json['deleted']), (0, 0, 0))
        self.assertEqual(again.revision, r.revision)
        self.assertIn('applied a configuration file: 2 created, 1 changed', self.d.log_text())

    def test_prune_deletes_what_the_file_lacks(self):
        only_web = BASE.split('  <service name="dns"')[0] + '</fulcrum>\n'
        r = self.put(only_web.encode())
        self.assertEqual(r.json['deleted'], 0)  # without prune, the rest stays
        r = self.put(only_web.encode(), prune=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(c['key'] for c in r.json['changes'] if c['op'] == 'delete'),
                         ['192.0.2.80', 'dns'])
        self.assertEqual([s['name'] for s in self.export('application/json').json['services']], ['web'])

    def test_a_refused_file_changes_nothing_and_names_every_error(self):
        before = self.d.snapshot()
        bad = BASE.replace('weight="5"', 'weight="70000"').replace('port="53"', 'port="53" colour="blue"', 1)
        r = self.put(bad.encode())
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json['error']['code'], 'invalid')
        errors = r.json['errors']
        self.assertIn('line 5: real server weight: 70000 is outside 0..65535', errors)
        self.assertIn("line 8: <service> has no attribute 'colour'", errors)
        self.assertEqual(self.d.snapshot(), before)
        # a conflict with what is stored: 409, the same nothing written
        clash = BASE.replace('name="dns"', 'name="dns2"')
        r = self.put(clash.encode())
        self.assertEqual(r.status, 409, r)
        self.assertIn('dns2', r.json['errors'][0])
        self.assertEqual(self.d.snapshot(), before)

    def test_hostile_bodies(self):
        before = self.d.snapshot()
        xxe = ('<?xml version="1.0"?><!DOCTYPE fulcrum [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               f'<fulcrum xmlns="{NS}"><service name="&x;"/></fulcrum>')
        r = self.put(xxe.encode())
        self.assertEqual(r.status, 422, r)
        self.assertIn('DOCTYPE is refused', r.json['errors'][0])
        r = self.put(b'just text', ctype='text/plain')
        self.assertEqual(r.status, 415, r)
        # a body announced larger than any configuration: refused before it is read
        c = self.d.connect()
        try:
            c.putrequest('PUT', '/api/v1/config')
            c.putheader('Authorization', 'Bearer ' + self.d.tokens['admin'])
            c.putheader('Content-Type', 'application/xml')
            c.putheader('Content-Length', str(100 << 20))
            c.endheaders()
            resp = c.getresponse()
            self.assertEqual(resp.status, 413)
            resp.read()
        finally:
            c.close()
        self.assertEqual(self.d.snapshot(), before)

    def test_roles_and_if_match(self):
        r = self.put(BASE.encode(), token='operator')
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.d.call('GET', '/config', token='viewer').status, 200)
        cur = self.export().revision
        r = self.put(BASE.replace('weight="5"', 'weight="6"').encode(), headers={'If-Match': f'"{cur - 1}"'})
        self.assertEqual(r.status, 412, r)
        r = self.put(BASE.replace('weight="5"', 'weight="6"').encode(), headers={'If-Match': f'"{cur}"'})
        self.assertEqual(r.status, 200, r)

    def test_export_applied_on_an_empty_director_is_the_same_file(self):
        text = self.export().body
        other = Fulcrumd(WORK, 'config-copy')
        other.token('admin', 'admin')
        other.start()
        try:
            path = os.path.join(WORK, 'copy.xml')
            with open(path, 'wb') as f:
                f.write(text)
            out = subprocess.run([FULCRUMCTL, '--url', f'http://127.0.0.1:{other.port}', '--token',
                                  other.tokens['admin'], 'apply', path], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn('+ service web (id ', out.stdout)
            self.assertIn('6 created, 0 changed, 0 deleted', out.stdout)
            got = subprocess.run([FULCRUMCTL, '--url', f'http://127.0.0.1:{other.port}', '--token',
                                  other.tokens['admin'], 'export'], capture_output=True, check=True).stdout
            # the same document but for the revision, which is each director's own history
            strip = [line for line in text.split(b'\n') if b'<fulcrum ' not in line]
            self.assertEqual([line for line in got.split(b'\n') if b'<fulcrum ' not in line], strip)
            self.assertIn(b'revision="1"', got)
        finally:
            other.stop()

    def test_fulcrumctl_both_ways_say_the_same(self):
        url = ['--url', f'http://127.0.0.1:{self.d.port}', '--token', self.d.tokens['admin']]
        edited = BASE.replace('weight="5"', 'weight="4"')
        path = os.path.join(WORK, 'edited.xml')
        with open(path, 'w') as f:
            f.write(edited)
        http = subprocess.run([FULCRUMCTL] + url + ['apply', '--dry-run', path], capture_output=True, text=True)
        self.assertEqual(http.returncode, 0, http.stderr)
        self.assertIn('~ real web/10.1.0.1:80 (id ', http.stdout)
        self.assertIn(': weight 5 -> 4', http.stdout)
        self.assertIn('(dry run: nothing written)', http.stdout)
        # the same on a copy of the database, through the local transport
        copy = os.path.join(WORK, 'config-local.db')
        src, dst = sqlite3.connect(self.d.db), sqlite3.connect(copy)
        src.backup(dst)  # the daemon's WAL too
        src.close()
        dst.close()
        local = subprocess.run([FULCRUMCTL, '--db', copy, 'apply', '--dry-run', path], capture_output=True,
                               text=True)
        self.assertEqual(local.returncode, 0, local.stderr)
        self.assertEqual(local.stdout, http.stdout)
        bad = subprocess.run([FULCRUMCTL] + url + ['apply', '-'], input=edited.replace('weight="4"', 'weight="x"'),
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1, bad)
        self.assertIn("line 5: real server weight: 'x' is not a number", bad.stderr)
        self.assertIn('nothing was changed', bad.stderr)
        j = subprocess.run([FULCRUMCTL] + url + ['export', '--format', 'json'], capture_output=True, check=True)
        self.assertEqual(j.stdout, self.export('application/json').body)

    def test_import_from_ldirectord(self):
        """Debian's example imports, says what it changed, and applies as one revision."""
        example = '/usr/share/doc/ldirectord/examples/ldirectord.cf'
        self.assertTrue(os.path.exists(example), 'scripts/install-deps installs ldirectord for its example')
        url = ['--url', f'http://127.0.0.1:{self.d.port}', '--token', self.d.tokens['admin']]
        review = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'ldirectord', example],
                                capture_output=True, text=True)
        self.assertEqual(review.returncode, 0, review.stderr)
        self.assertIn('<service name="tcp-192.168.6.240-80"', review.stdout)
        self.assertIn(f'{example}:12: \'checktimeout=3\'', review.stderr)
        before = self.export().revision
        done = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'ldirectord', example, '--apply'],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('4 created, 0 changed, 0 deleted', done.stdout)
        after = self.export('application/json')
        self.assertEqual(after.revision, before + 1)
        web = [s for s in after.json['services'] if s['name'] == 'tcp-192.168.6.240-80'][0]
        self.assertEqual([r['address'] for r in web['reals']], ['192.168.6.2', '192.168.6.3', '192.168.6.6'])
        self.assertEqual(web['check']['expect'], 'Test Page')
        # a directive ldirectord does not know: refused with its line, unless --lenient
        path = os.path.join(WORK, 'typo.cf')
        with open(path, 'w') as f:
            f.write('virtual=192.0.2.99:80\n\treal=10.9.0.1:80 gate\n\tschedular=rr\n')
        bad = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'ldirectord', path],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1, bad)
        self.assertIn(f'{path}:3:', bad.stderr)
        self.assertIn('schedular', bad.stderr)
        ok = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'ldirectord', '--lenient', path],
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn('note: ' + path + ':3:', ok.stderr)

    def test_import_from_kernel_without_ipvs_says_why(self):
        """This host's kernel has no IPVS (the rig's scenario 18 takes a real table over): said, exit 3."""
        url = ['--url', f'http://127.0.0.1:{self.d.port}', '--token', self.d.tokens['admin']]
        if os.path.exists('/proc/net/ip_vs'):
            self.skipTest('this kernel has IPVS: tests/vm/scenarios/18-config-import.sh covers it')
        r = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'kernel'], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3, r)
        self.assertIn('kernel: no IPVS here', r.stderr)
        p = subprocess.run([FULCRUMCTL] + url + ['import', '--from', 'kernel', '--apply', '--prune'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p)
        self.assertIn('--prune with --from kernel would delete', p.stderr)
