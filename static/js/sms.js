/* The SMS page: "Xem trước" shows what the first delegates would get (encoding, segments,
   cost); while messages are queued or sending, the counts and the progress bar follow every
   two seconds, and the page reloads once they are all settled. ES5, as the rest. */
(function (window, document) {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var form = document.getElementById("sms-form");
  var output = document.getElementById("sms-preview");
  var button = document.getElementById("sms-preview-button");
  function text(node, value) { node.textContent = value; return node; }
  function showPreview(data) {
    while (output.firstChild) { output.removeChild(output.firstChild); }
    var head = document.createElement("p");
    text(head, data.messages + " tin, " + data.segments + " phần" +
      (data.cost ? ", khoảng " + data.cost.toLocaleString("vi-VN") + " đ" : "") +
      (data.no_phone ? "; " + data.no_phone + " người không có số di động" : "") +
      (data.strip_diacritics ? " (không dấu)" : " (có dấu)"));
    output.appendChild(head);
    for (var i = 0; i < data.lines.length && i < 5; i++) {
      var line = data.lines[i];
      var item = document.createElement("p");
      var who = document.createElement("strong");
      text(who, line.name + ": ");
      item.appendChild(who);
      item.appendChild(document.createTextNode(line.text + " [" +
        (line.encoding === "gsm7" ? "GSM-7" : "UCS-2") + ", " + line.segments + " phần]"));
      output.appendChild(item);
    }
  }
  if (form && button) {
    button.onclick = function () {
      var request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("data-preview"));
      request.setRequestHeader("Content-Type", "application/json");
      request.setRequestHeader("Accept", "application/json");
      if (csrf) { request.setRequestHeader("X-CSRFToken", csrf.getAttribute("content")); }
      request.onload = function () {
        var data;
        try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
        if (!data) { text(output, "Không xem trước được."); return; }
        if (request.status !== 200) { text(output, data.error ? data.error.message : "Lỗi."); return; }
        showPreview(data);
      };
      request.onerror = function () { text(output, "Mất kết nối tới máy chủ."); };
      var audience = document.getElementById("sms-audience").value;
      var body = {
        kind: document.getElementById("sms-kind").value,
        content: document.getElementById("sms-content").value
      };
      if (audience !== "all") { body.answer = audience === "unanswered" ? "" : audience; }
      request.send(JSON.stringify(body));
    };
  }
  var status = document.getElementById("sms-status");
  var bar = document.getElementById("sms-progress");
  function pending(counts) { return (counts.queued || 0) + (counts.sending || 0); }
  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", status.getAttribute("data-poll"));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var data;
      try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      if (!data || request.status !== 200) { window.setTimeout(poll, 5000); return; }
      var total = 0;
      for (var key in data.counts) { if (data.counts.hasOwnProperty(key)) { total += data.counts[key]; } }
      bar.max = total || 1;
      bar.value = total - pending(data.counts);
      var spans = document.querySelectorAll("[data-count]");
      for (var i = 0; i < spans.length; i++) {
        text(spans[i], data.counts[spans[i].getAttribute("data-count")] || 0);
      }
      if (pending(data.counts) === 0) { window.location.reload(); return; }
      window.setTimeout(poll, 2000);
    };
    request.onerror = function () { window.setTimeout(poll, 5000); };
    request.send();
  }
  if (status && bar && status.getAttribute("data-pending") !== "0") { window.setTimeout(poll, 1000); }
})(window, document);
