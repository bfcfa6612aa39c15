/* Room screen: the current item in very large type, its timer and any overrun, the
 * announcement, following the chair. ES5. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  var connection = Live.connect({
    meetingId: parseInt(app.getAttribute("data-meeting-id"), 10),
    initialState: Live.readInitialState(),
    revokedText: "Màn hình này đã bị thu hồi quyền. Vui lòng ghép nối lại.",
    onState: function (state) {
      Live.renderCommon(state);
      // Before the start the big line already says so: the status would repeat it.
      document.getElementById("meeting-status").hidden = state.status !== "live" && state.status !== "ended";
    },
    onRevoked: function () { window.setTimeout(function () { window.location.reload(); }, 5000); }
  });
  Live.tickTimer(connection.getState);
  // The screen talks over its socket only, which never renews its session cookie: ask the
  // server once an hour (that renews it), and go back to pairing if it was revoked.
  window.setInterval(function () {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/screen/status");
    xhr.onload = function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (answer && !answer.paired) { window.location.href = "/screen"; }
    };
    xhr.send();
  }, 3600 * 1000);
})(window, document);
