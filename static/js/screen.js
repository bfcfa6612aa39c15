/* Room screen: the current item in very large type, following the chair. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  Live.connect({
    meetingId: parseInt(app.getAttribute("data-meeting-id"), 10),
    initialState: Live.readInitialState(),
    onState: Live.renderCommon
  });
})(window, document);
