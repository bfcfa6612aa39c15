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
})(window, document);
