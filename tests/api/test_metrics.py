"""GET /metrics against a real fulcrumd: promtool's check, the API's values, access, and a real Prometheus scraping it."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from fulcrum import FULCRUMCTL, SERVICE, WORK, Fulcrumd, free_port

PROMTOOL = shutil.which('promtool')
PROMETHEUS = shutil.which('prometheus')
WHY = 'install Debian\'s prometheus package (scripts/debian-packages.txt)'

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
KERNEL_STATES = ('pending', 'in_sync', 'error', 'unavailable')
OPER_STATES = ('unknown', 'up', 'degraded', 'down')
HEALTH_STATES = ('unknown', 'up', 'down')


def unescape(v):
    """A label value as the text format escapes it: backslash, double quote, newline."""
    out, i = [], 0
    while i < len(v):
        if v[i] == '\\':
            out.append({'\\': '\\', '"': '"', 'n': '\n'}[v[i + 1]])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return ''.join(out)


def parse(text):
    """The samples of an exposition: {(name, frozenset of (label, value)): float}; asserts each line's form."""
    samples = {}
    for line in text.splitlines():
        if line.startswith('#') or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f'not a sample line: {line!r}'
        name, labels, value = m.groups()
        pairs = []
        rest = labels or ''
        while rest:
            lm = LABEL.match(rest)
            assert lm, f'bad labels in {line!r}'
            pairs.append((lm.group(1), unescape(lm.group(2))))
            rest = rest[lm.end():]
        key = (name, frozenset(pairs))
        assert key not in samples, f'sample twice: {line!r}'
        samples[key] = float(value)
    return samples


def value(samples, name, **labels):
    """The one sample of name whose labels include labels."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) == 1, f'{name}{labels}: {len(found)} samples'
    return found[0]


class Metrics(unittest.TestCase):
    """The shared daemon with a service of two real servers; metrics_allow names 127.0.0.2."""

    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Fulcrumd(WORK, 'metrics', {'metrics_allow': '127.0.0.2', 'node_name': 'lab"el\\x'})
        for role in ('viewer', 'admin'):
            cls.d.token(role, role)
        cls.d.start()
        r = cls.d.call('POST', '/services', dict(SERVICE, reals=[
            {'address': '10.0.0.1', 'port': 8080, 'weight': 5},
            {'address': '10.0.0.2', 'port': 8080, 'weight': 0, 'check': {'type': 'tcp'}},
        ]))
        assert r.status == 201, r
        cls.vs = r.json['id']
        cls.rs = [x['id'] for x in r.json['reals']]

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, f'fulcrumd exited {rc}:\n{cls.d.log_text()[-3000:]}'

    def setUp(self):
        self.assertTrue(self.d.alive(), 'fulcrumd died:\n' + self.d.log_text()[-3000:])

    def scrape(self, token='viewer', source=None):
        """GET /metrics (from source, an address of this host, when given); returns the Reply."""
        conn = None
        if source:
            conn = http.client.HTTPConnection(self.d.host, self.d.port, timeout=10, source_address=(source, 0))
        try:
            return self.d.call('GET', '/metrics', token=token, prefix='', conn=conn)
        finally:
            if conn:
                conn.close()

    def samples(self):
        r = self.scrape()
        self.assertEqual(r.status, 200, r)
        return parse(r.body.decode())

    def test_promtool_finds_nothing_wrong(self):
        self.assertTrue(PROMTOOL, f'promtool is not installed: {WHY}')
        r = self.scrape()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8')
        p = subprocess.run([PROMTOOL, 'check', 'metrics'], input=r.body, capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b'', b''), 'promtool check metrics')

    def test_values_agree_with_the_api(self):
        st = self.d.call('GET', '/status', token='viewer')
        before = {i: self.d.call('GET', f'/reals/{i}', token='viewer').json for i in self.rs}
        m = self.samples()
        self.assertEqual(value(m, 'fulcrum_config_revision'), st.json['revision'])
        self.assertEqual(value(m, 'fulcrum_services'), st.json['services'])
        self.assertEqual(value(m, 'fulcrum_real_servers'), st.json['reals'])
        self.assertEqual(value(m, 'fulcrum_ipvs_available'), int(st.json['ipvs']['available']))
        self.assertEqual(value(m, 'fulcrum_role', role='standalone'), 1)
        self.assertEqual(value(m, 'fulcrum_role', role='active'), 0)
        vs = self.d.call('GET', f'/services/{self.vs}', token='viewer').json
        svc = {'service_id': str(self.vs), 'service': 'web', 'protocol': 'tcp', 'address': '192.0.2.10:80'}
        stats = vs['status']['stats']
        self.assertEqual(value(m, 'fulcrum_service_kernel_present', **svc), int(stats is not None))
        for field, name in (('conns', 'connections_total'), ('inbytes', 'in_bytes_total'),
                            ('outpkts', 'out_packets_total'), ('cps', 'connections_per_second'),
                            ('outbps', 'out_bytes_per_second')):
            self.assertEqual(value(m, f'fulcrum_service_{name}', **svc), stats[field] if stats else 0, name)
        self.assertEqual(value(m, 'fulcrum_service_kernel_state', **svc),
                         KERNEL_STATES.index(vs['status']['kernel_state']))
        self.assertEqual(value(m, 'fulcrum_service_oper_state', **svc), OPER_STATES.index(vs['status']['oper_state']))
        self.assertEqual(value(m, 'fulcrum_service_real_servers', **svc), vs['reals_total'])
        for rs_id in self.rs:
            rs = self.d.call('GET', f'/reals/{rs_id}', token='viewer').json
            if rs['status']['health'] != before[rs_id]['status']['health']:
                continue  # its check answered between the two reads: the first test covers the other
            lab = {'service_id': str(self.vs), 'real_server_id': str(rs_id), 'address': f'{rs["address"]}:8080'}
            self.assertEqual(value(m, 'fulcrum_real_server_weight', **lab), rs['weight'])
            self.assertEqual(value(m, 'fulcrum_real_server_health_state', **lab),
                             HEALTH_STATES.index(rs['status']['health']['state']))
            self.assertEqual(value(m, 'fulcrum_real_server_kernel_state', **lab),
                             KERNEL_STATES.index(rs['status']['kernel_state']))
        # a change shows at the next scrape: the weight, and the revision
        r = self.d.call('PATCH', f'/reals/{self.rs[0]}', {'weight': 7})
        self.assertEqual(r.status, 200, r)
        m = self.samples()
        lab = {'real_server_id': str(self.rs[0])}
        self.assertEqual(value(m, 'fulcrum_real_server_weight', **lab), 7)
        self.assertEqual(value(m, 'fulcrum_config_revision'), r.revision)

    def test_label_values_are_escaped(self):
        # The model refuses a service name with a quote or a backslash, so no service can carry one;
        # the node name can (it is a setting), and is a label of fulcrum_build_info.
        r = self.d.call('POST', '/services', dict(SERVICE, name='we"b\\x', port=81))
        self.assertEqual(r.status, 422, r)
        text = self.scrape().body.decode()
        self.assertIn('node="lab\\"el\\\\x"', text)
        node = self.d.call('GET', '/status', token='viewer').json['node_name']
        self.assertEqual(node, 'lab"el\\x')
        self.assertEqual(value(parse(text), 'fulcrum_build_info', node=node), 1)

    def test_access(self):
        r = self.scrape(token=None)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.header('WWW-Authenticate'), 'Bearer realm="fulcrum"')
        self.assertEqual(self.scrape(token='not-a-token').status, 401)
        self.assertEqual(self.scrape(token='viewer').status, 200)
        self.assertEqual(self.scrape(token='admin').status, 200)
        # metrics_allow's address needs no token; it opens /metrics only
        r = self.scrape(token=None, source='127.0.0.2')
        self.assertEqual(r.status, 200, r)
        self.assertIn(b'fulcrum_config_revision ', r.body)
        conn = http.client.HTTPConnection(self.d.host, self.d.port, timeout=10, source_address=('127.0.0.2', 0))
        try:
            self.assertEqual(self.d.call('GET', '/status', token=None, conn=conn).status, 401)
        finally:
            conn.close()
        self.assertEqual(self.scrape(token=None, source='127.0.0.3').status, 401)
        for method in ('POST', 'DELETE', 'HEAD'):
            r = self.d.call(method, '/metrics', token='admin', prefix='')
            self.assertEqual(r.status, 405, f'{method}: {r}')
            self.assertEqual(r.header('Allow'), 'GET')

    def test_loop_histogram(self):
        a = self.d.call('GET', '/status', token='viewer').json['loop']
        self.assertEqual(set(a), {'turns', 'busy_ms', 'max_ms', 'buckets'})
        self.assertEqual([b['le_ms'] for b in a['buckets']], [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None])
        counts = [b['turns'] for b in a['buckets']]
        self.assertEqual(counts, sorted(counts), 'buckets are cumulative')
        self.assertEqual(counts[-1], a['turns'])
        self.assertGreater(a['turns'], 0)
        self.assertGreaterEqual(a['max_ms'], 0)
        self.assertLessEqual(a['max_ms'], a['busy_ms'])
        m1 = self.samples()
        time.sleep(0.3)  # the failover engine's tick turns the loop every 100 ms
        m2 = self.samples()
        b = self.d.call('GET', '/status', token='viewer').json['loop']
        self.assertGreater(b['turns'], a['turns'])
        c1, c2 = value(m1, 'fulcrum_loop_turn_seconds_count'), value(m2, 'fulcrum_loop_turn_seconds_count')
        self.assertGreater(c2, c1)
        self.assertGreaterEqual(c1, a['turns'])
        self.assertLessEqual(c2, b['turns'])
        self.assertEqual(value(m2, 'fulcrum_loop_turn_seconds_bucket', le='+Inf'), c2)
        self.assertGreaterEqual(value(m2, 'fulcrum_loop_turn_seconds_sum'), value(m1, 'fulcrum_loop_turn_seconds_sum'))
        # SIGUSR1 logs it: turns, their time, the longest, and how many took up to each bound
        self.d.proc.send_signal(signal.SIGUSR1)
        want = re.compile(r'status: loop: (\d+) turns, busy \d+ ms, the longest [\d.]+ ms; by length: <=1ms \d+, '
                          r'<=2ms \d+, .*<=1000ms \d+, more \d+$', re.M)
        deadline = time.time() + 5
        while time.time() < deadline and not want.search(self.d.log_text()):
            time.sleep(0.1)
        lines = want.findall(self.d.log_text())
        self.assertEqual(len(lines), 1, 'one line for one SIGUSR1 (none at the start)')
        self.assertGreaterEqual(int(lines[0]), b['turns'])

    def test_request_counters(self):
        def count(m, method, code):
            return value(m, 'fulcrum_http_requests_total', method=method, code=code)

        m1 = self.samples()
        for _ in range(3):
            self.assertEqual(self.d.call('GET', '/status', token='viewer').status, 200)
        self.assertEqual(self.d.call('GET', '/services/999999', token='viewer').status, 404)
        self.assertEqual(self.d.call('DELETE', '/services/999999').status, 404)
        self.assertEqual(self.d.call('OPTIONS', '/status').status, 405)
        m2 = self.samples()
        self.assertEqual(count(m2, 'GET', '2xx') - count(m1, 'GET', '2xx'), 4)  # and the first scrape
        self.assertEqual(count(m2, 'GET', '4xx') - count(m1, 'GET', '4xx'), 1)
        self.assertEqual(count(m2, 'DELETE', '4xx') - count(m1, 'DELETE', '4xx'), 1)
        self.assertEqual(count(m2, 'other', '4xx') - count(m1, 'other', '4xx'), 1)
        self.assertEqual(count(m2, 'POST', '2xx'), count(m1, 'POST', '2xx'))
        names = {n for n, _ in m2}
        # the subagent runs (the default agentx), with no master to ask it anything
        for t in ('get', 'getnext', 'set'):
            self.assertEqual(value(m2, 'fulcrum_snmp_requests_total', type=t), 0)
        self.assertEqual(value(m2, 'fulcrum_snmp_set_refusals_total'), 0)
        self.assertFalse({n for n in names if n.startswith('fulcrum_ha_')}, 'standalone: no heartbeat figures')
        for n in ('process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_virtual_memory_bytes',
                  'process_start_time_seconds', 'process_open_fds', 'process_max_fds'):
            self.assertIn(n, names)
        self.assertAlmostEqual(value(m2, 'process_start_time_seconds'),
                               time.time() - self.d.call('GET', '/status', token='viewer').json['uptime_seconds'],
                               delta=3)

    def test_scrapes_at_once_are_bounded(self):
        # each answer being written holds a snapshot: a fifth at once is refused, not held in memory too
        d = Fulcrumd(WORK, 'metrics-big', {'http_timeout': '60'})  # stalled answers stay open
        d.token('viewer', 'viewer')
        doc = os.path.join(WORK, 'metrics-big.json')
        with open(doc, 'w') as f:
            json.dump({'services': [{'name': f's{i}', 'address': f'172.16.{i >> 8}.{i & 255}', 'port': 80,
                                     'protocol': 'tcp', 'reals': [{'address': f'10.{i >> 8}.{i & 255}.{j + 1}',
                                                                   'port': 80} for j in range(10)]}
                                    for i in range(1500)]}, f)
        subprocess.run([FULCRUMCTL, '--db', d.db, 'apply', doc], check=True, capture_output=True)
        d.start()
        stalled = []
        try:
            for _ in range(4):  # clients that ask and do not read: their answers cannot end
                c = socket.socket()
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                c.connect((d.host, d.port))
                c.sendall(f'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {d.tokens["viewer"]}'
                          '\r\n\r\n'.encode())
                stalled.append(c)
            for c in stalled:  # each answer has begun: its snapshot is held
                c.settimeout(60)
                self.assertTrue(c.recv(1, socket.MSG_PEEK))
            r = d.call('GET', '/metrics', token='viewer', prefix='')
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json['error']['code'], 'unavailable')
            self.assertIn('try again', r.json['error']['message'])
            self.assertEqual(d.call('GET', '/status', token='viewer').status, 200)  # the rest answers
        finally:
            for c in stalled:
                c.close()
        deadline, r = time.time() + 10, None
        while time.time() < deadline:
            r = d.call('GET', '/metrics', token='viewer', prefix='')
            if r.status == 200:
                break
            time.sleep(0.2)
        self.assertEqual(r.status, 200, 'the closed answers were not let go')
        self.assertEqual(d.stop(), 0)

    def test_a_real_prometheus_scrapes_it(self):
        self.assertTrue(PROMETHEUS, f'prometheus is not installed: {WHY}')
        work = tempfile.mkdtemp(prefix='prom-', dir=WORK)
        token = os.path.join(work, 'token')
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.d.tokens['viewer'].encode())
        os.close(fd)
        conf = os.path.join(work, 'prometheus.yml')
        with open(conf, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
                    'scrape_configs:\n  - job_name: fulcrum\n'
                    f'    authorization:\n      type: Bearer\n      credentials_file: {token}\n'
                    f'    static_configs:\n      - targets: ["127.0.0.1:{self.d.port}"]\n')
        port = free_port()
        log = open(os.path.join(work, 'prometheus.log'), 'w')
        p = subprocess.Popen([PROMETHEUS, f'--config.file={conf}', f'--storage.tsdb.path={work}/data',
                              f'--web.listen-address=127.0.0.1:{port}'], stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def query(q):
            url = f'http://127.0.0.1:{port}/api/v1/query?' + urllib.parse.urlencode({'query': q})
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.load(r)['data']['result']
            return float(res[0]['value'][1]) if res else None

        try:
            revision = self.d.call('GET', '/status', token='viewer').json['revision']
            up = seen = None
            deadline = time.time() + 60
            while time.time() < deadline and p.poll() is None:
                try:
                    up = query('up{job="fulcrum"}')
                    seen = query('fulcrum_config_revision{job="fulcrum"}')
                except (OSError, ValueError, KeyError):
                    pass  # not listening yet
                if up == 1 and seen == revision:
                    break
                time.sleep(0.5)
            with open(os.path.join(work, 'prometheus.log'), errors='replace') as f:
                tail = f.read()[-2000:]
            self.assertEqual(up, 1, f'prometheus: up is {up}\n{tail}')
            self.assertEqual(seen, revision, tail)
            # the loop's histogram is a histogram to Prometheus too
            self.assertIsNotNone(query('histogram_quantile(0.99, fulcrum_loop_turn_seconds_bucket{job="fulcrum"})'))
        finally:
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
