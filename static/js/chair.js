/* Chair console: big buttons and keyboard shortcuts call the HTTP API; the page follows the
 * pushed state like every tablet. Live agenda edits, the announcement and presenter mode
 * use the same API. ES5. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  var meetingId = parseInt(app.getAttribute("data-meeting-id"), 10);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var errorBox = document.getElementById("control-error");
  var busy = false;
  var connection = null;

  function byId(id) { return document.getElementById(id); }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function request(method, url, body, done) {
    return send(method, url, body, function (ok, xhr) { if (done) { done(ok, xhr); } });
  }

  function send(method, url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.onload = function () {
      if (xhr.status >= 400) {
        var message = "Không thực hiện được.";
        try { message = JSON.parse(xhr.responseText).error.message; } catch (e) { /* keep default */ }
        showError(message);
        done(false, xhr);
        return;
      }
      done(true, xhr);
    };
    xhr.onerror = function () { showError("Mất kết nối tới máy chủ."); done(false, xhr); };
    xhr.send(method === "GET" ? null : JSON.stringify(body || {}));
  }

  function control(action, body, done) {
    if (busy) { return; } // one control at a time: a double tap moves one item, not two
    busy = true;
    showError("");
    request("POST", "/api/v1/meetings/" + meetingId + "/live/" + action, body, function (ok) {
      busy = false;
      if (done) { done(ok); }
    });
  }

  function state() { return connection ? connection.getState() : Live.readInitialState(); }

  function itemClock(item, current) {
    var spent = item.spent_seconds;
    if (current && current.timer && current.timer.item_id === item.id) {
      spent = Live.elapsedSeconds(current.timer);
    }
    var text = Live.formatSeconds(spent);
    if (item.duration_minutes) { text += " / " + Live.formatSeconds(item.duration_minutes * 60); }
    return { text: text, over: item.duration_minutes ? spent > item.duration_minutes * 60 : false };
  }

  function siblings(items, item) {
    var found = [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].parent_id === item.parent_id) { found.push(items[i]); }
    }
    return found;
  }

  function move(item, delta) {
    var group = siblings(state().items, item);
    var index = -1;
    for (var i = 0; i < group.length; i++) { if (group[i].id === item.id) { index = i; } }
    var target = index + delta;
    if (index < 0 || target < 0 || target >= group.length) { return; }
    showError("");
    request("POST", "/api/v1/agenda/" + item.id + "/move", { position: target });
  }

  // The item being edited, with what has been typed: pushes re-draw the agenda (every
  // tablet's change, a tick of presence), and the form must survive them.
  var editing = null;

  function startEditing(item) {
    editing = {
      id: item.id,
      title: item.title,
      minutes: item.duration_minutes ? String(item.duration_minutes) : "",
      fresh: true
    };
  }

  function editItem(li, item) {
    if (!editing || editing.id !== item.id) { startEditing(item); }
    var form = Live.el("form", "inline-edit");
    var title = Live.el("input");
    title.value = editing.title;
    title.maxLength = 300;
    title.setAttribute("aria-label", "Nội dung");
    var minutes = Live.el("input");
    minutes.type = "number";
    minutes.min = "1";
    minutes.max = "1440";
    minutes.value = editing.minutes;
    minutes.setAttribute("aria-label", "Thời lượng (phút)");
    var save = Live.el("button", "primary", "Lưu");
    save.type = "submit";
    var cancel = Live.el("button", "", "Hủy");
    cancel.type = "button";
    form.appendChild(title);
    form.appendChild(minutes);
    form.appendChild(save);
    form.appendChild(cancel);
    title.addEventListener("input", function () { editing.title = title.value; });
    minutes.addEventListener("input", function () { editing.minutes = minutes.value; });
    form.addEventListener("click", function (event) { event.stopPropagation(); });
    cancel.addEventListener("click", function () { editing = null; render(state()); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { title: title.value };
      body.duration_minutes = minutes.value ? parseInt(minutes.value, 10) : null;
      request("PATCH", "/api/v1/agenda/" + item.id, body, function (ok) {
        if (ok) { editing = null; render(state()); }
      });
    });
    li.appendChild(form);
    if (editing.fresh) { editing.fresh = false; title.focus(); }
  }

  function decorate(current) {
    return function (li, item) {
      var clock = itemClock(item, current);
      var time = Live.el("span", "item-clock" + (clock.over ? " over" : ""), clock.text);
      time.setAttribute("data-item-clock", String(item.id));
      li.appendChild(time);
      var tools = Live.el("span", "item-tools");
      var up = Live.el("button", "small", "▲");
      up.setAttribute("aria-label", "Chuyển lên");
      var down = Live.el("button", "small", "▼");
      down.setAttribute("aria-label", "Chuyển xuống");
      var edit = Live.el("button", "small", "Sửa");
      edit.setAttribute("data-edit-item", String(item.id));
      up.addEventListener("click", function (event) { event.stopPropagation(); move(item, -1); });
      down.addEventListener("click", function (event) { event.stopPropagation(); move(item, 1); });
      edit.addEventListener("click", function (event) {
        event.stopPropagation();
        editing = null; // one form at a time: the agenda is drawn again with this one open
        startEditing(item);
        render(state());
      });
      tools.appendChild(up);
      tools.appendChild(down);
      tools.appendChild(edit);
      li.appendChild(tools);
      if (editing && editing.id === item.id) { editItem(li, item); } // kept across pushes
      li.setAttribute("role", "button");
      li.setAttribute("tabindex", "0");
      li.addEventListener("click", function () {
        var now = state();
        if (now.status === "live" && item.id !== now.current_item_id) {
          control("jump", { item_id: item.id });
        }
      });
    };
  }

  function documentById(current, id) {
    for (var i = 0; i < current.documents.length; i++) {
      if (current.documents[i].id === id) { return current.documents[i]; }
    }
    return null;
  }

  function renderPresenting(current) {
    var shown = current.presenting;
    var doc = shown ? documentById(current, shown.document_id) : null;
    byId("presenting-box").hidden = !doc;
    if (doc) {
      byId("presenting-title").textContent = doc.title;
      byId("presenting-page").textContent = shown.page + "/" + doc.page_count;
      byId("btn-present-prev").disabled = shown.page <= 1;
      byId("btn-present-next").disabled = shown.page >= doc.page_count;
    }
    var list = byId("present-documents");
    Live.clear(list);
    var live = current.status === "live";
    for (var i = 0; i < current.documents.length; i++) {
      var d = current.documents[i];
      if (!d.viewable) { continue; }
      var li = Live.el("li", d.agenda_item_id === current.current_item_id ? "current" : "");
      li.appendChild(Live.el("span", "grow", d.title + " (" + d.page_count + " trang)"));
      var button = Live.el("button", "", "Trình chiếu");
      button.setAttribute("data-present", String(d.id));
      button.disabled = !live || (shown && shown.document_id === d.id);
      button.addEventListener("click", (function (documentId) {
        return function () { control("present", { document_id: documentId, page: 1 }); };
      })(d.id));
      li.appendChild(button);
      list.appendChild(li);
    }
  }

  function render(current) {
    Live.renderCommon(current);
    Live.renderAgenda(byId("agenda"), current, decorate(current));
    var live = current.status === "live";
    var ids = current.items.map(function (i) { return i.id; });
    var index = ids.indexOf(current.current_item_id);
    byId("btn-start").hidden = live || current.status === "ended" || current.status === "archived";
    byId("btn-previous").disabled = !live || index <= 0;
    byId("btn-next").disabled = !live || index >= ids.length - 1;
    byId("btn-pause").hidden = !live || current.paused;
    byId("btn-resume").hidden = !live || !current.paused;
    byId("btn-end").disabled = !live;
    byId("btn-unannounce").disabled = !current.announcement;
    byId("add-item-box").hidden = !live;
    renderPresenting(current);
  }

  function tickClocks() {
    var current = state();
    if (!current || !current.timer) { return; }
    var node = document.querySelector('[data-item-clock="' + current.timer.item_id + '"]');
    var item = Live.currentItem(current);
    if (node && item) {
      var clock = itemClock(item, current);
      node.textContent = clock.text;
      node.className = "item-clock" + (clock.over ? " over" : "");
    }
  }

  function loadScreens() {
    request("GET", "/api/v1/meetings/" + meetingId + "/screens", null, function (ok, xhr) {
      if (!ok) { return; }
      var list = byId("screens");
      Live.clear(list);
      var found = JSON.parse(xhr.responseText);
      for (var i = 0; i < found.length; i++) {
        if (!found[i].active) { continue; }
        var li = Live.el("li", "");
        li.appendChild(Live.el("span", "grow", found[i].name));
        var revoke = Live.el("button", "danger", "Thu hồi");
        revoke.setAttribute("data-revoke-screen", String(found[i].id));
        revoke.addEventListener("click", (function (screenId) {
          return function () {
            if (!window.confirm("Thu hồi màn hình này? Nó sẽ phải ghép nối lại.")) { return; }
            request("POST", "/api/v1/screens/" + screenId + "/revoke", {}, loadScreens);
          };
        })(found[i].id));
        li.appendChild(revoke);
        list.appendChild(li);
      }
    });
  }

  byId("pair-form").addEventListener("submit", function (event) {
    event.preventDefault();
    showError("");
    var body = { code: byId("pair-code").value, name: byId("pair-name").value };
    request("POST", "/api/v1/meetings/" + meetingId + "/screens", body, function (ok) {
      if (ok) { byId("pair-form").reset(); loadScreens(); }
    });
  });

  function renderPresence(presence) {
    byId("presence-count").textContent = String(presence.tablets);
    if (presence.screens !== renderPresence.screens) {
      renderPresence.screens = presence.screens;
      loadScreens(); // a screen came or went
    }
    var list = byId("presence-list");
    Live.clear(list);
    for (var i = 0; i < presence.delegates.length; i++) {
      list.appendChild(Live.el("li", "", presence.delegates[i].name || ("Đại biểu #" + presence.delegates[i].attendee_id)));
    }
    if (!presence.delegates.length) { list.appendChild(Live.el("li", "muted", "Chưa có máy tính bảng nào kết nối.")); }
  }

  var buttons = document.querySelectorAll(".controls button[data-action]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      var confirmText = button.getAttribute("data-confirm");
      if (confirmText && !window.confirm(confirmText)) { return; }
      control(button.getAttribute("data-action"));
    });
  }

  byId("presence").addEventListener("click", function () {
    var list = byId("presence-list");
    list.hidden = !list.hidden;
    byId("presence").setAttribute("aria-expanded", list.hidden ? "false" : "true");
  });

  byId("announce-form").addEventListener("submit", function (event) {
    event.preventDefault();
    control("announce", { text: byId("announce-text").value });
  });
  byId("btn-unannounce").addEventListener("click", function () {
    control("announce", { text: "" }, function (ok) { if (ok) { byId("announce-text").value = ""; } });
  });

  function presentStep(delta) {
    var current = state();
    if (!current.presenting) { return; }
    control("present", { document_id: current.presenting.document_id, page: current.presenting.page + delta });
  }
  byId("btn-present-prev").addEventListener("click", function () { presentStep(-1); });
  byId("btn-present-next").addEventListener("click", function () { presentStep(1); });
  byId("btn-present-stop").addEventListener("click", function () { control("present", { document_id: null }); });

  byId("add-item").addEventListener("submit", function (event) {
    event.preventDefault();
    var current = state();
    var body = { title: byId("add-title").value, presenter: byId("add-presenter").value };
    var minutes = byId("add-duration").value;
    if (minutes) { body.duration_minutes = parseInt(minutes, 10); }
    var item = Live.currentItem(current);
    if (byId("add-after-current").checked && item) {
      // A sibling right after the current item (a sub-item after a sub-item).
      var group = siblings(current.items, item);
      for (var n = 0; n < group.length; n++) { if (group[n].id === item.id) { body.position = n + 1; } }
      if (item.parent_id) { body.parent_id = item.parent_id; }
    }
    showError("");
    request("POST", "/api/v1/meetings/" + meetingId + "/agenda", body, function (ok) {
      if (ok) { byId("add-item").reset(); byId("add-after-current").checked = true; }
    });
  });

  Live.onKey(function (key) {
    var current = state();
    if (!current) { return false; }
    var live = current.status === "live";
    if (key === "ArrowRight" || key === "Right" || key === "n" || key === "N" || key === "PageDown") {
      if (live && !byId("btn-next").disabled) { control("next"); }
      return true;
    }
    if (key === "ArrowLeft" || key === "Left" || key === "b" || key === "B" || key === "PageUp") {
      if (live && !byId("btn-previous").disabled) { control("previous"); }
      return true;
    }
    if (key === "p" || key === "P") {
      if (live) { control(current.paused ? "resume" : "pause"); }
      return true;
    }
    if (key === "a" || key === "A") {
      byId("announce-text").focus();
      return true;
    }
    return false;
  });

  connection = Live.connect({
    meetingId: meetingId,
    initialState: Live.readInitialState(),
    onState: render,
    onPresence: renderPresence
  });
  Live.tickTimer(state);
  window.setInterval(tickClocks, 1000);
  loadScreens();
})(window, document);
