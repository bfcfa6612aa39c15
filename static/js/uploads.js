/* Many PDFs at once with a progress bar each (templates/meetings/workspace.html). Each file
   goes to the documents API on its own request, one after the other; a refused file shows
   its reason and the others go on. Without XHR2/FormData the form posts as usual (the
   server takes several files there too). ES5, as the rest. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-bulk-upload]");
  if (!form || !window.FormData || !("upload" in new XMLHttpRequest())) { return; }
  var list = form.querySelector("[data-upload-progress]");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function row(name) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    var bar = document.createElement("progress");
    var state = document.createElement("span");
    label.textContent = name;
    bar.max = 100;
    bar.value = 0;
    state.textContent = "Đang chờ";
    li.appendChild(label);
    li.appendChild(bar);
    li.appendChild(state);
    list.appendChild(li);
    return { bar: bar, state: state };
  }

  function send(file, shown, done) {
    var data = new FormData();
    var fields = form.querySelectorAll("select[name], input[name]:not([type=file])");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.name === "csrf_token" || f.name === "title") { continue; }
      if ((f.type === "checkbox" || f.type === "radio") && !f.checked) { continue; }
      if (f.name === "upload_attendee") { continue; }
      if (f.value !== "") { data.append(f.name, f.value); }
    }
    var chosen = form.querySelectorAll("input[name=upload_attendee]:checked");
    var ids = [];
    for (var j = 0; j < chosen.length; j++) { ids.push(chosen[j].value); }
    if (ids.length) { data.append("attendee_ids", ids.join(",")); }
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-bulk-upload"));
    xhr.setRequestHeader("Accept", "application/json");
    if (csrf) { xhr.setRequestHeader("X-CSRFToken", csrf.getAttribute("content")); }
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { shown.bar.value = Math.round(100 * event.loaded / event.total); }
      shown.state.textContent = "Đang gửi";
    };
    xhr.onload = function () {
      if (xhr.status === 201) {
        shown.bar.value = 100;
        shown.state.textContent = "Đã nhận, đang kiểm tra";
      } else {
        var message = "Không nhận được (" + xhr.status + ")";
        try { message = JSON.parse(xhr.responseText).error.message; } catch (ignored) {}
        shown.state.textContent = "Lỗi: " + message;
        shown.state.className = "error";
      }
      done();
    };
    xhr.onerror = function () {
      shown.state.textContent = "Lỗi: mất kết nối";
      shown.state.className = "error";
      done();
    };
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || input.files.length < 2) { return; }  // one file: the plain form
    event.preventDefault();
    list.hidden = false;
    list.innerHTML = "";
    var files = [];
    for (var i = 0; i < input.files.length; i++) { files.push(input.files[i]); }
    var rows = files.map(function (file) { return row(file.name); });
    var next = 0;
    (function step() {
      if (next >= files.length) {
        setTimeout(function () { window.location.reload(); }, 800);
        return;
      }
      var index = next++;
      send(files[index], rows[index], step);
    })();
  });
})();
