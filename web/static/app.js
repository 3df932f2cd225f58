// Fulcrum's web page: reads and changes services and real servers through /api/v1, live.
'use strict';

const TOKEN_KEY = 'fulcrum.token';
const STATUS_POLL_MS = 30000; // kernel and health state change without a revision
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// An error as the API reports it: {"error": {"code", "message", "field"}}.
class ApiError extends Error {
	constructor(status, code, message, field) {
		super(message);
		this.status = status;
		this.code = code;
		this.field = field || null;
	}
}

const state = {
	token: null,
	revision: null,
	services: [],       // as GET /services gives them
	reals: new Map(),   // service id -> [REAL...]
	stream: null,       // AbortController of the event stream
	lastEventId: null,
	poll: null,
	cluster: null,      // GET /cluster, as the role badge shows it
};

// ---- the API ---------------------------------------------------------------

function etagRevision(res) {
	const m = /^(?:W\/)?"?(\d+)"?$/.exec(res.headers.get('ETag') || '');
	return m ? Number(m[1]) : null;
}

// Calls the API with the token; resolves to the parsed JSON or throws ApiError.
async function api(method, path, body) {
	const headers = {Authorization: `Bearer ${state.token}`, Accept: 'application/json'};
	const init = {method, headers, cache: 'no-store'};
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(`/api/v1${path}`, init);
	} catch (e) {
		throw new ApiError(0, 'network', 'fulcrumd does not answer; check that it runs and try again.', null);
	}
	const text = await res.text();
	let data = null;
	if (text) {
		try {
			data = JSON.parse(text);
		} catch (e) {
			data = null;
		}
	}
	const rev = etagRevision(res);
	if (rev !== null)
		showRevision(rev);
	if (!res.ok) {
		const e = (data && data.error) || {};
		const err = new ApiError(res.status, e.code || `http_${res.status}`,
			e.message || `${res.status} ${res.statusText || 'error'}`, e.field);
		if (res.status === 401)
			signOut(`The server refused this token: ${err.message}`);
		throw err;
	}
	return data;
}

// ---- rendering ---------------------------------------------------------------

// h('tag.class', {attr: value, onclick: fn}, child...): an element, text children as text nodes.
function h(spec, attrs, ...children) {
	const [tag, ...classes] = spec.split('.');
	const el = document.createElement(tag);
	if (classes.length)
		el.className = classes.join(' ');
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

// "10.0.0.1:80", "[2001:db8::1]:80"; the address alone when the port is 0 (all ports, fwmark).
function endpoint(address, port) {
	if (!port)
		return address || '*';
	return address && address.includes(':') ? `[${address}]:${port}` : `${address || '*'}:${port}`;
}

function serviceWhere(s) {
	if (s.fwmark)
		return `fwmark ${s.fwmark} (${s.family})`;
	return `${endpoint(s.address, s.port)}/${s.protocol}`;
}

// A state in words; label (shown where no column header names it) says which state it is.
function badge(kind, value, title, label) {
	const v = value || 'unknown';
	return h(`span.badge.${kind}-${v.replace(/[^a-z0-9_-]/gi, '')}`, {title},
		label ? h('span.badge-label', {}, `${label} `) : null, v);
}

function showRevision(rev) {
	if (state.revision !== null && rev < state.revision)
		return;
	state.revision = rev;
	$('#revision').textContent = `revision ${rev}`;
}

function setConn(kind, text) {
	const conn = $('#conn');
	conn.hidden = false;
	conn.dataset.state = kind;
	$('#conn-text').textContent = text;
}

function realRow(svc, r) {
	const where = endpoint(r.address, r.port);
	const st = r.status || {};
	const fwd = r.forwarding === 'tunnel' ? `tunnel (${r.tunnel_type}${r.tunnel_type === 'gue' ? ` :${r.tunnel_port}` : ''})` : r.forwarding;
	const act = (label, verb, target, cls) => h(`button.small${cls ? `.${cls}` : ''}`, {
		type: 'button',
		'aria-label': `${label} ${where}`,
		disabled: target && r.admin_state === target,
		dataset: {key: `rs-${r.id}-${verb}`},
		onclick: () => (verb === 'edit' ? openRealForm(svc, r) : verb === 'delete' ? deleteReal(svc, r) : setRealState(r, target, label)),
	}, label);
	return h('tr', {dataset: {realId: r.id}},
		h('th', {scope: 'row'}, where, r.description ? h('span.sub', {}, r.description) : null),
		h('td', {}, fwd),
		h('td.num', {}, r.weight),
		h('td', {}, badge('admin', r.admin_state)),
		h('td', {}, badge('kernel', st.kernel_state, st.kernel_reason)),
		h('td', {}, badge('oper', st.oper_state, st.oper_reason)),
		h('td', {}, h('div.row-actions', {},
			act('Edit', 'edit'),
			act('Enable', 'enable', 'enabled'),
			act('Drain', 'drain', 'drained'),
			act('Disable', 'disable', 'disabled'),
			act('Delete', 'delete', null, 'danger'))));
}

function serviceCard(s) {
	const reals = state.reals.get(s.id) || [];
	const st = s.status || {};
	const titleId = `service-${s.id}-title`;
	const act = (label, verb, fn, cls) => h(`button.small${cls ? `.${cls}` : ''}`, {
		type: 'button', 'aria-label': `${label} service ${s.name}`,
		dataset: {key: `vs-${s.id}-${verb}`}, onclick: fn,
	}, label);
	const enabled = s.admin_state === 'enabled';
	const flags = (s.scheduler_flags || []).join(',');
	return h('section.service', {'aria-labelledby': titleId, dataset: {serviceId: s.id}},
		h('div.service-head', {},
			h('div.service-title', {},
				h('h3', {id: titleId}, s.name),
				h('span.where', {}, serviceWhere(s)),
				h('span.meta', {}, `${s.scheduler}${flags ? ` (${flags})` : ''}`,
					s.persistence_timeout ? ` · persistent ${s.persistence_timeout} s /${s.persistence_netmask}` : '',
					s.one_packet ? ' · one-packet' : '')),
			h('div.service-state', {},
				badge('admin', s.admin_state, null, 'admin'),
				badge('kernel', st.kernel_state, st.kernel_reason, 'kernel'),
				badge('oper', st.oper_state, st.oper_reason, 'health')),
			h('div.service-actions', {},
				act('Add real server', 'add', () => openRealForm(s, null)),
				act('Edit', 'edit', () => openServiceForm(s)),
				enabled ? act('Disable', 'disable', () => setServiceState(s, 'disabled', 'Disable'))
					: act('Enable', 'enable', () => setServiceState(s, 'enabled', 'Enable')),
				act('Delete', 'delete', () => deleteService(s, reals.length), 'danger'))),
		s.description ? h('p.desc', {}, s.description) : null,
		reals.length === 0 ? h('p.none', {}, 'No real servers yet.') :
			h('table.reals', {},
				h('caption.visually-hidden', {}, `Real servers of ${s.name}`),
				h('colgroup', {}, ['addr', 'fwd', 'weight', 'admin', 'kernel', 'oper', 'actions'].map((c) => h(`col.col-${c}`))),
				h('thead', {}, h('tr', {},
					h('th', {scope: 'col'}, 'Real server'),
					h('th', {scope: 'col'}, 'Forwarding'),
					h('th.num', {scope: 'col'}, 'Weight'),
					h('th', {scope: 'col'}, 'Admin state'),
					h('th', {scope: 'col'}, 'Kernel'),
					h('th', {scope: 'col'}, 'Health'),
					h('th', {scope: 'col'}, h('span.visually-hidden', {}, 'Actions')))),
				h('tbody', {}, reals.map((r) => realRow(s, r)))));
}

function render() {
	const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
	const list = $('#services');
	list.replaceChildren(...state.services.map(serviceCard));
	$('#empty').hidden = state.services.length > 0;
	if (focusKey) {
		const again = $(`[data-key="${focusKey}"]`);
		if (again && !again.disabled)
			again.focus();
	}
}

// ---- the failover role -------------------------------------------------------

// "active · peer ldirector2 alive", "standby · peer ldirector1 dead", "fault: IPVS unusable", "standalone".
function roleText(c) {
	const p = c.peer;
	const peer = !p ? '' : (p.state === 'unknown' || !p.name) ? 'peer never heard' : `peer ${p.name} ${p.state}`;
	let text;
	if (c.role === 'standalone' || !c.enabled)
		text = 'standalone';
	else if (c.role === 'fault')
		text = `fault: ${c.health || c.reason || 'this node cannot serve'}`;
	else
		text = peer ? `${c.role} · ${peer}` : c.role;
	const repl = replText(c);
	if (repl)
		text = `${text} · ${repl}`;
	return c.maintenance ? `${text} · maintenance` : text;
}

// Replication at a glance (docs/ha.md, "Replication"): whether the standby holds what the active
// committed. "" when there is nothing to say (standalone, or a standby following nobody yet: the
// peer's part says why).
function replText(c) {
	const r = c.replication;
	if (!r || !c.enabled || r.state === 'off')
		return '';
	const who = r.peer || 'the standby';
	if (r.side === 'active') {
		switch (r.state) {
		case 'in_sync': return `${who} in sync`;
		case 'catching_up': return `${who} catching up, ${r.lag_revisions} behind`;
		case 'snapshot': return `sending ${who} a snapshot`;
		case 'alone': return 'alone: the standby does not hold every change';
		case 'waiting': return 'no standby connected';
		default: return `replication ${r.state.replace('_', ' ')}`;
		}
	}
	if (r.state === 'waiting')
		return '';
	return r.state === 'in_sync' ? 'in sync' : `replication ${r.state.replace('_', ' ')}`;
}

function showRole(c) {
	const el = $('#role');
	state.cluster = c;
	el.hidden = false;
	el.dataset.role = c.role || 'standalone';
	el.dataset.peer = c.peer ? c.peer.state : 'none';
	el.dataset.repl = c.replication ? c.replication.state : 'off';
	$('#role-text').textContent = roleText(c);
	const r = c.replication;
	el.title = [c.reason && `Last change: ${c.reason}`, c.blocked && `Blocked: ${c.blocked}`,
		c.health && `Health: ${c.health}`,
		r && r.state !== 'off' && `Replication: ${r.state}, revision ${r.revision}${r.error ? ` (${r.error})` : ''}`,
		r && r.export_file && `Exported after a divergence: ${r.export_file}`].filter(Boolean).join('\n');
}

// GET /cluster for the badge; a failure leaves the badge as it is (a 401 signs out in api()).
async function loadCluster() {
	try {
		const c = await api('GET', '/cluster');
		if (state.token)
			showRole(c);
	} catch (e) {
		// the services' load says what went wrong
	}
}

// A role or peer event: the badge follows at once; GET /cluster then fills in the rest.
function onClusterEvent(type, d) {
	if (!d || !state.cluster)
		return;
	const c = {...state.cluster};
	if (type === 'role') {
		c.role = d.role;
		c.reason = d.reason;
		c.term = d.term;
	} else {
		c.peer = {...(c.peer || {}), state: d.state, name: d.peer || (c.peer && c.peer.name) || ''};
	}
	showRole(c);
	$('#role').dataset.lastEvent = `${type} ${d.at}`; // what the stream said last, for people and tests
	loadCluster();
}

// ---- loading -----------------------------------------------------------------

async function load() {
	loadCluster(); // beside the services: a change of role moves no revision
	const data = await api('GET', '/services');
	const services = data.services || [];
	const reals = new Map();
	await Promise.all(services.map(async (s) => {
		try {
			reals.set(s.id, (await api('GET', `/services/${s.id}/reals`)).reals || []);
		} catch (e) {
			if (e.status !== 404) // deleted meanwhile: the next change reloads
				throw e;
			reals.set(s.id, []);
		}
	}));
	if (typeof data.revision === 'number')
		showRevision(data.revision);
	state.services = services;
	state.reals = reals;
	render();
}

// Reloads the list; calls made while one runs fold into one more run after it.
let loading = null;
let loadAgain = false;
function refresh() {
	if (!state.token)
		return Promise.resolve();
	if (loading) {
		loadAgain = true;
		return loading;
	}
	loading = (async () => {
		do {
			loadAgain = false;
			try {
				await load();
			} catch (e) {
				if (e.status !== 401)
					showPageError(e.message);
			}
		} while (loadAgain && state.token);
	})().finally(() => {
		loading = null;
	});
	return loading;
}

// ---- the event stream --------------------------------------------------------

// Reads /api/v1/events with fetch, because EventSource cannot send the Authorization header.
async function followEvents() {
	let wait = RETRY_MIN_MS;
	while (state.token) {
		const ctrl = new AbortController();
		state.stream = ctrl;
		try {
			const headers = {Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream'};
			if (state.lastEventId)
				headers['Last-Event-ID'] = state.lastEventId;
			const res = await fetch('/api/v1/events', {headers, cache: 'no-store', signal: ctrl.signal});
			if (res.status === 401) {
				signOut('The server refused this token.');
				return;
			}
			if (!res.ok || !res.body)
				throw new Error(`events: ${res.status}`);
			setConn('live', 'Live');
			wait = RETRY_MIN_MS;
			refresh(); // whatever changed while the stream was down
			const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
			let buf = '';
			for (;;) {
				const {value, done} = await reader.read();
				if (done)
					break;
				buf += value.replace(/\r\n?/g, '\n');
				let end;
				while ((end = buf.indexOf('\n\n')) >= 0) {
					onEventBlock(buf.slice(0, end));
					buf = buf.slice(end + 2);
				}
			}
		} catch (e) {
			if (ctrl.signal.aborted)
				return;
		}
		if (!state.token || ctrl.signal.aborted)
			return;
		setConn('down', 'Reconnecting…');
		await new Promise((r) => setTimeout(r, wait));
		wait = Math.min(wait * 2, RETRY_MAX_MS);
	}
}

// One server-sent event: "event:", "id:", "data:" lines; ":" starts a comment.
function onEventBlock(block) {
	let type = 'message';
	let id = null;
	const data = [];
	for (const line of block.split('\n')) {
		if (!line || line.startsWith(':'))
			continue;
		const colon = line.indexOf(':');
		const name = colon < 0 ? line : line.slice(0, colon);
		const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
		if (name === 'event')
			type = value;
		else if (name === 'id')
			id = value;
		else if (name === 'data')
			data.push(value);
	}
	if (id !== null)
		state.lastEventId = id;
	if (type === 'role' || type === 'peer') {
		let d = null;
		try {
			d = JSON.parse(data.join('\n'));
		} catch (e) {
			d = null;
		}
		onClusterEvent(type, d);
	} else if (type === 'change') {
		if (id !== null && /^\d+$/.test(id)) {
			showRevision(Number(id));
			$('#conn').dataset.lastEvent = id; // what the stream said last, for people and tests
		}
		refresh();
	}
}

// ---- errors ------------------------------------------------------------------

function showPageError(message) {
	const p = $('#page-error');
	p.replaceChildren(h('span', {}, message),
		h('button.quiet.small', {type: 'button', onclick: () => { p.hidden = true; }}, 'Dismiss'));
	p.hidden = false;
}

function clearFormErrors(form) {
	const top = $('.form-error', form);
	top.hidden = true;
	top.textContent = '';
	for (const f of $$('.field', form)) {
		f.classList.remove('invalid');
		const msg = $('.field-error', f);
		if (msg) {
			msg.textContent = '';
			msg.hidden = true;
		}
	}
	for (const c of $$('[aria-invalid]', form))
		c.removeAttribute('aria-invalid');
}

// Shows err next to the field it names, or at the top of the form when it names none we show.
function showFormError(form, prefix, err) {
	clearFormErrors(form);
	const control = err.field ? document.getElementById(`${prefix}-${err.field}`) : null;
	const field = control && control.closest('.field');
	if (field && !field.hidden) {
		field.classList.add('invalid');
		const msg = $('.field-error', field);
		msg.textContent = err.message;
		msg.hidden = false;
		control.setAttribute('aria-invalid', 'true');
		const input = control.matches('input, select') ? control : $('input, select', control);
		if (input)
			input.focus();
		return;
	}
	const top = $('.form-error', form);
	top.textContent = err.message;
	top.hidden = false;
}

// Gives each field an error line that its control points to (aria-describedby).
function addErrorSlots(form) {
	for (const f of $$('.field', form)) {
		const control = f.matches('fieldset') ? f : $('input, select', f);
		const id = `${control.id || f.id}-error`;
		const msg = h('p.field-error', {id, hidden: true, 'aria-live': 'polite'});
		f.append(msg);
		control.setAttribute('aria-describedby', id);
	}
}

// ---- forms -------------------------------------------------------------------

// A number field's value for the API: digits become a number, anything else goes as typed
// so that the API, the one place that validates, names the field and says why.
function numberValue(input) {
	const v = input.value.trim();
	if (v === '')
		return undefined;
	return /^\d+$/.test(v) ? Number(v) : v;
}

function setValue(form, name, value) {
	const el = form.elements[name];
	el.value = value === null || value === undefined ? '' : String(value);
}

// The fields that differ from current: what a PATCH sends.
function changed(desired, current) {
	const out = {};
	for (const [k, v] of Object.entries(desired)) {
		if (v !== undefined && JSON.stringify(v) !== JSON.stringify(current[k]))
			out[k] = v;
	}
	return out;
}

let editing = {service: null, real: null, realService: null};

function serviceKeyChanged() {
	const form = $('#service-form');
	const key = form.elements.key.value;
	for (const f of $$('[data-key]', form))
		f.hidden = f.dataset.key !== key;
}

function openServiceForm(s) {
	const form = $('#service-form');
	form.reset();
	clearFormErrors(form);
	editing.service = s;
	$('#service-dialog-title').textContent = s ? `Edit service ${s.name}` : 'New service';
	$('#service-submit').textContent = s ? 'Save changes' : 'Create service';
	if (s) {
		form.elements.key.value = s.fwmark ? 'fwmark' : 'address';
		for (const k of ['name', 'address', 'scheduler', 'admin_state', 'description', 'persistence_timeout', 'persistence_netmask'])
			setValue(form, k, s[k]);
		setValue(form, 'port', s.fwmark ? '' : s.port);
		if (s.protocol)
			setValue(form, 'protocol', s.protocol);
		setValue(form, 'fwmark', s.fwmark || '');
		setValue(form, 'family', s.family);
		for (const cb of $$('input[name="flag"]', form))
			cb.checked = (s.scheduler_flags || []).includes(cb.value);
		form.elements.one_packet.checked = !!s.one_packet;
	}
	serviceKeyChanged();
	$('#service-dialog').showModal();
	form.elements.name.focus();
}

function serviceBody(form) {
	const e = form.elements;
	const body = {
		name: e.name.value.trim(),
		scheduler: e.scheduler.value,
		scheduler_flags: $$('input[name="flag"]:checked', form).map((cb) => cb.value),
		persistence_timeout: numberValue(e.persistence_timeout),
		persistence_netmask: numberValue(e.persistence_netmask),
		one_packet: e.one_packet.checked,
		admin_state: e.admin_state.value,
		description: e.description.value,
	};
	if (e.key.value === 'fwmark') {
		Object.assign(body, {address: null, port: 0, protocol: null, fwmark: numberValue(e.fwmark), family: e.family.value});
	} else {
		const address = e.address.value.trim();
		Object.assign(body, {address: address === '' ? undefined : address, port: numberValue(e.port),
			protocol: e.protocol.value, fwmark: 0});
	}
	return body;
}

async function submitServiceForm(ev) {
	ev.preventDefault();
	const form = ev.target;
	const s = editing.service;
	const body = serviceBody(form);
	const button = $('#service-submit');
	button.disabled = true;
	try {
		if (s) {
			const diff = changed(body, s);
			if (Object.keys(diff).length)
				await api('PATCH', `/services/${s.id}`, diff);
		} else {
			for (const k of Object.keys(body))
				if (body[k] === undefined)
					delete body[k];
			if (!body.fwmark)
				delete body.fwmark;
			await api('POST', '/services', body);
		}
		$('#service-dialog').close();
		await refresh();
	} catch (e) {
		if (e.status !== 401)
			showFormError(form, 'svc', e);
	} finally {
		button.disabled = false;
	}
}

function realFwdChanged() {
	const form = $('#real-form');
	const fwd = form.elements.forwarding.value;
	const tunnel = form.elements.tunnel_type.value;
	$('[data-fwd="tunnel"]', form).hidden = fwd !== 'tunnel';
	$('[data-fwd="gue"]', form).hidden = fwd !== 'tunnel' || tunnel !== 'gue';
}

function openRealForm(svc, r) {
	const form = $('#real-form');
	form.reset();
	clearFormErrors(form);
	editing.real = r;
	editing.realService = svc;
	$('#real-dialog-title').textContent = r ? `Edit real server ${endpoint(r.address, r.port)}` : `New real server of ${svc.name}`;
	$('#real-submit').textContent = r ? 'Save changes' : 'Add real server';
	if (r) {
		for (const k of ['address', 'port', 'forwarding', 'weight', 'upper_threshold', 'lower_threshold', 'admin_state', 'description'])
			setValue(form, k, r[k]);
		if (r.tunnel_type)
			setValue(form, 'tunnel_type', r.tunnel_type);
		setValue(form, 'tunnel_port', r.tunnel_port || '');
	} else {
		setValue(form, 'port', svc.fwmark ? '' : svc.port);
		setValue(form, 'weight', 1);
	}
	realFwdChanged();
	$('#real-dialog').showModal();
	form.elements.address.focus();
}

function realBody(form) {
	const e = form.elements;
	const fwd = e.forwarding.value;
	const tunnel = fwd === 'tunnel' ? e.tunnel_type.value : null;
	const address = e.address.value.trim();
	return {
		address: address === '' ? undefined : address,
		port: numberValue(e.port),
		forwarding: fwd,
		tunnel_type: tunnel,
		tunnel_port: tunnel === 'gue' ? numberValue(e.tunnel_port) : 0,
		weight: numberValue(e.weight),
		upper_threshold: numberValue(e.upper_threshold),
		lower_threshold: numberValue(e.lower_threshold),
		admin_state: e.admin_state.value,
		description: e.description.value,
	};
}

async function submitRealForm(ev) {
	ev.preventDefault();
	const form = ev.target;
	const r = editing.real;
	const body = realBody(form);
	const button = $('#real-submit');
	button.disabled = true;
	try {
		if (r) {
			const diff = changed(body, r);
			if (Object.keys(diff).length)
				await api('PATCH', `/reals/${r.id}`, diff);
		} else {
			for (const k of Object.keys(body))
				if (body[k] === undefined || (k.startsWith('tunnel_') && !body[k]))
					delete body[k];
			await api('POST', `/services/${editing.realService.id}/reals`, body);
		}
		$('#real-dialog').close();
		await refresh();
	} catch (e) {
		if (e.status !== 401)
			showFormError(form, 'rs', e);
	} finally {
		button.disabled = false;
	}
}

// ---- actions with a confirmation ---------------------------------------------

// Asks; resolves true when the person confirms.
function confirmAction(title, text, okLabel) {
	const dialog = $('#confirm-dialog');
	$('#confirm-title').textContent = title;
	$('#confirm-text').textContent = text;
	const ok = $('#confirm-ok');
	ok.textContent = okLabel;
	ok.classList.toggle('danger', /^Delete|^Disable/.test(okLabel));
	dialog.returnValue = '';
	return new Promise((resolve) => {
		dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), {once: true});
		dialog.showModal();
		$('#confirm-cancel').focus();
	});
}

async function act(fn) {
	try {
		await fn();
		await refresh();
	} catch (e) {
		if (e.status !== 401)
			showPageError(e.message);
	}
}

const REAL_VERBS = {
	enabled: 'It will take new connections again.',
	drained: 'It gets weight 0: existing connections finish, new ones go to the other real servers.',
	disabled: 'It is removed from the kernel: its connections stop.',
};

async function setRealState(r, target, label) {
	const where = endpoint(r.address, r.port);
	if (await confirmAction(`${label} ${where}?`, REAL_VERBS[target], label))
		await act(() => api('PATCH', `/reals/${r.id}`, {admin_state: target}));
}

async function deleteReal(svc, r) {
	const where = endpoint(r.address, r.port);
	if (await confirmAction(`Delete ${where}?`, `It is removed from service ${svc.name}. This cannot be undone.`, 'Delete'))
		await act(() => api('DELETE', `/reals/${r.id}`));
}

async function setServiceState(s, target, label) {
	const text = target === 'disabled' ? 'Clients can no longer reach it; its configuration is kept.' : 'Clients can reach it again.';
	if (await confirmAction(`${label} service ${s.name}?`, text, label))
		await act(() => api('PATCH', `/services/${s.id}`, {admin_state: target}));
}

async function deleteService(s, nreals) {
	const text = `${serviceWhere(s)} and its ${nreals} real server${nreals === 1 ? '' : 's'} are removed. This cannot be undone.`;
	if (await confirmAction(`Delete service ${s.name}?`, text, 'Delete'))
		await act(() => api('DELETE', `/services/${s.id}`));
}

// ---- signing in and out ------------------------------------------------------

function showLogin(message) {
	$('#app').hidden = true;
	$('#sign-out').hidden = true;
	$('#conn').hidden = true;
	$('#role').hidden = true;
	$('#login').hidden = false;
	const err = $('#login-error');
	err.textContent = message || '';
	err.hidden = !message;
	$('#token').value = '';
	$('#token').focus();
}

function signOut(message) {
	state.token = null;
	sessionStorage.removeItem(TOKEN_KEY);
	if (state.stream)
		state.stream.abort();
	state.stream = null;
	clearInterval(state.poll);
	for (const d of $$('dialog[open]'))
		d.close();
	state.services = [];
	state.reals = new Map();
	state.revision = null;
	state.cluster = null;
	render();
	showLogin(message);
}

async function signIn(token) {
	state.token = token;
	try {
		await load();
	} catch (e) {
		if (e.status !== 401) {
			state.token = null;
			showLogin(e.message);
		}
		return;
	}
	sessionStorage.setItem(TOKEN_KEY, token);
	$('#login').hidden = true;
	$('#app').hidden = false;
	$('#sign-out').hidden = false;
	$('#page-error').hidden = true;
	setConn('down', 'Connecting…');
	state.poll = setInterval(() => {
		if (document.visibilityState === 'visible')
			refresh();
	}, STATUS_POLL_MS);
	followEvents();
}

function init() {
	addErrorSlots($('#service-form'));
	addErrorSlots($('#real-form'));
	$('#login-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const token = $('#token').value.trim();
		if (!token) {
			showLogin('Paste a token first.');
			return;
		}
		signIn(token);
	});
	$('#sign-out').addEventListener('click', () => signOut());
	$('#new-service').addEventListener('click', () => openServiceForm(null));
	$('#service-form').addEventListener('submit', submitServiceForm);
	$('#real-form').addEventListener('submit', submitRealForm);
	$('#service-form').elements.key.addEventListener('change', serviceKeyChanged);
	$('#real-form').elements.forwarding.addEventListener('change', realFwdChanged);
	$('#real-form').elements.tunnel_type.addEventListener('change', realFwdChanged);
	for (const b of $$('[data-close]'))
		b.addEventListener('click', () => b.closest('dialog').close());
	const saved = sessionStorage.getItem(TOKEN_KEY);
	if (saved)
		signIn(saved);
	else
		showLogin();
}

document.addEventListener('DOMContentLoaded', init);
