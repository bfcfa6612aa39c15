/* The printing page: each printout being built asks for its progress once a second and
   the page reloads when one is done (its download button then appears). ES5, as the rest. */
(function (window, document) {
  "use strict";
  var bars = document.querySelectorAll("progress[data-printout-poll]");
  if (!bars.length) { return; }
  function poll(bar) {
    var request = new XMLHttpRequest();
    request.open("GET", bar.getAttribute("data-printout-poll"));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var state;
      try { state = JSON.parse(request.responseText); } catch (e) { state = null; }
      if (!state || request.status !== 200) { window.setTimeout(function () { poll(bar); }, 3000); return; }
      bar.max = state.total || 1;
      bar.value = state.done;
      var text = bar.parentNode.querySelector("[data-progress-text]");
      if (text) { text.textContent = state.done + "/" + state.total; }
      if (state.status === "ready" || state.status === "failed") { window.location.reload(); return; }
      window.setTimeout(function () { poll(bar); }, 1000);
    };
    request.onerror = function () { window.setTimeout(function () { poll(bar); }, 3000); };
    request.send();
  }
  for (var i = 0; i < bars.length; i++) { poll(bars[i]); }
})(window, document);
