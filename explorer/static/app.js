// The live page of a cometstream node: two feeds (valid_blocks and
// valid_transactions) over WebSocket or Server-Sent Events, each keeping
// its position so that a reconnect, a pause or a node restart resumes with
// nothing lost and nothing shown twice. Messages are queued and drawn once
// per animation frame, and tables keep a bounded number of rows, so the
// page keeps up at thousands of events per second.
'use strict';
(() => {
  const MAX_ROWS = 100;        // rows kept per table
  const CHART_SECONDS = 300;   // the chart's window
  const LOOKUPS_IN_FLIGHT = 4; // operation lookups on the Web API at once
  const $ = (id) => document.getElementById(id);
  const TX_PATH = '/api/v1/streams/valid_transactions';
  const BLOCK_PATH = '/api/v1/streams/valid_blocks';

  // What tests and curious users can read from the console.
  const stats = { txs: 0, blocks: 0, dups: 0, gaps: 0, closes: [], feeds: {} };
  window.cometstream = stats;

  let config = null;
  let settings = readSettings();
  let paused = false;
  let feeds = [];

  // ---- settings: the URL's query holds everything but the token --------
  function readSettings() {
    const q = new URLSearchParams(location.search);
    const get = (k) => (q.get(k) || '').trim();
    return {
      transport: get('transport') === 'sse' ? 'sse' : 'ws',
      asset_id: get('asset_id'), public_key: get('public_key'), operation: get('operation'),
      from_height: get('from_height'),
      token: sessionStorage.getItem('cometstream.token') || '',
    };
  }

  function showSettings() {
    for (const k of ['transport', 'asset_id', 'public_key', 'operation', 'from_height', 'token']) $(k).value = settings[k];
  }

  function formSettings() {
    const s = {};
    for (const k of ['transport', 'asset_id', 'public_key', 'operation', 'from_height', 'token']) s[k] = $(k).value.trim();
    return s;
  }

  function saveSettings() {
    const q = new URLSearchParams();
    for (const k of ['transport', 'asset_id', 'public_key', 'operation', 'from_height']) if (settings[k]) q.set(k, settings[k]);
    history.replaceState(null, '', location.pathname + (q.toString() ? '?' + q : ''));
    // The token stays in this tab's session storage, never in the page's
    // URL (which a bookmark, the history or a screenshot would keep).
    if (settings.token) sessionStorage.setItem('cometstream.token', settings.token);
    else sessionStorage.removeItem('cometstream.token');
  }

  // ---- one stream, its connection and its position ---------------------
  //
  // valid_blocks: next is the next height to show.
  // valid_transactions over WebSocket: height is the height of the last
  // message shown and seen how many of that height's messages were shown;
  // a new connection asks for from_height=height and drops the first seen
  // messages, which the server sends again in the same order.
  // Over SSE every event has an id "<height>:<i>", and the browser's
  // EventSource resumes after the last one by itself (Last-Event-ID); the
  // page drops anything at or before the last id it showed.
  class Feed {
    constructor(name, path, blocks, onMessage, fallbackFrom) {
      this.name = name; this.path = path; this.blocks = blocks;
      this.onMessage = onMessage; this.fallbackFrom = fallbackFrom;
      this.next = 0; this.height = 0; this.seen = 0; this.skip = 0;
      this.last = null; // SSE: [height, index] of the last event shown
      this.firstHeight = 0;
      this.conn = null; this.timer = 0; this.attempt = 0; this.stopped = true;
      this.info = { state: 'idle', opens: 0, reconnects: 0, sources: 0, first: 0, transport: '' };
      stats.feeds[name] = this.info;
    }

    start(from) {
      if (from > 0) { if (this.blocks) this.next = from; else { this.height = from; this.seen = 0; } }
      this.stopped = false;
      this.connect();
    }

    stop(why) {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.conn) {
        if (this.conn instanceof WebSocket) this.conn.close(1000, why); else this.conn.close();
        this.conn = null;
      }
      this.setState(why === 'paused' ? 'paused' : 'idle');
    }

    // resumeFrom is the from_height of the next connection, 0 for the
    // live edge.
    resumeFrom() {
      if (this.blocks) return this.next;
      if (settings.transport === 'sse') return this.last ? this.last[0] : this.height || this.fallbackFrom();
      return this.height || this.fallbackFrom();
    }

    url(from, http) {
      let base = config.stream_url;
      if (http) base = base.replace(/^ws/, 'http');
      const q = new URLSearchParams();
      if (from > 0) q.set('from_height', String(from));
      if (!this.blocks) for (const k of ['asset_id', 'public_key', 'operation']) if (settings[k]) q.set(k, settings[k]);
      // EventSource and WebSocket cannot send Authorization: the token
      // goes in the query, as the node documents.
      if (settings.token) q.set('access_token', settings.token);
      const qs = q.toString();
      return base + this.path + (qs ? '?' + qs : '');
    }

    connect() {
      if (this.stopped) return;
      const from = this.resumeFrom();
      if (settings.transport === 'sse') return this.connectSSE(from);
      this.info.transport = 'ws';
      this.skip = !this.blocks && from === this.height ? this.seen : 0;
      this.setState(this.attempt ? 'reconnecting' : 'connecting');
      const ws = new WebSocket(this.url(from, false));
      this.conn = ws;
      ws.onopen = () => { this.attempt = 0; this.info.opens++; this.setState('open'); };
      ws.onmessage = (e) => this.onWS(e.data);
      ws.onclose = (e) => {
        if (this.conn !== ws) return;
        this.conn = null;
        noteClose(this.name, e.code, e.reason);
        if (this.stopped) return;
        // The server's hint counts only while the page has no position.
        const m = /resume with from_height=(\d+)$/.exec(e.reason || '');
        if (m && this.resumeFrom() === 0) { if (this.blocks) this.next = +m[1]; else this.height = +m[1]; }
        this.retry();
      };
    }

    onWS(data) {
      let m;
      try { m = JSON.parse(data); } catch (err) { return; }
      if (this.blocks) {
        if (this.next && m.height < this.next) { stats.dups++; return; }
        if (this.next && m.height > this.next) stats.gaps++;
        this.next = m.height + 1;
      } else if (m.height < this.height) { stats.dups++; return; } else if (m.height === this.height && this.skip > 0) {
        this.skip--; // sent again after a reconnect: shown already
        return;
      } else {
        if (m.height !== this.height) { this.height = m.height; this.seen = 0; }
        this.seen++;
      }
      this.deliver(m, data);
    }

    connectSSE(from) {
      this.info.transport = 'sse';
      this.setState(this.attempt ? 'reconnecting' : 'connecting');
      const es = new EventSource(this.url(from, true));
      this.info.sources++; // EventSource's own reconnects (Last-Event-ID) do not count
      this.conn = es;
      es.onopen = () => { this.attempt = 0; this.info.opens++; this.setState('open'); };
      es.onmessage = (e) => {
        const id = e.lastEventId.split(':').map(Number);
        if (id.length === 1) id.push(0);
        if (this.last && (id[0] < this.last[0] || (id[0] === this.last[0] && id[1] <= this.last[1]))) { stats.dups++; return; }
        if (this.blocks && this.last && id[0] > this.last[0] + 1) stats.gaps++;
        this.last = id;
        if (this.blocks) this.next = id[0] + 1;
        let m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        this.deliver(m, e.data);
      };
      // The server says why it ends a stream; EventSource then reconnects
      // by itself with Last-Event-ID.
      es.addEventListener('end', (e) => { let why = e.data; try { why = JSON.parse(e.data); } catch (err) { /* as sent */ } noteClose(this.name, 'end', why); });
      es.onerror = () => {
        if (this.conn !== es) return;
        if (es.readyState !== EventSource.CLOSED) { this.info.reconnects++; this.setState('reconnecting'); return; }
        // A refusal (an HTTP error) ends an EventSource for good: say why,
        // and try again later from the page's own position.
        this.conn = null;
        this.explain(this.url(from, true));
        this.retry();
      };
    }

    async explain(url) {
      const ctl = new AbortController();
      try {
        const r = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal: ctl.signal });
        if (!r.ok) {
          let msg = r.statusText;
          try { msg = (await r.json()).message || msg; } catch (err) { /* not JSON */ }
          noteClose(this.name, 'HTTP ' + r.status, msg);
          this.setState('refused');
        }
      } catch (err) {
        noteClose(this.name, 'network', 'the stream is unreachable');
      } finally { ctl.abort(); }
    }

    retry() {
      this.attempt++;
      if (this.info.state !== 'refused') this.setState('reconnecting');
      const delay = Math.min(10000, 500 * 2 ** Math.min(this.attempt - 1, 5)) * (0.75 + Math.random() / 2);
      this.timer = setTimeout(() => { this.info.reconnects++; this.connect(); }, delay);
    }

    deliver(m, raw) {
      if (!this.firstHeight) this.firstHeight = this.info.first = m.height;
      this.onMessage(m, raw);
    }

    setState(s) {
      this.info.state = s;
      const el = $(this.blocks ? 'block-state' : 'tx-state');
      el.textContent = s; el.dataset.state = s;
    }
  }

  function noteClose(feed, code, reason) {
    const text = `${feed}: ${code}${reason ? ' ' + reason : ''} at ${new Date().toLocaleTimeString()}`;
    stats.closes.push(text);
    if (stats.closes.length > 50) stats.closes.shift();
    $('close-info').textContent = text;
  }

  // ---- drawing: queued, once per frame ---------------------------------
  const pending = { blocks: [], txs: [] };
  let frame = 0;
  const rawOf = new WeakMap();
  let lastHeight = 0;

  function queue(kind, m, raw) {
    const q = pending[kind];
    q.push([m, raw, Date.now()]);
    // Older ones would be cut from the table anyway; cut in bulk.
    if (q.length >= 2 * MAX_ROWS) q.splice(0, q.length - MAX_ROWS);
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function cell(tr, text, cls, title) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    if (title) td.title = title;
    tr.appendChild(td);
    return td;
  }

  function draw() {
    frame = 0;
    drawRows('blocks', (tr, m, at) => {
      tr.dataset.height = m.height;
      cell(tr, m.height, 'height');
      cell(tr, m.hash, 'hash', m.hash);
      cell(tr, (m.transaction_ids || []).length, 'n');
      cell(tr, new Date(at).toLocaleTimeString(), 'time', new Date(at).toISOString());
    });
    drawRows('txs', (tr, m) => {
      tr.dataset.id = m.transaction_id; tr.dataset.height = m.height;
      cell(tr, m.height, 'height');
      cell(tr, m.transaction_id, 'id', m.transaction_id);
      cell(tr, m.asset_id, 'asset', (m.asset_ids || [m.asset_id]).join('\n'));
      const op = cell(tr, '…', 'op');
      lookup(m.transaction_id, op);
    });
    pump();
    $('tx-count').textContent = stats.txs;
    $('block-count').textContent = stats.blocks;
    $('dup-count').textContent = stats.dups;
    $('gap-count').textContent = stats.gaps;
    $('last-height').textContent = lastHeight || '–';
  }

  function drawRows(kind, fill) {
    let q = pending[kind];
    if (!q.length) return;
    pending[kind] = [];
    if (q.length > MAX_ROWS) q = q.slice(q.length - MAX_ROWS);
    const body = document.querySelector('#' + kind + ' tbody');
    const frag = document.createDocumentFragment();
    const flash = q.length <= 20; // a highlight only where the eye can follow
    for (let i = q.length - 1; i >= 0; i--) { // newest first
      const [m, raw, at] = q[i];
      const tr = document.createElement('tr');
      if (flash) tr.className = 'fresh';
      rawOf.set(tr, raw);
      fill(tr, m, at);
      frag.appendChild(tr);
    }
    if (q.length >= MAX_ROWS) { body.replaceChildren(frag); return; }
    body.insertBefore(frag, body.firstChild);
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
  }

  // ---- operations: read from the Web API for the rows on screen --------
  // The stream's messages carry no operation; the page asks the node's Web
  // API (same origin) for the rows it shows, a few at a time, newest first,
  // skipping rows already cut from the table.
  const ops = new Map();
  const wanted = [];
  let inFlight = 0;

  function lookup(id, td) {
    if (ops.has(id)) { td.textContent = ops.get(id); return; }
    wanted.push([id, td]); // pumped once the row is in the table
  }

  function pump() {
    while (inFlight < LOOKUPS_IN_FLIGHT && wanted.length) {
      const [id, td] = wanted.pop();
      if (!td.isConnected) continue;
      if (ops.has(id)) { td.textContent = ops.get(id); continue; }
      inFlight++;
      fetch('/api/v1/transactions/' + encodeURIComponent(id), { headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : null))
        .then((tx) => (tx && tx.operation) || '–', () => '–')
        .then((op) => {
          ops.set(id, op);
          if (ops.size > 5000) ops.delete(ops.keys().next().value);
          td.textContent = op;
        })
        .finally(() => { inFlight--; pump(); });
    }
    if (wanted.length > MAX_ROWS) wanted.splice(0, wanted.length - MAX_ROWS);
  }

  // ---- the chart: transactions per second -------------------------------
  const counts = new Map(); // second -> transactions
  function count(n) {
    const s = Math.floor(Date.now() / 1000);
    counts.set(s, (counts.get(s) || 0) + n);
  }

  function drawChart() {
    const now = Math.floor(Date.now() / 1000);
    for (const s of counts.keys()) if (s <= now - CHART_SECONDS) counts.delete(s);
    const c = $('chart');
    const ctx = c.getContext('2d');
    const w = c.width, h = c.height;
    let peak = 0;
    for (const v of counts.values()) peak = Math.max(peak, v);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#4fb3ff';
    const bw = w / CHART_SECONDS;
    for (let i = 0; i < CHART_SECONDS; i++) {
      const v = counts.get(now - CHART_SECONDS + 1 + i) || 0;
      if (!v) continue;
      const bh = Math.max(1, (v / peak) * (h - 14));
      ctx.fillRect(i * bw, h - bh, Math.max(1, bw - 1), bh);
    }
    ctx.fillStyle = '#8b949e';
    ctx.font = '11px sans-serif';
    ctx.fillText(peak + '/s', 4, 11);
    ctx.fillText('now', w - 24, 11);
    $('peak').textContent = peak;
    $('rate').textContent = counts.get(now - 1) || 0;
  }

  // ---- wiring ----------------------------------------------------------
  function onTx(m, raw) {
    stats.txs++;
    count(1);
    queue('txs', m, raw);
  }

  function onBlock(m, raw) {
    stats.blocks++;
    lastHeight = Math.max(lastHeight, m.height);
    queue('blocks', m, raw);
  }

  function clearTables() {
    for (const kind of ['blocks', 'txs']) { document.querySelector('#' + kind + ' tbody').textContent = ''; pending[kind] = []; }
    Object.assign(stats, { txs: 0, blocks: 0, dups: 0, gaps: 0 });
    counts.clear();
    lastHeight = 0;
    draw();
  }

  function startFeeds() {
    for (const f of feeds) f.stop('restart');
    clearTables();
    const from = /^\d+$/.test(settings.from_height) ? +settings.from_height : 0;
    const blocks = new Feed('valid_blocks', BLOCK_PATH, true, onBlock, () => 0);
    // Before its first message the transaction feed resumes from the
    // first block the block feed showed: no transaction of a block the
    // page listed can fall between the two.
    const txs = new Feed('valid_transactions', TX_PATH, false, onTx, () => blocks.firstHeight);
    feeds = [blocks, txs];
    paused = false;
    $('pause').textContent = 'Pause';
    for (const f of feeds) f.start(from);
  }

  function togglePause() {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    for (const f of feeds) { if (paused) f.stop('paused'); else { f.stopped = false; f.attempt = 0; f.connect(); } }
  }

  document.body.addEventListener('click', (e) => {
    const tr = e.target.closest('tbody tr');
    if (!tr || !rawOf.has(tr)) return;
    let text = rawOf.get(tr);
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { /* as received */ }
    $('raw').textContent = text;
    const id = tr.dataset.id;
    $('raw-title').textContent = id ? 'transaction ' + id.slice(0, 12) + '…' : 'block ' + tr.dataset.height;
    $('raw-link').hidden = !id;
    if (id) $('raw-link').href = '/api/v1/transactions/' + encodeURIComponent(id);
    $('raw-panel').hidden = false;
  });
  $('raw-close').addEventListener('click', () => { $('raw-panel').hidden = true; });
  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    settings = formSettings();
    saveSettings();
    startFeeds();
  });
  $('pause').addEventListener('click', togglePause);

  fetch('config.json').then((r) => r.json()).then((c) => {
    config = c;
    $('stream-url').textContent = c.stream_url;
    if (location.protocol === 'https:' && c.stream_url.startsWith('ws:')) {
      noteClose('page', 'warning', 'this page is https but the stream is ws://: the browser will refuse it; configure wss://');
    }
    showSettings();
    startFeeds();
    setInterval(drawChart, 1000);
  });
})();
