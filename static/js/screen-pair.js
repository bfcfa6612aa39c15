/* A room screen waiting to be paired: asks every 2 s whether the chair or a secretary has
 * typed its code, then loads the room. ES5: room screens are often old smart TVs. */
(function (window, document) {
  "use strict";
  var POLL_MS = 2000;
  var status = document.getElementById("pair-status");

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/screen/status");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (answer && (answer.paired || answer.expired)) {
        window.location.reload(); // paired: the room; expired: a new code
        return;
      }
      status.textContent = "";
      window.setTimeout(poll, POLL_MS);
    };
    xhr.onerror = function () {
      status.textContent = "Mất kết nối tới máy chủ, đang thử lại…";
      window.setTimeout(poll, POLL_MS);
    };
    xhr.send();
  }
  window.setTimeout(poll, POLL_MS);
})(window, document);
