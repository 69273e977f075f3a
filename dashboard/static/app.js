// PacketBuddy dashboard. Plain browser JavaScript, no build step. Every
// value from the API reaches the page through textContent, never HTML.
"use strict";

(function () {
  const token = document.querySelector('meta[name="pb-token"]').content;
  const $ = (id) => document.getElementById(id);
  const state = {
    prefs: { units: "decimal", currency: "", currency_code: "" },
    health: null,
    paused: false,
    live: [], // {t: Date, up, down}
    charts: {},
    sseEvents: 0,
    view: "overview",
    device: "", // device= of every usage request: "" this device, "all", or an id
    devices: [], // from /api/devices
    // The network of every usage request: "" every network, else "=" and
    // its key ("=" alone is the unknown network, whose key is empty).
    network: "",
    networks: [], // from /api/networks
    networkMonth: null, // /api/month of the Networks view: this month per network
    liveNetworks: [], // the networks the counted NICs are on now
    renaming: null, // the key of the network whose name is being edited
    sync: null, // the last SyncState seen
    clockSkew: 0, // the server's clock minus the browser's, in ms
  };
  // Exposed for the browser tests and for curious users.
  window.packetbuddy = state;

  // ---- formatting (matches report.Units.FormatBytes) ----
  function formatBytes(n) {
    const iec = state.prefs.units === "iec";
    const base = iec ? 1024 : 1000;
    const labels = iec ? ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] : ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if (n < base) return Math.round(n) + " B";
    let v = n, i = 0;
    while (v >= base && i < labels.length - 1) { v /= base; i++; }
    if (Math.round(v * 100) / 100 >= base && i < labels.length - 1) { v /= base; i++; }
    return v.toFixed(2) + " " + labels[i];
  }
  function formatShort(n) {
    const iec = state.prefs.units === "iec";
    const base = iec ? 1024 : 1000;
    const labels = iec ? ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] : ["B", "kB", "MB", "GB", "TB", "PB"];
    let v = n, i = 0;
    while (v >= base && i < labels.length - 1) { v /= base; i++; }
    return (i === 0 ? Math.round(v) : v.toFixed(v >= 100 ? 0 : 1)) + " " + labels[i];
  }
  const formatRate = (n) => formatBytes(Math.max(0, n)) + "/s";
  const pad = (n) => String(n).padStart(2, "0");
  const isoDate = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  const hhmm = (d) => pad(d.getHours()) + ":" + pad(d.getMinutes());
  const hhmmss = (d) => hhmm(d) + ":" + pad(d.getSeconds());
  const monthName = (date) => new Date(date + "T12:00:00").toLocaleDateString(undefined, { month: "long", year: "numeric" });
  // The server's clock decides what "now" and "today" are (the API's
  // periods follow it), so the page reads the time through it.
  const serverNow = () => new Date(Date.now() + state.clockSkew);

  function setText(id, text) { const el = $(id); if (el) el.textContent = text; }

  // ---- API ----
  async function api(path, init) {
    const res = await fetch(path, Object.assign({ headers: { Accept: "application/json" } }, init));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) throw new Error((body && body.error) || ("HTTP " + res.status));
    return body;
  }
  function send(method, path, body) {
    return api(path, {
      method,
      headers: { "Content-Type": "application/json", "X-PacketBuddy-Token": token, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
  }
  function showError(err) {
    const b = $("error-banner");
    if (!err) { b.hidden = true; return; }
    b.textContent = String(err.message || err);
    b.hidden = false;
  }

  // ---- theme ----
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function applyChartTheme() {
    if (!window.Chart) return;
    const muted = css("--muted"), line = css("--line");
    Chart.defaults.color = muted;
    Chart.defaults.borderColor = line;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    for (const c of Object.values(state.charts)) {
      for (const ds of c.data.datasets) {
        const col = css(ds.pbColor);
        ds.borderColor = col;
        ds.backgroundColor = ds.pbFill ? col + "33" : col;
      }
      // Resolved options are cached per chart: set the colours on each.
      for (const sc of Object.values(c.options.scales)) {
        sc.grid = Object.assign(sc.grid || {}, { color: line });
        sc.border = Object.assign(sc.border || {}, { color: line });
        sc.ticks = Object.assign(sc.ticks || {}, { color: muted });
      }
      c.options.plugins.legend.labels.color = muted;
      c.update("none");
    }
  }

  function makeBarChart(id, stacked) {
    const up = css("--up"), down = css("--down");
    return new Chart($(id), {
      type: "bar",
      data: { labels: [], datasets: [
        { label: "Sent", data: [], backgroundColor: up, borderColor: up, pbColor: "--up", stack: stacked ? "s" : undefined, borderRadius: 3 },
        { label: "Received", data: [], backgroundColor: down, borderColor: down, pbColor: "--down", stack: stacked ? "s" : undefined, borderRadius: 3 },
      ] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: stacked, beginAtZero: true, suggestedMax: 1000, ticks: { callback: (v) => formatShort(v), maxTicksLimit: 6 } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (c) => c.dataset.label + ": " + formatBytes(c.parsed.y) } },
        },
      },
    });
  }

  function makeLiveChart() {
    const up = css("--up"), down = css("--down");
    return new Chart($("live-chart"), {
      type: "line",
      data: { datasets: [
        { label: "Upload", data: [], borderColor: up, backgroundColor: up + "33", pbColor: "--up", pbFill: true, fill: true, tension: 0.35, pointRadius: 0, borderWidth: 2 },
        { label: "Download", data: [], borderColor: down, backgroundColor: down + "33", pbColor: "--down", pbFill: true, fill: true, tension: 0.35, pointRadius: 0, borderWidth: 2 },
      ] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: false, normalized: true,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { type: "linear", grid: { display: false }, ticks: { stepSize: 60000, maxTicksLimit: 6, maxRotation: 0, callback: (v) => hhmm(new Date(v)) } },
          // An idle line sits at the bottom of a 0-1 kB/s axis.
          y: { beginAtZero: true, suggestedMax: 1000, ticks: { callback: (v) => formatShort(v) + "/s", maxTicksLimit: 5 } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => items.length ? hhmmss(new Date(items[0].parsed.x)) : "", label: (c) => c.dataset.label + ": " + formatRate(c.parsed.y) } },
        },
      },
    });
  }

  // ---- live ----
  const maxLivePoints = 300;
  function pushLive(t, up, down) {
    const last = state.live[state.live.length - 1];
    if (last && last.t >= t) return;
    state.live.push({ t, up, down });
    while (state.live.length > maxLivePoints) state.live.shift();
  }
  function renderLive() {
    const c = state.charts.live;
    if (!c) return;
    // A rolling five-minute window ending at the newest point.
    const now = serverNow().getTime();
    const end = state.live.length ? Math.max(state.live[state.live.length - 1].t, now - 2000) : now;
    const cut = end - maxLivePoints * 1000;
    const pts = state.live.filter((p) => p.t >= cut);
    c.data.datasets[0].data = pts.map((p) => ({ x: p.t, y: p.up }));
    c.data.datasets[1].data = pts.map((p) => ({ x: p.t, y: p.down }));
    c.options.scales.x.min = cut;
    c.options.scales.x.max = end;
    c.update("none");
    $("live-chart").dataset.points = String(pts.length);
    const empty = $("live-empty");
    if (pts.length < 2) {
      empty.textContent = state.paused ? "Counting is paused." : "Waiting for the first readings…";
      empty.hidden = false;
    } else {
      empty.hidden = true;
    }
  }
  function setPaused(p) {
    state.paused = p;
    $("live-card").classList.toggle("paused", p);
    $("paused-note").hidden = !p;
    const pill = $("status-pill");
    pill.textContent = p ? "Paused" : "Counting";
    pill.className = "pill " + (p ? "paused" : "ok");
    for (const id of ["pause-btn", "pause-btn-2"]) {
      const b = $(id);
      b.textContent = p ? (id === "pause-btn" ? "Resume" : "Resume counting") : (id === "pause-btn" ? "Pause" : "Pause counting");
      b.setAttribute("aria-pressed", String(p));
      b.classList.toggle("warn", p);
    }
  }
  async function togglePause() {
    try {
      const r = await send("POST", p(state.paused ? "api/resume" : "api/pause"));
      setPaused(r.paused);
      showError(null);
    } catch (e) { showError(e); }
  }
  function showSpeed(up, down) {
    setText("speed-up", formatRate(up));
    setText("speed-down", formatRate(down));
  }
  function showToday(u) {
    setText("today-total", u.human_readable.total);
    setText("today-sent", u.human_readable.sent);
    setText("today-received", u.human_readable.received);
    setText("today-cost", u.cost.total.cost_formatted);
  }

  let source = null;
  function connectStream() {
    if (source) source.close();
    source = new EventSource(p("api/stream"));
    source.addEventListener("live", (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      state.sseEvents++;
      const t = new Date(ev.at).getTime();
      pushLive(t, ev.paused ? 0 : ev.up, ev.paused ? 0 : ev.down);
      if (ev.paused !== state.paused) setPaused(ev.paused);
      showSpeed(ev.paused ? 0 : ev.up, ev.paused ? 0 : ev.down);
      // The stream's totals are this device's; other scopes reload.
      if (ev.today && !state.device && !state.network) showToday(ev.today);
      if (ev.networks) showLiveNetworks(ev.networks);
      if (ev.sync) showSync(ev.sync);
      renderLive();
    });
    source.onerror = () => {
      const pill = $("status-pill");
      pill.textContent = "Reconnecting…";
      pill.className = "pill bad";
    };
    source.onopen = () => setPaused(state.paused);
  }

  // Relative URLs, so that the page works behind any loopback name.
  function p(path) { return path; }

  // ---- devices and networks scope ----
  // scoped adds the selected device and network to a usage request's
  // parameters.
  function scoped(params) {
    params = params || new URLSearchParams();
    if (state.device) params.set("device", state.device);
    const net = networkParam();
    if (net) params.set("network", net);
    return params;
  }
  // networkParam is network= for the selected network: its key, or for
  // the unknown network (key "") its label.
  function networkParam() {
    if (!state.network) return "";
    const key = state.network.slice(1);
    if (key) return key;
    const n = state.networks.find((x) => x.key === "");
    return n ? n.label : "Unknown";
  }
  function networkLabel(key) {
    const n = state.networks.find((x) => x.key === key) || state.liveNetworks.find((x) => x.key === key);
    return n ? n.label : key;
  }
  function deviceLabel(d) { return d.name || d.hostname || d.id.slice(0, 8); }
  function deviceName() {
    if (state.device === "all") return "All devices";
    if (!state.device) return "This device";
    const d = state.devices.find((x) => x.id === state.device);
    return d ? deviceLabel(d) : state.device;
  }
  // scopeName names the selection: the device when there are several,
  // and the network when one is chosen.
  function scopeName() {
    const parts = [];
    if (state.devices.length > 1 || state.device) parts.push(deviceName());
    if (state.network) parts.push(networkLabel(state.network.slice(1)));
    return parts.join(" · ");
  }
  function showScope() {
    const devices = state.devices.length > 1 || state.device !== "";
    const networks = state.networks.length > 1 || state.network !== "";
    $("device-select").hidden = !devices;
    $("network-select").hidden = !networks;
    $("scope-bar").querySelector("label").htmlFor = devices ? "device-select" : "network-select";
    $("scope-bar").hidden = !devices && !networks;
    const name = scopeName();
    setText("today-scope", name ? "· " + name : "");
  }
  function fillDeviceSelect() {
    const sel = $("device-select");
    sel.replaceChildren(new Option("This device", ""), new Option("All devices", "all"));
    for (const d of state.devices) {
      if (!d.local) sel.appendChild(new Option(deviceLabel(d), d.id));
    }
    if (state.device && state.device !== "all" && !state.devices.some((d) => d.id === state.device && !d.local)) state.device = "";
    sel.value = state.device;
    showScope();
  }
  function setDevice(id) {
    state.device = id;
    try { localStorage.setItem("pb-device", id); } catch (e) { /* private mode */ }
    $("device-select").value = id;
    showScope();
    updateExportLink();
    renderDevices();
    refresh();
  }
  function fillNetworkSelect() {
    const sel = $("network-select");
    sel.replaceChildren(new Option("All networks", ""));
    for (const n of state.networks) sel.appendChild(new Option(n.label, "=" + n.key));
    if (state.network && !state.networks.some((n) => "=" + n.key === state.network)) state.network = "";
    sel.value = state.network;
    showScope();
  }
  function setNetwork(value) {
    state.network = value;
    try { localStorage.setItem("pb-network", value); } catch (e) { /* private mode */ }
    $("network-select").value = value;
    showScope();
    updateExportLink();
    renderNetworks();
    refresh();
  }
  function ago(iso) {
    if (!iso) return "never";
    const now = serverNow(), t = new Date(iso), s = (now - t) / 1000;
    if (s < 90) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400 && isoDate(t) === isoDate(now)) return "today " + hhmm(t);
    return t.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  function cell(text, label, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (label) td.dataset.label = label;
    if (cls) td.className = cls;
    return td;
  }
  function renderDevices() {
    const tbody = $("devices-table").querySelector("tbody");
    // A reload must not take the keyboard focus away from a device.
    const focused = tbody.contains(document.activeElement) ? document.activeElement.dataset.device : null;
    tbody.replaceChildren();
    for (const d of state.devices) {
      const tr = document.createElement("tr");
      if (state.device === d.id || (d.local && state.device === "")) tr.className = "selected";
      const name = document.createElement("td");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "linkish";
      btn.textContent = deviceLabel(d);
      btn.title = "Show " + deviceLabel(d) + "'s usage";
      btn.dataset.device = d.id;
      btn.addEventListener("click", () => { setDevice(d.local ? "" : d.id); show("overview", true); });
      name.appendChild(btn);
      if (d.local) {
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = "this device";
        name.appendChild(tag);
      }
      if (d.hostname && d.hostname !== d.name) {
        const sub = document.createElement("span");
        sub.className = "sub";
        sub.textContent = d.hostname;
        name.appendChild(sub);
      }
      tr.append(name, cell(d.platform || "–", "Platform"), cell(d.local ? "counting now" : ago(d.last_seen), "Last seen"),
        cell(d.today.human_readable.total, "Today", "num"), cell(d.month.human_readable.total, "This month", "num"));
      tbody.appendChild(tr);
      if (focused === d.id) btn.focus();
    }
  }
  async function loadDevices() {
    const r = await api(p("api/devices"));
    state.devices = r.devices;
    fillDeviceSelect();
    renderDevices();
    setText("devices-all-today", r.all.today.human_readable.total);
    setText("devices-all-month", r.all.month.human_readable.total);
    const n = r.devices.length;
    setText("devices-line", n + (n === 1 ? " device" : " devices") + " · totals for " + r.today + " and " + monthName(r.today) + " (" + r.tz + ")");
    showSync(r.sync);
  }

  // ---- networks ----
  const kindNames = { wifi: "Wi-Fi", gateway: "Gateway", unknown: "Unknown" };
  // networkDetail says what identifies a network, when its label does not.
  function networkDetail(n) {
    if (n.kind === "wifi") {
      const ssid = n.key.slice("wifi:".length);
      return ssid === n.label ? "" : "Wi-Fi “" + ssid + "”";
    }
    if (n.kind === "gateway") return "router " + n.key.slice("gateway:".length);
    return n.key ? n.key : "not recognised, or counted before PacketBuddy told networks apart";
  }
  async function loadNetworks() {
    const q = new URLSearchParams();
    if (state.device) q.set("device", state.device);
    const r = await api(p("api/networks?" + q));
    state.networks = r.networks;
    fillNetworkSelect();
    if (state.view === "networks") {
      // This month per network, in the same device scope.
      const m = await api(p("api/month?" + q));
      state.networkMonth = m;
    }
    renderNetworks();
  }
  function renderNetworks() {
    const tbody = $("networks-table").querySelector("tbody");
    // Never pull the text field away from someone typing a name.
    if (state.renaming !== null) return;
    const focused = tbody.contains(document.activeElement) ? document.activeElement.dataset.action + "|" + document.activeElement.dataset.network : null;
    tbody.replaceChildren();
    const month = state.networkMonth;
    if (!state.networks.length) {
      row(tbody, [{ text: "No traffic recorded yet", span: 8 }], "none");
    }
    for (const n of state.networks) {
      const tr = document.createElement("tr");
      tr.dataset.network = n.key;
      if (state.network === "=" + n.key) tr.className = "selected";
      const name = document.createElement("td");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "linkish";
      btn.textContent = n.label;
      btn.title = "Show the usage on " + n.label;
      btn.dataset.action = "show";
      btn.dataset.network = n.key;
      btn.addEventListener("click", () => { setNetwork("=" + n.key); show("overview", true); });
      name.appendChild(btn);
      if (n.current) {
        const tag = document.createElement("span");
        tag.className = "tag now";
        tag.textContent = "connected now";
        name.appendChild(tag);
      }
      const detail = networkDetail(n);
      if (detail) {
        const sub = document.createElement("span");
        sub.className = "sub";
        sub.textContent = detail;
        name.appendChild(sub);
      }
      const m = month && month.by_network.find((x) => x.key === n.key);
      const act = document.createElement("td");
      act.className = "act";
      if (n.first_seen) {
        const rb = document.createElement("button");
        rb.type = "button";
        rb.className = "btn small";
        rb.textContent = "Rename";
        rb.setAttribute("aria-label", "Rename " + n.label);
        rb.dataset.action = "rename";
        rb.dataset.network = n.key;
        rb.addEventListener("click", () => startRename(tr, n));
        act.appendChild(rb);
      }
      tr.append(name, cell(kindNames[n.kind] || n.kind, "Type", "nowrap"), cell(n.first_seen ? ago(n.last_seen) : "just now", "Last used", "nowrap"),
        cell(m ? m.human_readable.total : "0 B", "This month", "num"), cell(n.human_readable.sent, "Sent", "num"),
        cell(n.human_readable.received, "Received", "num"), cell(n.human_readable.total, "Total", "num"), act);
      tbody.appendChild(tr);
      if (focused === "show|" + n.key) btn.focus();
      if (focused === "rename|" + n.key) act.firstChild && act.firstChild.focus();
    }
    const cur = state.networks.filter((n) => n.current).map((n) => n.label);
    setText("networks-line", state.networks.length + (state.networks.length === 1 ? " network" : " networks") +
      " · lifetime totals · " + deviceName() + (cur.length ? " · connected now: " + cur.join(", ") : ""));
  }
  // startRename turns a row's name into a small form.
  function startRename(tr, n) {
    state.renaming = n.key;
    const td = tr.cells[0];
    const form = document.createElement("form");
    form.className = "rename-form";
    const input = document.createElement("input");
    input.id = "rename-input";
    input.value = n.label;
    input.maxLength = 64;
    input.autocomplete = "off";
    input.setAttribute("aria-label", "New name for " + n.label);
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "btn primary small";
    save.textContent = "Save";
    save.id = "rename-save";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn small";
    cancel.textContent = "Cancel";
    const err = document.createElement("p");
    err.className = "rename-error";
    err.id = "rename-error";
    err.setAttribute("role", "alert");
    err.hidden = true;
    form.append(input, save, cancel, err);
    const done = (focusKey) => {
      state.renaming = null;
      renderNetworks();
      const b = $("networks-table").querySelector('button[data-action="show"][data-network="' + CSS.escape(focusKey) + '"]');
      if (b) b.focus();
    };
    cancel.addEventListener("click", () => done(n.key));
    input.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); done(n.key); } });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      save.disabled = true;
      try {
        const renamed = await send("POST", p("api/networks/rename"), { network: n.key ? n.key : n.label, label: input.value });
        const i = state.networks.findIndex((x) => x.key === renamed.key);
        if (i >= 0) state.networks[i].label = renamed.label;
        setText("networks-status", "Renamed to " + renamed.label + ".");
        $("networks-status").className = "ok";
        fillNetworkSelect();
        showLiveNetworks(state.liveNetworks.map((l) => l.key === renamed.key ? Object.assign({}, l, { label: renamed.label }) : l));
        done(renamed.key);
        refresh();
      } catch (ex) {
        err.textContent = String(ex.message || ex);
        err.hidden = false;
        save.disabled = false;
        input.focus();
      }
    });
    td.replaceChildren(form);
    input.focus();
    input.select();
  }
  // showLiveNetworks shows the networks the counted NICs are on now.
  function showLiveNetworks(nets) {
    const before = state.liveNetworks.map((n) => n.key).join("\n");
    state.liveNetworks = nets;
    const box = $("net-now");
    box.hidden = !nets.length;
    const many = nets.length > 1;
    setText("current-network", nets.map((n) => n.label + (many ? " (" + n.nics.join(", ") + ")" : "")).join(", "));
    $("current-network").title = nets.map((n) => (n.key || "unknown network") + " on " + n.nics.join(", ")).join("\n");
    // A network the list does not have yet (first used just now).
    if (before !== nets.map((n) => n.key).join("\n") && nets.some((n) => !state.networks.some((x) => x.key === n.key))) {
      loadNetworks().catch(showError);
    }
  }

  // ---- sync ----
  function syncStateText(sy) {
    if (!sy.configured) return "Not set up";
    if (!sy.enabled) return "Off";
    if (sy.state === "failing") {
      if (sy.permanent_error) return "Stopped: needs your attention";
      return "Failing" + (sy.next_retry ? " · retrying " + (isoDate(new Date(sy.next_retry)) === isoDate(serverNow()) ? "at " + hhmmss(new Date(sy.next_retry)) : new Date(sy.next_retry).toLocaleString()) : "");
    }
    return sy.syncing ? "Syncing…" : "On";
  }
  function showSync(sy) {
    if (!sy) return;
    const prev = state.sync;
    state.sync = sy;
    const tog = $("sync-enabled");
    tog.checked = sy.configured && sy.enabled;
    tog.disabled = !sy.configured;
    $("sync-now").disabled = !(sy.configured && sy.enabled) || sy.syncing;
    setText("sync-state", syncStateText(sy));
    setText("sync-last", sy.last_success ? ago(sy.last_success) : "never");
    setText("sync-pending", sy.pending_buckets + (sy.pending_buckets === 1 ? " record" : " records"));
    setText("sync-devices", sy.devices_seen ? String(sy.devices_seen) : "–");
    const err = $("sync-error");
    err.textContent = sy.state === "failing" ? sy.last_error || "" : "";
    err.hidden = !err.textContent;
    setText("sync-help", sy.configured
      ? "Keeps the usage of all your devices together in one PostgreSQL database, so that each device shows every device's totals, also offline."
      : "Not set up: give every device the same PostgreSQL database (Neon or any PostgreSQL 13+) by setting the PACKETBUDDY_DATABASE_URL environment variable, or database_url in the [sync] section of the configuration file, then restart PacketBuddy and switch sync on here.");
    const off = $("sync-off-card");
    off.hidden = sy.configured && sy.enabled;
    if (!sy.configured) {
      setText("sync-off-title", "Sync is not set up");
      setText("sync-off-text", "Only the devices this one already knows are shown. To see all your devices here, give each of them the same PostgreSQL database: set the PACKETBUDDY_DATABASE_URL environment variable, or database_url in the [sync] section of the configuration file, restart PacketBuddy, then turn sync on in Settings.");
    } else if (!sy.enabled) {
      setText("sync-off-title", "Sync is off");
      setText("sync-off-text", "Turn it on in Settings to share this device's usage with your sync database and to see your other devices here. Devices shown below are as of the last sync.");
    }
    if (state.health) {
      state.health.sync = sy;
      setText("about-line", "Counting since " + new Date(state.health.counting_since).toLocaleString() + " · database " + formatBytes(state.health.database_bytes) + " · sync " + sy.state);
    }
    // A finished cycle may have pulled other devices' usage.
    if (prev && (prev.last_success || "") !== (sy.last_success || "")) {
      refresh();
      loadDevices().catch(showError);
    }
  }
  async function toggleSync() {
    const tog = $("sync-enabled"), status = $("sync-status");
    const want = tog.checked;
    tog.disabled = true;
    try {
      const sy = await send("POST", p("api/sync"), { enabled: want });
      showSync(sy);
      status.textContent = want ? "Sync is on." : "Sync is off.";
      status.className = "ok";
    } catch (err) {
      tog.checked = !want;
      status.textContent = String(err.message || err);
      status.className = "bad";
    } finally {
      tog.disabled = !(state.sync && state.sync.configured);
    }
  }
  async function syncNow() {
    const status = $("sync-status"), btn = $("sync-now");
    btn.disabled = true;
    status.textContent = "Syncing…";
    status.className = "";
    try {
      showSync(await send("POST", p("api/sync/now")));
      status.textContent = "Synced.";
      status.className = "ok";
      await Promise.all([refresh(), loadDevices()]);
    } catch (err) {
      status.textContent = String(err.message || err);
      status.className = "bad";
      loadDevices().catch(showError);
    } finally {
      btn.disabled = !(state.sync && state.sync.configured && state.sync.enabled);
    }
  }

  // ---- overview ----
  function counting() {
    const h = state.health;
    if (!h) return "";
    const since = new Date(h.counting_since);
    return isoDate(since) === isoDate(serverNow()) ? hhmm(since) : since.toLocaleString();
  }
  function fillBars(chart, series, labelFn) {
    chart.data.labels = series.map(labelFn);
    chart.data.datasets[0].data = series.map((s) => s.bytes_sent);
    chart.data.datasets[1].data = series.map((s) => s.bytes_received);
    chart.update();
    chart.canvas.dataset.points = String(series.length);
  }
  function emptyState(id, usage) {
    const el = $(id);
    if (usage.total_bytes > 0) { el.hidden = true; return; }
    el.textContent = "No data yet — counting since " + counting();
    el.hidden = false;
  }
  async function loadOverview() {
    const q = scoped().toString();
    const [today, month] = await Promise.all([api(p("api/today?" + q)), api(p("api/month?" + q))]);
    showToday(today);
    fillBars(state.charts.hourly, today.series, (s) => s.label);
    emptyState("hourly-empty", today);
    setText("month-title", "This month · " + monthName(month.period.start) + (state.device || state.network ? " · " + scopeName() : ""));
    setText("month-total", month.human_readable.total);
    setText("month-cost", month.cost.total.cost_formatted);
    setText("month-projection", month.projection ? month.projection.human_readable.total : "after the first hour");
    setText("month-projection-cost", month.projection ? month.projection.cost.total.cost_formatted : "–");
  }
  async function loadLive() {
    const live = await api(p("api/live"));
    state.live = [];
    for (const pt of live.points) pushLive(new Date(pt.t).getTime(), pt.up, pt.down);
    setPaused(live.paused);
    showSpeed(live.paused ? 0 : live.up, live.paused ? 0 : live.down);
    showLiveNetworks(live.networks || []);
    renderLive();
  }

  // ---- history ----
  function row(tbody, cells, cls) {
    const tr = document.createElement("tr");
    if (cls) tr.className = cls;
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      td.textContent = c.text;
      if (c.num) td.className = "num";
      if (c.span) td.colSpan = c.span;
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function fillTable(id, items, cellsFn, emptyText, cols) {
    const tbody = $(id).querySelector("tbody");
    tbody.replaceChildren();
    if (!items.length) { row(tbody, [{ text: emptyText, span: cols }], "none"); return; }
    for (const it of items) row(tbody, cellsFn(it));
  }
  function historyQuery() {
    const params = scoped();
    const nic = $("hist-nic").value;
    if (nic) params.set("nic", nic);
    return params;
  }
  async function loadHistory(kind) {
    const params = historyQuery();
    let path, title;
    if (kind === "month") {
      const m = $("hist-month").value;
      if (m) params.set("month", m);
      path = "api/month?" + params;
    } else {
      params.set("start", $("range-start").value);
      params.set("end", $("range-end").value);
      path = "api/range?" + params;
    }
    const r = await api(p(path));
    title = kind === "month" ? monthName(r.period.start) : r.period.start + " to " + r.period.end;
    setText("history-title", title);
    $("range-start").value = r.period.start;
    $("range-end").value = r.period.end;
    setText("range-total", r.human_readable.total);
    setText("range-cost", r.cost.total.cost_formatted);
    fillBars(state.charts.history, r.series, (s) => s.label.slice(5));
    emptyState("history-empty", r);
    fillTable("network-table", r.by_network, (n) => [{ text: n.label }, { text: n.human_readable.sent, num: true }, { text: n.human_readable.received, num: true }, { text: n.human_readable.total, num: true }], "No traffic in this period", 4);
    fillTable("nic-table", r.by_nic, (n) => [{ text: n.nic }, { text: n.human_readable.sent, num: true }, { text: n.human_readable.received, num: true }, { text: n.human_readable.total, num: true }], "No traffic in this period", 4);
    $("gaps-card").hidden = !r.gaps.length;
    fillTable("gaps-table", r.gaps, (g) => [{ text: g.nic }, { text: new Date(g.from).toLocaleString() }, { text: new Date(g.to).toLocaleString() }, { text: formatBytes(g.bytes_sent + g.bytes_received), num: true }], "", 4);
  }
  async function loadLifetime() {
    const s = await api(p("api/summary?" + historyQuery()));
    setText("lifetime-total", s.human_readable.total);
    setText("lifetime-detail", "Sent " + s.human_readable.sent + " · received " + s.human_readable.received + " · " + s.cost.total.cost_formatted + " since " + s.period.start);
    fillTable("top-table", s.top_days || [], (d) => [{ text: d.date }, { text: d.human_readable.total, num: true }, { text: d.cost.total.cost_formatted, num: true }], "No data yet", 3);
  }
  async function loadNICs() {
    const r = await api(p("api/nics"));
    const sel = $("hist-nic");
    const keep = sel.value;
    sel.replaceChildren(new Option("All interfaces", ""));
    for (const n of r.nics) sel.appendChild(new Option(n, n));
    sel.value = r.nics.includes(keep) ? keep : "";
  }

  // ---- export ----
  function updateExportLink() {
    const params = scoped(new URLSearchParams({ format: $("export-format").value }));
    if ($("export-start").value) params.set("start", $("export-start").value);
    if ($("export-end").value) params.set("end", $("export-end").value);
    $("export-download").href = "api/export?" + params;
  }

  // ---- settings ----
  function fillSettings(s) {
    $("set-currency").value = s.currency;
    $("set-code").value = s.currency_code;
    $("set-rate-sent").value = s.rate_sent_per_gb;
    $("set-rate-received").value = s.rate_received_per_gb;
    $("set-units").value = s.units;
  }
  async function saveSettings(e) {
    e.preventDefault();
    const status = $("settings-status");
    const num = (id) => Number($(id).value);
    for (const id of ["set-rate-sent", "set-rate-received"]) {
      if ($(id).value === "" || !(num(id) >= 0)) {
        status.textContent = "Rates must be numbers of 0 or more.";
        status.className = "bad";
        $(id).focus();
        return;
      }
    }
    try {
      const saved = await send("PUT", p("api/settings"), {
        currency: $("set-currency").value, currency_code: $("set-code").value,
        rate_sent_per_gb: num("set-rate-sent"), rate_received_per_gb: num("set-rate-received"),
        units: $("set-units").value,
      });
      state.prefs = saved;
      fillSettings(saved);
      status.textContent = "Saved.";
      status.className = "ok";
      refresh();
    } catch (err) {
      status.textContent = String(err.message || err);
      status.className = "bad";
    }
  }

  // ---- tabs ----
  const views = ["overview", "history", "networks", "devices", "export", "settings"];
  function show(view, focus) {
    state.view = view;
    for (const v of views) {
      const tab = $("tab-" + v);
      const on = v === view;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $("view-" + v).hidden = !on;
    }
    if (focus) $("tab-" + view).focus();
    if (location.hash !== "#" + view) history.replaceState(null, "", "#" + view);
    if (view === "history") Promise.all([loadHistory(state.historyKind || "month"), loadLifetime()]).catch(showError);
    if (view === "devices") loadDevices().catch(showError);
    if (view === "networks") loadNetworks().catch(showError);
  }
  function setupTabs() {
    for (const v of views) {
      const tab = $("tab-" + v);
      tab.addEventListener("click", () => show(v));
      tab.addEventListener("keydown", (e) => {
        const i = views.indexOf(v);
        let j = -1;
        if (e.key === "ArrowRight") j = (i + 1) % views.length;
        if (e.key === "ArrowLeft") j = (i + views.length - 1) % views.length;
        if (e.key === "Home") j = 0;
        if (e.key === "End") j = views.length - 1;
        if (j >= 0) { e.preventDefault(); show(views[j], true); }
      });
    }
  }

  async function refresh() {
    try {
      // The network list first: it says whether the chosen network is
      // still one of the device's.
      await loadNetworks();
      await loadOverview();
      if (state.view === "history") await Promise.all([loadHistory(state.historyKind || "month"), loadLifetime()]);
      if (state.view === "devices") await loadDevices();
      showError(null);
    } catch (e) { showError(e); }
  }

  // setClock takes the server's clock and the default dates of the
  // history and export views (this month, in the server's zone) from
  // /api/health.
  function setClock(health) {
    state.clockSkew = Date.parse(health.now) - Date.now();
    $("hist-month").value = health.today.slice(0, 7);
    $("export-start").value = health.today.slice(0, 8) + "01";
    $("export-end").value = health.today;
  }

  async function start() {
    applyChartTheme();
    state.charts.live = makeLiveChart();
    state.charts.hourly = makeBarChart("hourly-chart", true);
    state.charts.history = makeBarChart("history-chart", true);
    applyChartTheme();
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", applyChartTheme);
    setupTabs();
    $("pause-btn").addEventListener("click", togglePause);
    $("pause-btn-2").addEventListener("click", togglePause);
    $("range-form").addEventListener("submit", (e) => {
      e.preventDefault();
      state.historyKind = "range";
      Promise.all([loadHistory("range"), loadLifetime()]).catch(showError);
    });
    $("hist-month").addEventListener("change", () => {
      state.historyKind = "month";
      loadHistory("month").catch(showError);
    });
    $("hist-nic").addEventListener("change", () => Promise.all([loadHistory(state.historyKind || "month"), loadLifetime()]).catch(showError));
    for (const id of ["export-start", "export-end", "export-format"]) $(id).addEventListener("change", updateExportLink);
    $("settings-form").addEventListener("submit", saveSettings);
    $("device-select").addEventListener("change", (e) => setDevice(e.target.value));
    $("network-select").addEventListener("change", (e) => setNetwork(e.target.value));
    $("sync-enabled").addEventListener("change", toggleSync);
    $("sync-now").addEventListener("click", syncNow);
    $("sync-off-link").addEventListener("click", (e) => { e.preventDefault(); show("settings"); $("sync-enabled").focus(); });
    try { state.device = localStorage.getItem("pb-device") || ""; } catch (e) { state.device = ""; }
    try { state.network = localStorage.getItem("pb-network") || ""; } catch (e) { state.network = ""; }

    updateExportLink();
    try {
      const [health, prefs] = await Promise.all([api(p("api/health")), api(p("api/settings"))]);
      state.health = health;
      setClock(health);
      state.prefs = prefs;
      fillSettings(prefs);
      setText("foot-version", "PacketBuddy " + health.version);
      setText("about-line", "Counting since " + new Date(health.counting_since).toLocaleString() + " · database " + formatBytes(health.database_bytes) + " · sync " + health.sync.state);
      // The device and network lists first: they say whether a saved
      // device or network still exists.
      await loadDevices();
      await loadNetworks();
      updateExportLink();
      await Promise.all([loadLive(), loadOverview(), loadNICs()]);
      showError(null);
    } catch (e) { showError(e); }
    connectStream();
    const hash = location.hash.slice(1);
    show(views.includes(hash) ? hash : "overview");
    // Totals come with every stream event; the charts refresh each minute.
    setInterval(refresh, 60000);
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
