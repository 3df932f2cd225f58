#!/usr/bin/env python3
"""fulcrumd under systemd's notification protocol (sd_notify(3)), as systemd would see it, without systemd.

The test plays systemd's part: it binds the unix datagram socket that NOTIFY_SOCKET names, starts the real
./fulcrumd --foreground with WATCHDOG_USEC and WATCHDOG_PID (its own pid: a shell that execs it), and
reads what arrives, with the sender's pid (SO_PASSCRED) and the time. It checks that READY=1 comes only
once the API listens (it connects at the moment READY=1 arrives), that STATUS= lines say what fulcrumd
does (with failover, the role), that WATCHDOG=1 comes every half interval and stops while the process is
stopped (SIGSTOP) and while the loop alone is stuck (an API write waiting for a database lock another
process holds), that SIGTERM sends STOPPING=1; and that a start that fails (the API's port taken, a
database that is not one, a TLS key that cannot be read, a failover key file others can read) exits
non-zero with the reason on stderr and in a STATUS= line, and never says READY=1. No IPVS here: the
wait for reconcile's first pass is not exercised. Needs ./fulcrumd and ./fulcrumctl built; prints
"ok"/"FAIL" lines and "systemd: N passed, N failed".
"""
import array
import http.client
import json
import os
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
FULCRUMD = os.path.join(TOP, 'fulcrumd')
WATCHDOG_USEC = 1_000_000  # pings expected every 0.5 s
SERVICE = {'name': 'web', 'address': '192.0.2.10', 'port': 80, 'protocol': 'tcp', 'scheduler': 'wrr'}
passed = failed = 0


def ok(name):
    global passed
    print(f'  ok   {name}')
    passed += 1


def bad(name, *details):
    global failed
    print(f'  FAIL {name}')
    for d in details:
        for line in str(d).splitlines()[-15:]:
            print(f'       {line}')
    failed += 1


def check(name, cond, *details):
    if cond:
        ok(name)
    else:
        bad(name, *details)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Listener:
    """systemd's end of NOTIFY_SOCKET: each datagram with its arrival time and its sender's pid."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.msgs = []  # (monotonic time, pid, [assignments])

    def receive(self, timeout):
        """The next datagram as (time, pid, [lines]), or None after timeout seconds."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
        except socket.timeout:
            return None
        at = time.monotonic()
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack('iII', payload[:12])[0]
            elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                # sd_notify_barrier()'s pipe: closing it is systemd's "all read"
                fds = array.array('i')
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
                for fd in fds:
                    os.close(fd)
        m = (at, pid, data.decode(errors='replace').splitlines())
        self.msgs.append(m)
        return m

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.receive(end - time.monotonic())

    def lines(self, prefix):
        return [(at, line) for at, _, ls in self.msgs for line in ls if line.startswith(prefix)]

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def start(work, listener, args, extra_env=None, watchdog=True):
    """./fulcrumd --foreground ARGS, with systemd's environment, stderr to a file; returns the Popen."""
    env = dict(os.environ, NOTIFY_SOCKET=listener.path)
    if watchdog:
        env['WATCHDOG_USEC'] = str(WATCHDOG_USEC)
    env.update(extra_env or {})
    err = open(os.path.join(work, 'stderr'), 'w')
    # WATCHDOG_PID must be fulcrumd's own pid, as systemd sets it: a shell that execs it
    cmd = ['bash', '-c', 'export WATCHDOG_PID=$$; exec "$0" "$@"', FULCRUMD, '--foreground'] + args
    p = subprocess.Popen(cmd, env=env, stdout=err, stderr=subprocess.STDOUT)
    err.close()
    return p


def stderr_of(work):
    with open(os.path.join(work, 'stderr'), errors='replace') as f:
        return f.read()


def base_args(work, name):
    return ['-c', '/dev/null', '--db', os.path.join(work, f'{name}.db'), '--agentx', '',
            '--log-level', 'info']


def test_running(work, listener):
    """A start that works: readiness, status, watchdog, a stopped loop, SIGTERM."""
    port = free_port()
    db = os.path.join(work, 'run.db')
    token = subprocess.run([os.path.join(TOP, 'fulcrumctl'), '--db', db, 'token', 'create', 'admin', '--role',
                            'admin'], capture_output=True, text=True, check=True).stdout.strip()
    t0 = time.monotonic()
    p = start(work, listener, base_args(work, 'run') + ['--http', f'127.0.0.1:{port}'])
    ready_at = None
    connected = answered = None
    while time.monotonic() - t0 < 15 and p.poll() is None:
        m = listener.receive(0.2)
        if m and 'READY=1' in m[2]:
            ready_at = m[0]
            # at once, before anything else: the API must already listen
            try:
                socket.create_connection(('127.0.0.1', port), timeout=2).close()
                connected = True
            except OSError as e:
                connected = e
            break
    if not check('READY=1 arrives', ready_at is not None, stderr_of(work)):
        p.kill()
        p.wait()
        return
    check('READY=1 comes when the API listens (connected the moment it arrived)', connected is True,
          connected)
    try:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
        c.request('GET', '/api/v1/status', headers={'Authorization': f'Bearer {token}'})
        answered = c.getresponse().status
        c.close()
    except OSError as e:
        answered = e
    check('after READY=1 the API answers', answered == 200, answered)
    check('every message comes from fulcrumd itself (NotifyAccess=main)',
          all(pid == p.pid for _, pid, _ in listener.msgs), [(pid, ls) for _, pid, ls in listener.msgs])
    before = [line for at, line in listener.lines('STATUS=') if at <= ready_at]
    check('a STATUS= line before READY=1 says it is starting', any('starting' in s for s in before),
          listener.msgs)

    # the watchdog: 3 s of pings, every half of WATCHDOG_USEC
    listener.drain(3.0)
    pings = [at for at, line in listener.lines('WATCHDOG=1')]
    check('no WATCHDOG=1 before READY=1', all(at >= ready_at for at in pings), pings)
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    half = WATCHDOG_USEC / 2e6
    if check(f'WATCHDOG=1 pings arrive ({len(pings)} in the 3 s after READY=1)', len(pings) >= 4, pings):
        med = statistics.median(gaps)
        check(f'pings every half interval: median gap {med * 1000:.0f} ms, longest '
              f'{max(gaps) * 1000:.0f} ms (want {half * 1000:.0f})',
              0.8 * half <= med <= 1.2 * half and max(gaps) < 1.5 * half, gaps)
    after = [line for at, line in listener.lines('STATUS=') if at >= ready_at]
    check('a STATUS= line says it serves, with the numbers, once ready',
          any(s.startswith('STATUS=serving 0 services, 0 real servers') for s in after),
          listener.lines('STATUS='))

    # a stuck loop: the process stopped sends no ping; once continued, pings come again
    os.kill(p.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    listener.drain(2.5)
    resumed = time.monotonic()
    os.kill(p.pid, signal.SIGCONT)
    late = [at - stopped for at in (a for a, _ in listener.lines('WATCHDOG=1')) if stopped + 0.05 < at < resumed]
    check('SIGSTOP: no WATCHDOG=1 for the 2.5 s it is stopped',
          not late, late)
    listener.drain(1.0)
    again = [at for at, _ in listener.lines('WATCHDOG=1') if at > resumed]
    check('SIGCONT: the pings come again', len(again) >= 1, again)

    # a loop that is really stuck, the rest of the process running: an API write waits in the loop for
    # the database lock another process holds (SQLite's busy wait, 5 s); the pings stop meanwhile
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute('BEGIN IMMEDIATE')
    answer = {}

    def write():
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
        try:
            c.request('POST', '/api/v1/services', body=json.dumps(SERVICE),
                      headers={'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'})
            answer['status'] = c.getresponse().status
        except OSError as e:
            answer['status'] = e
        answer['at'] = time.monotonic()
        c.close()

    sent = time.monotonic()
    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        listener.drain(0.2)
    holder.rollback()
    holder.close()
    held = answer['at'] - sent
    during = [at - sent for at, _ in listener.lines('WATCHDOG=1') if sent + 0.6 < at < answer['at'] - 0.1]
    check(f'a write waiting for the database lock held the loop {held:.1f} s', held > 3, answer)
    check('no WATCHDOG=1 while the loop is stuck (other threads run)', not during, during)
    listener.drain(1.0)
    again = [at for at, _ in listener.lines('WATCHDOG=1') if at > answer['at']]
    check('the loop free again: the pings come again', len(again) >= 1, again)

    # SIGTERM: STOPPING=1, then a clean exit
    mark = len(listener.msgs)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    listener.drain(0.3)
    told = [ls for _, _, ls in listener.msgs[mark:]]
    check('SIGTERM: STOPPING=1 is sent', any('STOPPING=1' in ls for ls in told), told)
    check('SIGTERM: exit status 0', rc == 0, rc, stderr_of(work))


def key_file(path, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('auth 1\n1 hmac-sha256 0123456789abcdef0123456789abcdef\n')
    os.chmod(path, mode)
    return path


def udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_failover_status(work, listener):
    """With ha_peer set the status line names the role and term, and follows a role change."""
    mark = len(listener.msgs)
    conf = os.path.join(work, 'ha.conf')
    with open(conf, 'w') as f:
        f.write(f'ha_peer = 127.0.0.1:{udp_port()}\nha_bind = 127.0.0.1\nha_port = {udp_port()}\n'
                f'ha_keyfile = {key_file(os.path.join(work, "ha.keys"), 0o600)}\nha_realtime = no\n'
                f'ha_initdead = 300\nrepl_port = {free_port()}\nrepl_peer_port = {free_port()}\n'
                'ha_standalone_vips = no\n')
    p = start(work, listener, ['-c', conf] + base_args(work, 'ha')[2:] + ['--http', ''], watchdog=False)
    end = time.monotonic() + 10
    # the peer never answers and this kernel has no IPVS: starting, then fault once ha_initdead is over
    while time.monotonic() < end and p.poll() is None:
        listener.receive(0.2)
        if any('; fault, term 0' in line for _, _, ls in listener.msgs[mark:] for line in ls):
            break
    status = [line for _, _, ls in listener.msgs[mark:] for line in ls if line.startswith('STATUS=')]
    check('failover: the status line says starting, then fault (a role change), with the term',
          any(s.endswith('; starting, term 0') for s in status) and
          any(s.endswith('; fault, term 0') for s in status), status, stderr_of(work))
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    listener.drain(0.3)
    told = [line for _, _, ls in listener.msgs[mark:] for line in ls]
    check('failover: SIGTERM says STOPPING=1 and that the engine steps down',
          'STOPPING=1' in told and any('steps down' in line for line in told), told)


def test_start_fails(work, listener, name, args, want, settings=''):
    """A start that cannot go on: exit non-zero, the reason on stderr, a STATUS= with it, no READY=1."""
    mark = len(listener.msgs)
    conf = os.path.join(work, name.replace(' ', '-') + '.conf')
    with open(conf, 'w') as f:
        f.write(settings)
    a = ['-c', conf] + base_args(work, name.replace(' ', '-'))[2:] + args
    p = start(work, listener, a)
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = 'still running after 15 s'
    listener.drain(0.3)
    err = stderr_of(work)
    told = [ls for _, _, ls in listener.msgs[mark:]]
    flat = [line for ls in told for line in ls]
    check(f'{name}: exit status 1', rc == 1, rc, err)
    check(f'{name}: stderr says why ({want!r})', want in err, err)
    check(f'{name}: no READY=1', 'READY=1' not in flat, told)
    check(f'{name}: a STATUS= line says why', any(line.startswith('STATUS=') and want in line for line in flat),
          told)


def main():
    if not os.access(FULCRUMD, os.X_OK):
        bad(f'{FULCRUMD} is built (make)')
        return 1
    with tempfile.TemporaryDirectory() as work:
        listener = Listener(os.path.join(work, 'notify'))
        try:
            test_running(work, listener)

            taken = socket.socket()
            taken.bind(('127.0.0.1', 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            want = f'cannot listen on 127.0.0.1:{port}: Address already in use'
            test_start_fails(work, listener, 'port taken', ['--http', f'127.0.0.1:{port}'], want)
            # logging to a file, the reason goes to stderr too: what systemd's journal keeps
            test_start_fails(work, listener, 'port taken, log_file set', ['--http', f'127.0.0.1:{port}'],
                             want, settings=f'log_file = {work}/fail.log\n')
            taken.close()

            with open(os.path.join(work, 'garbage.db'), 'wb') as f:
                f.write(os.urandom(4096))
            test_start_fails(work, listener, 'database that is not one',
                             ['--http', '', '--db', os.path.join(work, 'garbage.db')],
                             os.path.join(work, 'garbage.db'))

            test_start_fails(work, listener, 'TLS key that cannot be read', ['--http', f'127.0.0.1:{free_port()}'],
                             'http_tls_key', settings=f'http_tls_cert = {work}/absent.pem\n'
                             f'http_tls_key = {work}/absent.key\n')

            test_start_fails(work, listener, 'failover key file others can read', ['--http', ''],
                             'lets others read the keys',
                             settings=f'ha_peer = 127.0.0.1:{udp_port()}\n'
                             f'ha_keyfile = {key_file(os.path.join(work, "open.keys"), 0o644)}\n')
            test_failover_status(work, listener)
        finally:
            listener.close()
    print(f'systemd: {passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
