/* Chair console: big buttons call the HTTP API; the screen follows the pushed state. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  var meetingId = parseInt(app.getAttribute("data-meeting-id"), 10);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var errorBox = document.getElementById("control-error");
  var busy = false;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function control(action, body) {
    if (busy) { return; }
    busy = true;
    showError("");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/meetings/" + meetingId + "/live/" + action);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.onload = function () {
      busy = false;
      if (xhr.status >= 400) {
        var message = "Không thực hiện được.";
        try { message = JSON.parse(xhr.responseText).error.message; } catch (e) { /* keep default */ }
        showError(message);
      }
    };
    xhr.onerror = function () { busy = false; showError("Mất kết nối tới máy chủ."); };
    xhr.send(JSON.stringify(body || {}));
  }

  function render(state) {
    Live.renderCommon(state);
    Live.renderAgenda(document.getElementById("agenda"), state, function (item) {
      if (state.status === "live" && item.id !== state.current_item_id) {
        control("jump", { item_id: item.id });
      }
    });
    var live = state.status === "live";
    var ids = state.items.map(function (i) { return i.id; });
    var index = ids.indexOf(state.current_item_id);
    document.getElementById("btn-start").hidden = state.status !== "draft";
    document.getElementById("btn-previous").disabled = !live || index <= 0;
    document.getElementById("btn-next").disabled = !live || index >= ids.length - 1;
    document.getElementById("btn-end").disabled = !live;
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

  Live.connect({ meetingId: meetingId, initialState: Live.readInitialState(), onState: render });
})(window, document);
