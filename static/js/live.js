/* Live meeting client shared by the chair console, tablets and the room screen.
 * Contract (docs/realtime.md): join → full state with a version; every change is pushed as
 * "meeting:state" with the next version; a client applies only the next version and asks
 * "meeting:sync" on a gap, on reconnect and when the network comes back.
 * Written in ES5 (checked in CI) so it also runs on Android 5-era WebViews. */
(function (window, document) {
  "use strict";

  var STATUS_TEXT = {
    draft: "Chưa bắt đầu",
    published: "Chưa bắt đầu",
    live: "Đang họp",
    ended: "Đã kết thúc",
    archived: "Đã kết thúc"
  };
  // Short waits between tries: a tablet back on the Wi-Fi must show the right item within
  // 2 s, and socket.io's default (up to 5 s between tries) misses that.
  var RECONNECT_DELAY_MS = 300;
  var RECONNECT_MAX_MS = 1500;
  var SYNC_TIMEOUT_MS = 1500; // an answer slower than this means the socket is dead

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) {
    while (node && node.firstChild) { node.removeChild(node.firstChild); }
  }

  function currentItem(state) {
    for (var i = 0; i < state.items.length; i++) {
      if (state.items[i].id === state.current_item_id) { return state.items[i]; }
    }
    return null;
  }

  function store(key, value) {
    // Private mode or a WebView without DOM storage: remember nothing rather than fail.
    try {
      if (value === undefined) { return window.localStorage.getItem(key); }
      if (value === null) { window.localStorage.removeItem(key); } else { window.localStorage.setItem(key, value); }
    } catch (e) { /* not remembered */ }
    return null;
  }

  /* The clock: every state carries server_time (epoch ms); timers run on the server's clock,
   * whatever the tablet's own clock says. */
  var clockOffset = 0;

  function noteServerTime(state) {
    if (state && typeof state.server_time === "number") {
      clockOffset = state.server_time - new Date().getTime();
    }
  }

  function serverNow() { return new Date().getTime() + clockOffset; }

  function elapsedSeconds(timer) {
    if (!timer) { return 0; }
    var seconds = timer.spent_seconds;
    if (timer.running_since) { seconds += Math.max(0, (serverNow() - timer.running_since) / 1000); }
    return Math.floor(seconds);
  }

  function pad2(n) { return n < 10 ? "0" + n : String(n); }

  function formatSeconds(total) {
    total = Math.max(0, Math.floor(total));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    return (h ? h + ":" + pad2(m) : String(m)) + ":" + pad2(s);
  }

  function connect(options) {
    var meetingId = options.meetingId;
    var state = options.initialState || null;
    var conn = document.getElementById("conn");
    var socket = window.io({
      transports: ["websocket", "polling"],
      auth: options.auth || {},
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_MAX_MS,
      randomizationFactor: 0.3,
      timeout: 5000
    });
    var revoked = false;
    noteServerTime(state);

    function setConn(name, text) {
      if (!conn) { return; }
      conn.setAttribute("data-state", name);
      conn.textContent = text;
      document.documentElement.setAttribute("data-conn", name);
    }

    function show(next) {
      noteServerTime(next);
      state = next;
      options.onState(state);
    }

    function applyFull(next) {
      // A whole state (join, sync): newer or equal replaces what we have.
      if (!next || next.meeting_id !== meetingId) { return; }
      if (state && state.__live && next.version < state.version) { return; }
      next.__live = true;
      show(next);
    }

    // `probe`: the browser says the network is back while the socket looks open; an answer
    // slower than SYNC_TIMEOUT_MS means it is dead. Joins after a connect are never timed:
    // a room of tablets reconnecting at once to a busy server must not start over and over.
    function requestState(event, probe) {
      var sent = new Date().getTime();
      var answered = false;
      var timer = probe ? window.setTimeout(function () {
        if (!answered && socket.connected) { restart(); }
      }, SYNC_TIMEOUT_MS) : null;
      socket.emit(event, { meeting_id: meetingId }, function (ack) {
        answered = true;
        if (timer) { window.clearTimeout(timer); }
        if (ack && ack.ok) {
          applyFull(ack.state);
          setConn("online", "Đã kết nối");
          connection.lastSyncMs = new Date().getTime() - sent;
        } else {
          setConn("error", (ack && ack.error && ack.error.message) || "Không kết nối được");
        }
      });
    }

    function restart() {
      if (revoked) { return; }
      socket.disconnect();
      socket.connect();
    }

    function cameBack() {
      // The browser says the network is back (or the page is shown again): do not wait for
      // the next retry. An open socket is asked for the state; one that cannot answer is
      // replaced.
      if (revoked) { return; }
      if (socket.connected) { requestState("meeting:sync", true); } else { restart(); }
    }

    socket.on("connect", function () { requestState("meeting:join"); });
    socket.on("disconnect", function (reason) {
      if (revoked) { return; }
      setConn("offline", "Mất kết nối, đang kết nối lại…");
      // The server cut us off (e.g. the link was revoked): socket.io will not retry on its own.
      // Ask once more; the server's answer to the handshake says whether access still holds.
      if (reason === "io server disconnect") { socket.connect(); }
    });
    socket.on("connect_error", function (err) {
      if (err && err.message === "unauthorized") {
        revoked = true;
        setConn("revoked", options.revokedText || "Liên kết đã hết hiệu lực. Vui lòng quét lại mã QR hoặc liên hệ thư ký.");
        socket.disconnect();
        if (options.onRevoked) { options.onRevoked(); }
        return;
      }
      setConn("offline", "Mất kết nối, đang kết nối lại…");
      // Refused for another reason (the server busy, rate_limited): socket.io does not try
      // again by itself after a refusal, so try again shortly, at a random moment.
      if (!socket.active) {
        window.setTimeout(function () { if (!revoked && !socket.connected) { socket.connect(); } }, 1000 + Math.random() * 2000);
      }
    });
    socket.on("meeting:state", function (next) {
      if (!next || next.meeting_id !== meetingId) { return; }
      if (state && state.__live) {
        if (next.version <= state.version) { return; } // old news
        if (next.version > state.version + 1) {
          requestState("meeting:sync"); // a gap: fetch the whole state rather than trust order
          return;
        }
      }
      next.__live = true;
      show(next);
    });
    if (options.onPresence) { socket.on("meeting:presence", options.onPresence); }
    if (window.addEventListener) {
      window.addEventListener("online", cameBack);
      window.addEventListener("offline", function () {
        if (!revoked) { setConn("offline", "Mất kết nối, đang kết nối lại…"); }
      });
      document.addEventListener("visibilitychange", function () {
        if (!document.hidden) { cameBack(); }
      });
    }

    if (state) { options.onState(state); }
    var connection = {
      socket: socket,
      lastSyncMs: null,
      getState: function () { return state; },
      emit: function (event, data, callback) {
        socket.emit(event, data || {}, callback || function () {});
      }
    };
    window.ECabinetLive.connection = connection; // one per page; tests inspect it
    return connection;
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text; }
    return node;
  }

  function renderCommon(state) {
    setText("meeting-title", state.title);
    var status = document.getElementById("meeting-status");
    if (status) {
      var key = state.status === "live" && state.paused ? "paused" : state.status;
      status.setAttribute("data-status", key);
      status.textContent = key === "paused" ? "Tạm dừng" : (STATUS_TEXT[state.status] || state.status);
    }
    var item = currentItem(state);
    var waiting = state.status === "ended" || state.status === "archived" ? "Phiên họp đã kết thúc" : "Phiên họp chưa bắt đầu";
    setText("current-title", item ? item.title : waiting);
    setText("current-meta", item && item.presenter ? "Trình bày: " + item.presenter : "");
    setText("current-position", item ? "Mục " + item.label + " · " + (item.position + 1) + "/" + state.items.length : "");
    var banner = document.getElementById("announcement");
    if (banner) {
      banner.textContent = state.announcement || "";
      banner.hidden = !state.announcement;
    }
    var paused = document.getElementById("paused-banner");
    if (paused) { paused.hidden = !(state.status === "live" && state.paused); }
    renderTimer(state);
  }

  /* #timer shows the current item's time, and the planned time with any overrun. */
  function renderTimer(state) {
    var node = document.getElementById("timer");
    if (!node) { return; }
    var timer = state && state.status === "live" ? state.timer : null;
    if (!timer) {
      node.hidden = true;
      node.removeAttribute("data-overrun");
      return;
    }
    node.hidden = false;
    var spent = elapsedSeconds(timer);
    var text = formatSeconds(spent);
    var over = timer.planned_seconds ? spent - timer.planned_seconds : 0;
    if (timer.planned_seconds) {
      text += " / " + formatSeconds(timer.planned_seconds);
      if (over > 0) { text += " (quá " + formatSeconds(over) + ")"; }
    }
    node.textContent = text;
    node.setAttribute("data-seconds", String(spent));
    node.setAttribute("data-running", timer.running_since ? "true" : "false");
    if (over > 0) { node.setAttribute("data-overrun", "true"); } else { node.removeAttribute("data-overrun"); }
  }

  function tickTimer(getState) {
    window.setInterval(function () {
      var state = getState();
      if (state) { renderTimer(state); }
    }, 500);
  }

  function renderAgenda(list, state, decorate) {
    if (!list) { return; }
    clear(list);
    for (var i = 0; i < state.items.length; i++) {
      var item = state.items[i];
      var current = item.id === state.current_item_id;
      var li = el("li", (item.parent_id ? "sub-item" : "top-item") + (current ? " current" : ""));
      li.setAttribute("data-item-id", String(item.id));
      if (current) { li.setAttribute("aria-current", "step"); }
      li.appendChild(el("span", "item-number", item.number + "."));
      li.appendChild(el("span", "item-title", item.title));
      if (item.presenter) { li.appendChild(el("span", "item-meta", item.presenter)); }
      if (decorate) { decorate(li, item); }
      list.appendChild(li);
    }
  }

  function readInitialState() {
    var node = document.getElementById("initial-state");
    return node ? JSON.parse(node.textContent) : null;
  }

  function onKey(handler) {
    document.addEventListener("keydown", function (event) {
      var target = event.target || {};
      var tag = (target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) { return; }
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (handler(event.key || "", event) === true && event.preventDefault) { event.preventDefault(); }
    });
  }

  window.ECabinetLive = {
    connect: connect,
    el: el,
    clear: clear,
    store: store,
    currentItem: currentItem,
    renderCommon: renderCommon,
    renderTimer: renderTimer,
    tickTimer: tickTimer,
    renderAgenda: renderAgenda,
    readInitialState: readInitialState,
    elapsedSeconds: elapsedSeconds,
    formatSeconds: formatSeconds,
    serverNow: serverNow,
    onKey: onKey
  };
})(window, document);
