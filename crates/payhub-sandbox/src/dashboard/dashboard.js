// payhub sandbox dashboard: actions, faults, live refresh through server-sent events.
(() => {
  'use strict';
  const $ = (sel, root = document) => root.querySelector(sel);
  const message = $('#message');

  function show(ok, text) {
    message.hidden = false;
    message.className = 'message ' + (ok ? 'ok' : 'error');
    message.textContent = text;
  }

  async function act(provider, orderNo, action, amount) {
    show(true, action + ' ' + provider + '/' + orderNo + ' …');
    try {
      const res = await fetch('/_sandbox/dashboard/actions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider, order_no: orderNo, action, amount: amount || '' }),
      });
      const out = await res.json();
      show(out.ok, out.message);
    } catch (e) {
      show(false, String(e));
    }
    refresh();
  }

  document.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    e.preventDefault();
    const form = b.closest('form');
    if (form && form.id === 'act-form') {
      act(form.provider.value, form.order_no.value.trim(), b.dataset.action, form.amount.value.trim());
      return;
    }
    const card = b.closest('article[data-order]');
    const input = card && card.querySelector('input[name=amount]');
    const amount = b.dataset.action === 'refund' && input ? input.value.trim() : '';
    act(b.dataset.provider, b.dataset.order, b.dataset.action, amount);
  });

  // Orders: re-rendered by the server, keeping what the reader opened, closed or typed. A log
  // opens by itself once it has a notify, unless the reader closed it.
  const chosen = {};
  document.addEventListener('click', (e) => {
    const summary = e.target.closest('details[data-key] > summary');
    if (summary) chosen[summary.parentElement.dataset.key] = !summary.parentElement.open;
  });
  let timer = null;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(load, 60);
  }
  async function load() {
    const f = $('#filter');
    const q = new URLSearchParams({ provider: f.provider.value, q: f.q.value.trim() });
    let html;
    try {
      const res = await fetch('/_sandbox/dashboard/orders?' + q);
      if (!res.ok) return;
      html = await res.text();
    } catch (e) {
      return;
    }
    const box = $('#orders');
    const typed = {};
    box.querySelectorAll('input[data-key]').forEach((i) => { if (i.value) typed[i.dataset.key] = i.value; });
    const active = document.activeElement;
    const focused = active && box.contains(active) && active.dataset ? active.dataset.key : null;
    box.innerHTML = html;
    box.querySelectorAll('details[data-key]').forEach((d) => {
      if (d.dataset.key in chosen) d.open = chosen[d.dataset.key];
    });
    box.querySelectorAll('input[data-key]').forEach((i) => {
      if (typed[i.dataset.key]) i.value = typed[i.dataset.key];
      if (focused && i.dataset.key === focused) i.focus();
    });
  }
  $('#filter').addEventListener('input', refresh);
  $('#filter').addEventListener('submit', (e) => { e.preventDefault(); refresh(); });

  // Faults panel.
  const faults = $('#faults-form');
  async function loadFaults() {
    try {
      const now = await (await fetch('/_sandbox/faults')).json();
      for (const [k, v] of Object.entries(now)) {
        const input = faults.elements[k];
        if (input && document.activeElement !== input) input.value = v;
      }
    } catch (e) { /* the next event retries */ }
  }
  faults.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const input of faults.querySelectorAll('input')) {
      if (input.value.trim() !== '') body[input.name] = Number(input.value);
    }
    try {
      const res = await fetch('/_sandbox/faults', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const out = await res.json();
      if (res.ok) show(true, 'faults applied');
      else show(false, out.error || 'faults refused');
    } catch (err) {
      show(false, String(err));
    }
    loadFaults();
  });

  // Live updates.
  const live = $('#live');
  const events = new EventSource('/_sandbox/events');
  events.onopen = () => { live.dataset.state = 'live'; live.textContent = 'live'; refresh(); };
  events.onerror = () => { live.dataset.state = 'reconnecting'; live.textContent = 'reconnecting…'; };
  events.onmessage = (e) => {
    let change = {};
    try { change = JSON.parse(e.data); } catch (err) { return; }
    if (change.kind === 'faults') loadFaults();
    else refresh();
    if (change.kind === 'all') loadFaults();
  };
})();
