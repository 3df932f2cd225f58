"""A real fulcrumd on loopback for the API tests: start, stop, tokens, requests, snapshots."""
import atexit
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

TOP = os.environ.get('FULCRUM_TOP') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FULCRUMD = os.path.join(TOP, 'fulcrumd')
FULCRUMCTL = os.path.join(TOP, 'fulcrumctl')
API = '/api/v1'
WORK = tempfile.mkdtemp(prefix='fulcrum-api-')  # every daemon's files; run.sh's runner removes it
SERVICE = {'name': 'web', 'address': '192.0.2.10', 'port': 80, 'protocol': 'tcp', 'scheduler': 'wrr'}


_started = []  # every fulcrumd started, killed at exit whatever happened


@atexit.register
def _kill_leftovers():
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    """A loopback port the kernel had free a moment ago."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Reply:
    """One answer: status, headers (case-insensitive lookups via get), raw body, parsed JSON."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def revision(self):
        etag = self.header('ETag')
        return int(etag.strip('"')) if etag else None

    def __repr__(self):
        return f'<{self.status} {self.body[:300]!r}>'


class Snapshot:
    """Everything a refused request must leave as it was."""

    def __init__(self, revision, services, reals, changes, vips):
        self.revision = revision
        self.services = services
        self.reals = reals
        self.changes = changes
        self.vips = vips

    def __eq__(self, other):
        return (self.revision, self.services, self.reals, self.changes, self.vips) == \
            (other.revision, other.services, other.reals, other.changes, other.vips)

    def __repr__(self):
        return f'<revision {self.revision}, {len(self.services)} services, {self.changes} change rows>'


class Fulcrumd:
    """One fulcrumd on a scratch database in work, serving HTTP on 127.0.0.1:port."""

    def __init__(self, work, name, conf=None, listen_host='127.0.0.1'):
        self.work = work
        self.name = name
        self.db = os.path.join(work, f'{name}.db')
        self.conf = os.path.join(work, f'{name}.conf')
        self.log = os.path.join(work, f'{name}.log')
        self.host = listen_host
        self.port = None
        self.proc = None
        self.tokens = {}
        # The API is tested here, not the kernel: a standalone fulcrumd would add the VIPs the tests
        # configure to this host's interfaces (the rig's scenarios test that, in namespaces).
        settings = {'db': self.db, 'web_root': os.path.join(TOP, 'web', 'static'), 'http_timeout': '2',
                    'ha_standalone_vips': 'no'}
        settings.update(conf or {})
        with open(self.conf, 'w') as f:
            for k, v in settings.items():
                f.write(f'{k} = {v}\n')

    def token(self, name, role):
        """Creates a token with fulcrumctl (as an admin on the director would) and keeps it by name."""
        out = subprocess.run([FULCRUMCTL, '--db', self.db, 'token', 'create', name, '--role', role],
                             capture_output=True, text=True, check=True)
        self.tokens[name] = out.stdout.strip()
        return self.tokens[name]

    def start(self, args=None):
        for _ in range(5):
            self.port = free_port()
            listen = f'[{self.host}]:{self.port}' if ':' in self.host else f'{self.host}:{self.port}'
            logf = open(self.log, 'a')
            wrap = os.environ.get('FULCRUMD_WRAPPER', '').split()  # e.g. valgrind
            self.proc = subprocess.Popen(wrap + [FULCRUMD, '--foreground', '-c', self.conf, '--http', listen,
                                          '--log-level', 'info'] + (args or []),
                                         stdout=logf, stderr=subprocess.STDOUT)
            _started.append(self.proc)
            logf.close()
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if self.call('GET', '/openapi.json', token=None).status == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if 'Address already in use' not in self.log_text():
                break
        raise RuntimeError(f'fulcrumd did not start:\n{self.log_text()[-2000:]}')

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def connect(self, timeout=5):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def call(self, method, path, body=None, token='admin', headers=None, raw=None, conn=None,
             ctype='application/json', prefix=API):
        """One request: body is JSON-encoded unless raw bytes are given. Returns a Reply."""
        h = {}
        if token is not None:
            h['Authorization'] = 'Bearer ' + self.tokens.get(token, token)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and ctype:
            h['Content-Type'] = ctype
        h.update(headers or {})
        own = conn is None
        c = conn or self.connect()
        try:
            c.request(method, prefix + path, body=data, headers=h)
            r = c.getresponse()
            return Reply(r.status, r.getheaders(), r.read())
        finally:
            if own:
                c.close()

    def raw_write(self, method, path, body=None, token='admin'):
        """Opens a socket and sends a whole request with a JSON body on it, as bytes; returns the socket."""
        data = json.dumps(body).encode() if body is not None else b''
        s = socket.create_connection((self.host, self.port), timeout=5)
        s.sendall(f'{method} {API}{path} HTTP/1.1\r\nHost: x\r\n'
                  f'Authorization: Bearer {self.tokens.get(token, token)}\r\n'
                  f'Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n'.encode() + data)
        return s

    def half_closed(self, method, path, body=None, token='admin'):
        """A whole request, then shutdown(SHUT_WR) as some clients and proxies do; the Reply read within
        5 s, or None when the connection closed unanswered."""
        s = self.raw_write(method, path, body, token)
        try:
            s.shutdown(socket.SHUT_WR)
            resp = http.client.HTTPResponse(s)
            try:
                resp.begin()
            except (http.client.RemoteDisconnected, ConnectionResetError):
                return None
            return Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            s.close()

    def snapshot(self):
        """The revision, every object (VIPs too) as the API shows it, and the change log's length on disk."""
        r = self.call('GET', '/services')
        assert r.status == 200, r
        reals = {}
        for s in r.json['services']:
            rr = self.call('GET', f'/services/{s["id"]}/reals')
            assert rr.status == 200, rr
            reals[s['id']] = rr.json['reals']
        db = sqlite3.connect(f'file:{self.db}?mode=ro', uri=True)
        try:
            rows = db.execute('SELECT COUNT(*) FROM change_log').fetchone()[0]
            rev = db.execute('SELECT revision FROM meta').fetchone()[0]
        finally:
            db.close()
        assert rev == r.revision, (rev, r.revision)
        v = self.call('GET', '/vips')
        assert v.status == 200 and v.revision == r.revision, v
        return Snapshot(r.revision, r.json['services'], reals, rows, v.json['vips'])


class Stream:
    """GET /api/v1/events, read block by block."""

    def __init__(self, d, token='viewer', last_id=None, timeout=5):
        self.conn = d.connect(timeout)
        h = {'Authorization': 'Bearer ' + d.tokens.get(token, token), 'Accept': 'text/event-stream'}
        if last_id is not None:
            h['Last-Event-ID'] = str(last_id)
        self.conn.request('GET', API + '/events', headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status

    def block(self, timeout):
        """The next block of lines (without the blank line that ends it)."""
        self.conn.sock.settimeout(timeout)
        lines = []
        while True:
            line = self.resp.readline()
            if not line:
                raise EOFError('the stream ended')
            line = line.decode().rstrip('\r\n')
            if line == '':
                if lines:
                    return lines
                continue
            lines.append(line)

    def event(self, timeout):
        """The next event (comments skipped): {'event', 'id', 'data'}."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError('no event')
            ev = {}
            for line in self.block(left):
                if line.startswith(':'):
                    continue
                k, _, v = line.partition(':')
                ev[k] = v[1:] if v.startswith(' ') else v
            if 'event' in ev or 'data' in ev:
                if 'data' in ev:
                    ev['data'] = json.loads(ev['data'])
                return ev

    def close(self):
        self.conn.close()
