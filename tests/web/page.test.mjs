// The web page in Debian's Chromium against a real fulcrumd: what an admin clicks, and what the API then holds.
// Run by tests/web/run.sh, which starts fulcrumd and gives FULCRUM_URL, FULCRUM_TOKEN and ARTIFACTS, and
// FULCRUM_TOP and WORK for the node of a failover pair this test starts itself.
import {chromium} from 'playwright-core';
import {execFileSync, spawn} from 'node:child_process';
import {createSocket} from 'node:dgram';
import {mkdirSync, openSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';

const base = process.env.FULCRUM_URL;
const token = process.env.FULCRUM_TOKEN;
const artifacts = process.env.ARTIFACTS || 'artifacts';
const WAIT = 5000; // ms for anything the page should show; the daemon is local
const LIVE_MS = 2000; // ms from a committed change to the page hearing of it

let passed = 0;
let failed = 0;
let broken = null; // the first failed step: later ones depend on it
const timings = [];

// Runs one step; after a failure the later ones are not run (they build on it), unless independent.
async function step(name, fn, {independent = false} = {}) {
	if (broken) {
		console.log(`  FAIL ${name}\n       not run: "${broken}" failed`);
		failed++;
		return;
	}
	const start = Date.now();
	try {
		await fn();
		console.log(`  ok   ${name}`);
		passed++;
	} catch (e) {
		console.log(`  FAIL ${name}\n       ${String(e.message || e).split('\n').join('\n       ')}`);
		failed++;
		if (!independent)
			broken = name;
	}
	timings.push([name, Date.now() - start]);
}

function assert(cond, message) {
	if (!cond)
		throw new Error(message);
}

// The API as a script sees it: what the page claims must be what fulcrumd holds.
async function api(method, path, body) {
	const res = await fetch(`${base}/api/v1${path}`, {
		method,
		headers: {Authorization: `Bearer ${token}`, ...(body ? {'Content-Type': 'application/json'} : {})},
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await res.text();
	const etag = /"?(\d+)"?$/.exec(res.headers.get('etag') || '');
	return {status: res.status, body: text ? JSON.parse(text) : null, revision: etag ? etag[1] : null};
}

// The same with curl: another program, its connection closed when it is done.
function curl(method, path, body) {
	const out = execFileSync('curl', ['-s', '-i', '-X', method, '-H', `Authorization: Bearer ${token}`,
		'-H', 'Content-Type: application/json', '--data', JSON.stringify(body), `${base}/api/v1${path}`],
	{encoding: 'utf8'});
	const [head, ...rest] = out.split(/\r?\n\r?\n/);
	const status = Number((/^HTTP\/\S+ (\d+)/.exec(head) || [])[1]);
	const etag = /^etag: *"?(\d+)"?/im.exec(head);
	return {status, revision: etag ? etag[1] : null, text: rest.join('\n\n')};
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({viewport: {width: 1280, height: 800}});
page.setDefaultTimeout(WAIT);
const scriptErrors = [];
page.on('pageerror', (e) => scriptErrors.push(e.message));
page.on('console', (m) => {
	if (m.type() === 'error' && !/status of 4\d\d/.test(m.text()))
		scriptErrors.push(m.text());
});

const serviceDialog = page.locator('#service-dialog');
const realDialog = page.locator('#real-dialog');
const confirmDialog = page.locator('#confirm-dialog');
const service = page.locator('section.service', {has: page.getByRole('heading', {name: 'web', exact: true})});
const row = (where) => page.getByRole('row', {name: new RegExp(`^${where.replace(/\./g, '\\.')}`)});
let serviceId = null;
let reals = {}; // address -> id

await step('a wrong token is refused with a message', async () => {
	await page.goto(`${base}/`);
	await page.getByLabel('API token').fill('ful_not_a_token');
	await page.getByRole('button', {name: 'Sign in'}).click();
	await page.locator('#login-error').getByText(/refused/).waitFor();
});

await step('sign in with the token (kept in sessionStorage, not the URL)', async () => {
	await page.getByLabel('API token').fill(token);
	await page.getByRole('button', {name: 'Sign in'}).click();
	try {
		await page.getByRole('heading', {name: 'Virtual services'}).waitFor();
	} catch (e) {
		// what the page said instead (it shows why a sign-in failed: a refusal, a network error)
		const said = await page.locator('#login-error').textContent().catch(() => '?');
		throw new Error(`${e.message.split('\n')[0]}; the sign-in form says "${said}"`);
	}
	assert(await page.evaluate(() => sessionStorage.getItem('fulcrum.token')) === token, 'token not in sessionStorage');
	assert(!page.url().includes(token), `token in the URL: ${page.url()}`);
	await page.locator('#conn[data-state="live"]').waitFor();
});

await step('the header shows the failover role: standalone', async () => {
	await page.locator('#role[data-role="standalone"]').waitFor();
	const text = await page.locator('#role-text').textContent();
	assert(text === 'standalone', `the badge says "${text}"`);
	const c = await api('GET', '/cluster');
	assert(c.body.role === 'standalone' && c.body.enabled === false, `the API says ${JSON.stringify(c.body)}`);
});

await step("port 70000: the API's message shows next to the Port field", async () => {
	await page.getByRole('button', {name: 'New service'}).click();
	await serviceDialog.getByLabel('Name').fill('web');
	await serviceDialog.getByLabel('Address', {exact: true}).fill('192.0.2.10');
	await serviceDialog.getByLabel('Port', {exact: true}).fill('70000');
	await serviceDialog.getByLabel('Scheduler', {exact: true}).selectOption('wrr');
	await serviceDialog.getByRole('button', {name: 'Create service'}).click();
	const said = await api('POST', '/services', {name: 'web', address: '192.0.2.10', port: 70000, protocol: 'tcp', scheduler: 'wrr'});
	assert(said.status === 422 && said.body.error.field === 'port', `API answered ${said.status} ${JSON.stringify(said.body)}`);
	const msg = serviceDialog.locator('.field', {has: page.getByLabel('Port', {exact: true})}).locator('.field-error');
	await msg.waitFor();
	assert(await msg.textContent() === said.body.error.message, `shown "${await msg.textContent()}", API says "${said.body.error.message}"`);
	const port = serviceDialog.getByLabel('Port', {exact: true});
	assert(await port.getAttribute('aria-invalid') === 'true', 'Port not marked aria-invalid');
	assert(await port.evaluate((el) => el === document.activeElement), 'focus is not on Port');
	assert(await serviceDialog.locator('#service-form-error').isHidden(), 'message also shown at the top');
});

await step('create the service with port 80', async () => {
	await serviceDialog.getByLabel('Port', {exact: true}).fill('80');
	await serviceDialog.getByRole('button', {name: 'Create service'}).click();
	await serviceDialog.waitFor({state: 'hidden'});
	await service.getByText('192.0.2.10:80/tcp').waitFor();
	const list = await api('GET', '/services');
	const s = list.body.services.find((x) => x.name === 'web');
	assert(s && s.port === 80 && s.scheduler === 'wrr', `API holds ${JSON.stringify(s)}`);
	serviceId = s.id;
});

await step('add two real servers', async () => {
	for (const [address, weight] of [['10.0.1.11', '3'], ['10.0.1.12', '1']]) {
		await service.getByRole('button', {name: 'Add real server service web'}).click();
		await realDialog.getByLabel('Address').fill(address);
		await realDialog.getByLabel('Weight').fill(weight);
		await realDialog.getByRole('button', {name: 'Add real server'}).click();
		await realDialog.waitFor({state: 'hidden'});
		await row(`${address}:80`).waitFor();
	}
	const got = await api('GET', `/services/${serviceId}/reals`);
	assert(got.body.reals.length === 2, `API holds ${got.body.reals.length} real servers`);
	for (const r of got.body.reals)
		reals[r.address] = r.id;
	assert((await row('10.0.1.11:80').getByRole('cell').nth(1).textContent()).trim() === '3', 'weight 3 not shown');
});

await step('cancelling a confirmation changes nothing', async () => {
	await page.getByRole('button', {name: 'Disable 10.0.1.12:80'}).click();
	await confirmDialog.getByText('Disable 10.0.1.12:80?').waitFor();
	await confirmDialog.getByRole('button', {name: 'Cancel'}).click();
	await confirmDialog.waitFor({state: 'hidden'});
	const r = await api('GET', `/reals/${reals['10.0.1.12']}`);
	assert(r.body.admin_state === 'enabled', `API says ${r.body.admin_state}`);
});

await step('drain one after confirming: the page and the API say drained', async () => {
	await page.getByRole('button', {name: 'Drain 10.0.1.11:80'}).click();
	await confirmDialog.getByText(/existing connections finish/).waitFor();
	await confirmDialog.getByRole('button', {name: 'Drain'}).click();
	await row('10.0.1.11:80').locator('.badge', {hasText: /^drained$/}).waitFor();
	const r = await api('GET', `/reals/${reals['10.0.1.11']}`);
	assert(r.status === 200 && r.body.admin_state === 'drained', `API says ${r.status} ${JSON.stringify(r.body)}`);
	assert(await page.getByRole('button', {name: 'Drain 10.0.1.11:80'}).isDisabled(), 'Drain still offered');
});

await step("weight 70000 on edit: the API's message shows next to Weight", async () => {
	await page.getByRole('button', {name: 'Edit 10.0.1.12:80'}).click();
	await realDialog.getByLabel('Weight').fill('70000');
	await realDialog.getByRole('button', {name: 'Save changes'}).click();
	const msg = realDialog.locator('.field', {has: page.getByLabel('Weight')}).locator('.field-error');
	await msg.getByText(/70000/).waitFor();
	const said = await api('PATCH', `/reals/${reals['10.0.1.12']}`, {weight: 70000});
	assert(said.status === 422 && await msg.textContent() === said.body.error.message,
		`shown "${await msg.textContent()}", API says ${said.status} "${said.body.error && said.body.error.message}"`);
	await realDialog.getByRole('button', {name: 'Cancel'}).click();
	await realDialog.waitFor({state: 'hidden'});
});

await step('a PATCH with curl shows up live, without a reload', async () => {
	await page.evaluate(() => { window.notReloaded = true; });
	const before = await page.locator('#revision').textContent();
	const res = curl('PATCH', `/reals/${reals['10.0.1.12']}`, {weight: 7, description: 'patched by curl'});
	assert(res.status === 200 && res.revision, `PATCH answered ${res.status} ${res.text}`);
	const start = Date.now();
	await page.locator(`#conn[data-last-event="${res.revision}"]`).waitFor(); // by the stream
	const ms = Date.now() - start;
	await row('10.0.1.12:80').getByRole('cell').nth(1).getByText('7', {exact: true}).waitFor();
	await row('10.0.1.12:80').getByText('patched by curl').waitFor();
	assert(await page.evaluate(() => window.notReloaded === true), 'the page reloaded');
	assert(await page.locator('#revision').textContent() !== before, 'revision shown did not move');
	assert(ms < LIVE_MS, `the event came ${ms} ms after the PATCH`);
});

// A client that keeps its connection open (a browser, a script) must not hold the stream back.
await step('a change over a kept-alive connection shows up live too', async () => {
	const res = await api('PATCH', `/reals/${reals['10.0.1.12']}`, {weight: 8});
	assert(res.status === 200, `PATCH answered ${res.status} ${JSON.stringify(res.body)}`);
	const start = Date.now();
	await page.locator(`#conn[data-last-event="${res.revision}"]`).waitFor();
	const ms = Date.now() - start;
	await row('10.0.1.12:80').getByRole('cell').nth(1).getByText('8', {exact: true}).waitFor();
	assert(ms < LIVE_MS, `the event came ${ms} ms after the PATCH, while this test's connection stayed open`);
}, {independent: true});

await step('the page fits 1280x800 and every input has a label', async () => {
	mkdirSync(artifacts, {recursive: true});
	await page.screenshot({path: `${artifacts}/page.png`, fullPage: true});
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	assert(width <= 1280, `page is ${width}px wide`);
	const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select'))
		.filter((el) => el.labels.length === 0).map((el) => el.id || el.name));
	assert(unlabelled.length === 0, `inputs without a label: ${unlabelled.join(' ')}`);
});

await step('delete the service after confirming: gone from the page and the API', async () => {
	await service.getByRole('button', {name: 'Delete service web'}).click();
	await confirmDialog.getByText(/2 real servers/).waitFor();
	await confirmDialog.getByRole('button', {name: 'Delete'}).click();
	await service.waitFor({state: 'detached'});
	await page.getByText('No virtual services yet.').waitFor();
	const s = await api('GET', `/services/${serviceId}`);
	assert(s.status === 404, `GET /services/${serviceId} answered ${s.status}`);
	const r = await api('GET', `/reals/${reals['10.0.1.11']}`);
	assert(r.status === 404, `GET /reals/${reals['10.0.1.11']} answered ${r.status}`);
});

// A port the kernel had free a moment ago (udp: the heartbeat's; tcp: the API's).
async function freePort(kind) {
	if (kind === 'udp') {
		const s = createSocket('udp4');
		await new Promise((ok) => s.bind(0, '127.0.0.1', ok));
		const port = s.address().port;
		s.close();
		return port;
	}
	const s = createServer();
	await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
	const port = s.address().port;
	await new Promise((ok) => s.close(ok));
	return port;
}

// A node of a pair whose peer never answers: starting for ha_initdead (6 s), then fault (no IPVS here).
await step('a node of a pair: the badge says starting, then fault from the role event, live', async () => {
	const top = process.env.FULCRUM_TOP;
	const work = process.env.WORK;
	const db = `${work}/ha.db`;
	const conf = `${work}/ha.conf`;
	const http = await freePort('tcp');
	writeFileSync(`${work}/authkeys`, 'auth 1\n1 hmac-sha256 a-test-secret-of-enough-length\n', {mode: 0o600});
	writeFileSync(conf, [`db = ${db}`, `web_root = ${top}/web/static`, 'ha_standalone_vips = no',
		'node_name = web-ha', `ha_peer = 127.0.0.1:${await freePort('udp')}`, 'ha_bind = 127.0.0.1',
		`ha_port = ${await freePort('udp')}`, `ha_keyfile = ${work}/authkeys`, 'ha_realtime = no',
		'ha_initdead = 6000', ''].join('\n'));
	const haToken = execFileSync(`${top}/fulcrumctl`, ['--db', db, 'token', 'create', 'web-ha', '--role', 'viewer'],
		{encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
	const log = openSync(`${work}/ha.log`, 'a');
	const child = spawn(`${top}/fulcrumd`, ['--foreground', '-c', conf, '--http', `127.0.0.1:${http}`],
		{stdio: ['ignore', log, log]});
	const haBase = `http://127.0.0.1:${http}`;
	const p2 = await browser.newPage({viewport: {width: 1280, height: 800}});
	p2.setDefaultTimeout(WAIT);
	p2.on('pageerror', (e) => scriptErrors.push(e.message));
	try {
		for (let i = 0; i < 100; i++) {
			const up = await fetch(`${haBase}/api/v1/openapi.json`).then((r) => r.ok, () => false);
			if (up)
				break;
			await new Promise((r) => setTimeout(r, 100));
		}
		await p2.goto(`${haBase}/`);
		await p2.getByLabel('API token').fill(haToken);
		await p2.getByRole('button', {name: 'Sign in'}).click();
		await p2.locator('#conn[data-state="live"]').waitFor();
		await p2.locator('#role[data-role="starting"]').waitFor();
		const starting = await p2.locator('#role-text').textContent();
		assert(starting === 'starting · peer never heard', `the badge says "${starting}"`);
		await p2.evaluate(() => { window.notReloaded = true; });
		// the page polls every 30 s: within 10 s only the stream's event can move the badge
		await p2.locator('#role[data-role="fault"]').waitFor({timeout: 10000});
		const fault = await p2.locator('#role-text').textContent();
		assert(/^fault: IPVS unusable/.test(fault), `the badge says "${fault}"`);
		const last = await p2.locator('#role').getAttribute('data-last-event');
		assert(/^role \d+$/.test(last || ''), `the badge was not moved by a role event (data-last-event ${last})`);
		assert(await p2.evaluate(() => window.notReloaded === true), 'the page reloaded');
		assert((await p2.locator('#role').getAttribute('title')).includes('initdead over'), 'no reason in the title');
		mkdirSync(artifacts, {recursive: true});
		await p2.screenshot({path: `${artifacts}/page-ha.png`, clip: {x: 0, y: 0, width: 1280, height: 120}});
		const c = await fetch(`${haBase}/api/v1/cluster`, {headers: {Authorization: `Bearer ${haToken}`}}).then((r) => r.json());
		assert(c.role === 'fault', `the API says ${c.role}`);
		// replication: the badge carries the API's state, its title the words (here: waiting, following nobody)
		await p2.evaluate(() => loadCluster());
		await p2.locator(`#role[data-repl="${c.replication.state}"]`).waitFor();
		const title = await p2.locator('#role').getAttribute('title');
		assert(title.includes(`Replication: ${c.replication.state}, revision ${c.replication.revision}`),
			`the title says "${title}"`);
		assert(c.replication.state === 'waiting' && c.replication.side === 'standby',
			`the API says ${JSON.stringify(c.replication)}`);
	} finally {
		await p2.close();
		const gone = new Promise((ok) => child.on('exit', ok));
		child.kill('SIGTERM');
		await gone;
	}
}, {independent: true});

await step('no script errors on the page', async () => {
	assert(scriptErrors.length === 0, scriptErrors.join('\n'));
});

await browser.close();
for (const [name, ms] of timings)
	console.log(`  ${String(ms).padStart(6)} ms  ${name}`);
console.log(`web: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
