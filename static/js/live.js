/* Live meeting client shared by the chair console, tablets and the room screen.
 * Contract (docs/realtime.md): join → full state with a version; every change is pushed as
 * "meeting:state" with a higher version; on reconnect or a version gap, ask "meeting:sync".
 * Written in ES5 so it also runs on old Android WebViews. */
(function (window, document) {
  "use strict";

  var STATUS_TEXT = { draft: "Chưa bắt đầu", live: "Đang họp", ended: "Đã kết thúc" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function currentItem(state) {
    for (var i = 0; i < state.items.length; i++) {
      if (state.items[i].id === state.current_item_id) { return state.items[i]; }
    }
    return null;
  }

  function connect(options) {
    var meetingId = options.meetingId;
    var state = options.initialState || null;
    var conn = document.getElementById("conn");
    var socket = window.io({ transports: ["websocket", "polling"], auth: options.auth || {} });

    function setConn(name, text) {
      if (!conn) { return; }
      conn.setAttribute("data-state", name);
      conn.textContent = text;
    }

    function apply(next) {
      if (!next || next.meeting_id !== meetingId) { return; }
      if (state && next.version <= state.version && state.__live) { return; }
      next.__live = true;
      state = next;
      options.onState(state);
    }

    function requestState(event) {
      socket.emit(event, { meeting_id: meetingId }, function (ack) {
        if (ack && ack.ok) {
          apply(ack.state);
          setConn("online", "Đã kết nối");
        } else {
          setConn("error", (ack && ack.error && ack.error.message) || "Không kết nối được");
        }
      });
    }

    socket.on("connect", function () { requestState("meeting:join"); });
    socket.on("disconnect", function (reason) {
      setConn("offline", "Mất kết nối, đang thử lại…");
      // The server cut us off (e.g. the link was revoked): socket.io will not retry on its own.
      // Ask once more; the server's answer to the handshake says whether access still holds.
      if (reason === "io server disconnect") { socket.connect(); }
    });
    socket.on("connect_error", function (err) {
      if (err && err.message === "unauthorized") {
        setConn("revoked", "Liên kết đã hết hiệu lực. Vui lòng quét lại mã QR hoặc liên hệ thư ký.");
        socket.disconnect();
        return;
      }
      setConn("offline", "Mất kết nối, đang thử lại…");
    });
    socket.on("meeting:state", function (next) {
      if (state && next.version > state.version + 1) {
        requestState("meeting:sync"); // a gap: fetch the whole state rather than trust order
      }
      apply(next);
    });

    if (state) { options.onState(state); }
    var connection = {
      socket: socket,
      getState: function () { return state; }
    };
    window.ECabinetLive.connection = connection; // one per page; tests inspect it
    return connection;
  }

  function renderCommon(state) {
    var title = document.getElementById("meeting-title");
    if (title) { title.textContent = state.title; }
    var status = document.getElementById("meeting-status");
    if (status) {
      status.setAttribute("data-status", state.status);
      status.textContent = STATUS_TEXT[state.status] || state.status;
    }
    var item = currentItem(state);
    var current = document.getElementById("current-title");
    if (current) {
      current.textContent = item ? item.title : (state.status === "ended" ? "Phiên họp đã kết thúc" : "Chưa bắt đầu");
    }
    var meta = document.getElementById("current-meta");
    if (meta) {
      meta.textContent = item && item.presenter ? "Trình bày: " + item.presenter : "";
    }
    var position = document.getElementById("current-position");
    if (position) {
      position.textContent = item ? "Mục " + item.label + " · " + (item.position + 1) + "/" + state.items.length : "";
    }
  }

  function renderAgenda(list, state, onClick) {
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    for (var i = 0; i < state.items.length; i++) {
      var item = state.items[i];
      var li = el("li", (item.parent_id ? "sub-item" : "top-item") + (item.id === state.current_item_id ? " current" : ""));
      li.setAttribute("data-item-id", String(item.id));
      if (item.id === state.current_item_id) { li.setAttribute("aria-current", "step"); }
      li.appendChild(el("span", "item-number", item.number + "."));
      li.appendChild(el("span", "item-title", item.title));
      if (item.presenter) { li.appendChild(el("span", "item-meta", item.presenter)); }
      if (onClick) {
        li.setAttribute("role", "button");
        li.setAttribute("tabindex", "0");
        li.addEventListener("click", onClick.bind(null, item));
      }
      list.appendChild(li);
    }
  }

  function readInitialState() {
    var node = document.getElementById("initial-state");
    return node ? JSON.parse(node.textContent) : null;
  }

  window.ECabinetLive = {
    connect: connect,
    el: el,
    currentItem: currentItem,
    renderCommon: renderCommon,
    renderAgenda: renderAgenda,
    readInitialState: readInitialState
  };
})(window, document);
