"""Group commit: writes that wait together commit together, each whole or not at all, each its own."""
import http.client
import re
import sqlite3
import threading
import time
import unittest

from fulcrum import WORK, Fulcrumd

WRITERS = 8  # operators, one connection each


class GroupCommit(unittest.TestCase):
    """A daemon of its own (debug log: it names each group's size) and a service of WRITERS+2 reals."""

    @classmethod
    def setUpClass(cls):
        cls.d = Fulcrumd(WORK, 'group')
        cls.d.token('admin', 'admin')
        for i in range(WRITERS):
            cls.d.token(f'op{i}', 'operator')
        cls.d.start(['--log-level', 'debug'])
        r = cls.d.call('POST', '/services', {'name': 'group', 'address': '192.0.2.210', 'port': 80,
                                             'protocol': 'tcp',
                                             'reals': [{'address': f'10.210.0.{i}', 'port': 80}
                                                       for i in range(1, WRITERS + 3)]})
        assert r.status == 201, r
        cls.reals = [x['id'] for x in r.json['reals']]

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0, cls.d.log_text()[-3000:]

    def burst(self, requests):
        """Sends each (token, method, path, body) on its own connection while another process holds
        the write lock, so that fulcrumd's loop waits in the first group's BEGIN and the rest queue
        up behind it; then lets go. Returns the replies in order."""
        conns = [self.d.connect(timeout=20) for _ in requests]
        for c in conns:
            c.connect()
        replies = [None] * len(requests)
        lock = sqlite3.connect(self.d.db, isolation_level=None)
        lock.execute('BEGIN IMMEDIATE')
        go = threading.Barrier(len(requests) + 1)

        def one(i):
            token, method, path, body = requests[i]
            go.wait()
            replies[i] = self.d.call(method, path, body, token=token, conn=conns[i])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(requests))]
        for t in threads:
            t.start()
        try:
            go.wait()
            time.sleep(0.5)  # every request reaches fulcrumd while the lock is held
        finally:
            lock.execute('ROLLBACK')
            lock.close()
        for t in threads:
            t.join(30)
        for c in conns:
            c.close()
        return replies

    def groups(self):
        """The sizes of the group commits fulcrumd logged so far."""
        return [int(n) for n in re.findall(r'group commit of (\d+) write', self.d.log_text())]

    def changes(self, since):
        r = self.d.call('GET', f'/changes?since={since}&limit=1000')
        self.assertEqual(r.status, 200, r)
        return r.json['changes']

    def test_concurrent_writes_commit_each_their_own(self):
        before = self.d.call('GET', '/status').json['revision']
        seen = len(self.groups())
        requests = [(f'op{i}', 'PATCH', f'/reals/{self.reals[i]}', {'weight': 100 + i}) for i in range(WRITERS)]
        # in the middle of them: an invalid write, a conflicting one, an operator's forbidden one
        requests.insert(3, ('admin', 'PATCH', f'/reals/{self.reals[WRITERS]}',
                            {'lower_threshold': 10, 'upper_threshold': 5}))
        requests.insert(5, ('admin', 'PATCH', f'/reals/{self.reals[WRITERS + 1]}', {'address': '10.210.0.1'}))
        requests.insert(7, ('op0', 'PATCH', f'/reals/{self.reals[0]}', {'port': 8080}))
        replies = self.burst(requests)

        bad = {3: (422, 'lower_threshold'), 5: (409, 'address'), 7: (403, 'port')}
        revs = {}
        for i, (req, r) in enumerate(zip(requests, replies)):
            if i in bad:
                self.assertEqual((r.status, r.json['error']['field']), bad[i], r)
                continue
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json['weight'], req[3]['weight'])
            revs[r.revision] = req
        self.assertEqual(sorted(revs), list(range(before + 1, before + 1 + WRITERS)),
                         'each write its own revision, consecutive')
        rows = self.changes(before)
        self.assertEqual(len(rows), WRITERS, rows)
        for row in rows:
            token, _, path, body = revs[row['revision']]
            self.assertEqual((row['actor'], row['origin']), (token, 'http'))
            self.assertEqual(f"/reals/{row['object_id']}", path)
            self.assertEqual(row['after']['weight'], body['weight'])
        for i in range(WRITERS):
            self.assertEqual(self.d.call('GET', f'/reals/{self.reals[i]}').json['weight'], 100 + i)
        self.assertEqual(self.d.call('GET', f'/reals/{self.reals[WRITERS + 1]}').json['address'], '10.210.0.10')
        sizes = self.groups()[seen:]
        self.assertGreater(max(sizes), 1, f'no two writes were committed together: {sizes}')
        self.assertEqual(sum(sizes), len(requests), sizes)  # the refused ones failed inside a group

    def test_same_object_in_one_group(self):
        """Two PATCHes of one real server in one group: the second applies to what the first left."""
        before = self.d.call('GET', '/status').json['revision']
        rid = self.reals[1]
        replies = self.burst([('op1', 'PATCH', f'/reals/{rid}', {'weight': 7}),
                              ('op2', 'PATCH', f'/reals/{rid}', {'admin_state': 'drained'}),
                              ('op3', 'PATCH', f'/reals/{rid}', {'weight': 9})])
        self.assertEqual([r.status for r in replies], [200] * 3, replies)
        got = self.d.call('GET', f'/reals/{rid}').json
        self.assertEqual((got['weight'], got['admin_state']), (9 if replies[2].revision > replies[0].revision else 7,
                                                               'drained'))
        by_rev = {r.revision: r.json for r in replies}
        self.assertEqual(len(by_rev), 3)
        rows = self.changes(before)
        self.assertEqual([row['revision'] for row in rows], sorted(by_rev))
        for row in rows:  # each answer shows the object as of its own revision
            self.assertEqual(row['after']['weight'], by_rev[row['revision']]['weight'])
            self.assertEqual(row['after']['admin_state'], by_rev[row['revision']]['admin_state'])


class ConcurrentDurability(unittest.TestCase):
    """SIGKILL among writes from several connections at once: every acknowledged write survives."""

    def test_sigkill_loses_no_acknowledged_concurrent_write(self):
        d = Fulcrumd(WORK, 'durable-group')
        d.token('admin', 'admin')
        d.start()
        r = d.call('POST', '/services', {'name': 'dg', 'address': '192.0.2.220', 'port': 80, 'protocol': 'tcp',
                                         'reals': [{'address': f'10.220.0.{i}', 'port': 80} for i in range(1, 5)]})
        self.assertEqual(r.status, 201, r)
        vs, ids = r.json['id'], [x['id'] for x in r.json['reals']]
        acked = [dict(weight=0, created=[]) for _ in ids]
        count = [0]
        lock = threading.Lock()
        stop = threading.Event()

        def writer(k):
            conn = d.connect(timeout=10)
            try:
                for i in range(1, 10000):
                    if stop.is_set():
                        return
                    if i % 3:
                        r = d.call('PATCH', f'/reals/{ids[k]}', {'weight': i}, conn=conn)
                        ok = r.status == 200
                        if ok:
                            acked[k]['weight'] = i
                    else:
                        r = d.call('POST', f'/services/{vs}/reals', {'address': f'10.221.{k}.{i // 3 % 250 + 1}',
                                                                    'port': 1000 + i // 750}, conn=conn)
                        ok = r.status == 201
                        if ok:
                            acked[k]['created'].append(r.json['id'])
                    self.assertTrue(ok, r)
                    with lock:
                        count[0] += 1
            except (OSError, http.client.HTTPException):
                return
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(len(ids))]
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while count[0] < 200 and time.time() < deadline:
            time.sleep(0.01)
        d.kill()
        stop.set()
        for t in threads:
            t.join(20)
        total = sum(a['weight'] > 0 for a in acked) + sum(len(a['created']) for a in acked)
        self.assertGreaterEqual(count[0], 200)
        d.start()
        try:
            for k, rid in enumerate(ids):
                got = d.call('GET', f'/reals/{rid}').json['weight']
                # a write answered 200 is there; one in flight at the kill may be too (weights only grow)
                self.assertGreaterEqual(got, acked[k]['weight'], f'acknowledged weight of real {rid} lost')
                for cid in acked[k]['created']:
                    self.assertEqual(d.call('GET', f'/reals/{cid}').status, 200, f'acknowledged real {cid} lost')
            print(f'\n    SIGKILL after {count[0]} acknowledged writes from {len(ids)} connections;'
                  f' all there after the restart ({total} objects checked)', end=' ... ', flush=True)
        finally:
            self.assertEqual(d.stop(), 0)
