/* Delegate tablet: the agenda with the current item, the documents (fetched ahead so reading
 * goes on when the Wi-Fi drops), a viewer (pdf.js where it runs, the server's page images
 * elsewhere), "follow the presenter", large type, marks on what changed, private notes.
 * ES5 (checked in CI): it must run on Android 5-era WebViews. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  var meetingId = parseInt(app.getAttribute("data-meeting-id"), 10);
  var attendeeId = app.getAttribute("data-attendee-id") || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var KIND_NAMES = { docx: "Word", xlsx: "Excel" };
  var connection = null;

  function byId(id) { return document.getElementById(id); }
  function state() { return connection ? connection.getState() : Live.readInitialState(); }
  function parseJson(text) { try { return JSON.parse(text); } catch (e) { return null; } }

  /* ---- Settings kept per device ---- */

  function setLargeType(on) {
    var root = document.documentElement;
    root.className = root.className.replace(/\s*\blarge-type\b/g, "") + (on ? " large-type" : "");
    byId("btn-large").setAttribute("aria-pressed", on ? "true" : "false");
    byId("btn-large").textContent = on ? "A− Chữ thường" : "A+ Chữ lớn";
    Live.store("ecabinet.largeType", on ? "1" : null);
  }
  byId("btn-large").addEventListener("click", function () {
    setLargeType(byId("btn-large").getAttribute("aria-pressed") !== "true");
  });
  setLargeType(Live.store("ecabinet.largeType") === "1");

  var follow = byId("follow");
  follow.checked = Live.store("ecabinet.follow") !== "0";
  follow.addEventListener("change", function () {
    Live.store("ecabinet.follow", follow.checked ? null : "0");
    if (follow.checked) { dismissed = null; followPresenter(state()); }
  });

  /* ---- What the delegate has seen (per device and delegate) ---- */

  var seenKey = "ecabinet.seen." + meetingId + "." + attendeeId;
  var seen = parseJson(Live.store(seenKey) || "");

  function itemSignature(item) {
    return [item.title, item.presenter, item.duration_minutes || "", item.parent_id || ""].join("|");
  }

  function rememberSeen() { Live.store(seenKey, JSON.stringify(seen)); }

  function baseline(current) {
    // The first visit marks nothing: "changed" means changed since this tablet last saw it.
    if (seen && seen.d && seen.i) { return; }
    seen = { d: {}, i: {} };
    for (var i = 0; i < current.documents.length; i++) { seen.d[current.documents[i].id] = current.documents[i].revision; }
    for (var j = 0; j < current.items.length; j++) { seen.i[current.items[j].id] = itemSignature(current.items[j]); }
    rememberSeen();
  }

  function docMark(doc) {
    if (!(doc.id in seen.d)) { return "Mới"; }
    return seen.d[doc.id] !== doc.revision ? "Đã cập nhật" : "";
  }

  function itemMark(item) {
    if (!(item.id in seen.i)) { return "Mới"; }
    return seen.i[item.id] !== itemSignature(item) ? "Đã thay đổi" : "";
  }

  /* ---- Read ahead: what this tablet will read, fetched at immutable addresses ---- */

  // The PDF where pdf.js runs; elsewhere the pages answer and its images. Mật documents have
  // no cacheable address (cache_url null): they are read online only.
  var MAX_PAGES_AHEAD = 100; // page images of longer documents are fetched as they are read
  var cache = {}; // "<id>:<revision>" → queued | loading | rendering | ready | error
  var manifests = {}; // "<id>:<revision>" → the ready pages answer (image mode)
  var queue = [];
  var fetching = false;

  function aheadKey(doc) { return doc.id + ":" + doc.revision; }

  // The pdf.js module runs after the page is parsed and before DOMContentLoaded (its 0.5 MB
  // import may take a while): pdf.js or images is decided only once that event has fired.
  // (document.readyState is already "interactive" while the module is still loading.)
  var loaded = false;
  var onLoaded = [];
  document.addEventListener("DOMContentLoaded", function () {
    loaded = true;
    for (var i = 0; i < onLoaded.length; i++) { onLoaded[i](); }
    onLoaded = [];
  });

  function whenLoaded(run) {
    if (loaded) { run(); } else { onLoaded.push(run); }
  }

  function precache(current) {
    var images = !pdfUsable();
    if (!images) { window.ECabinetPdf.warm(); } // its worker too, while online
    for (var i = 0; i < current.documents.length; i++) {
      var doc = current.documents[i];
      var key = aheadKey(doc);
      if (!doc.cache_url || (cache[key] && cache[key] !== "error")) { continue; }
      cache[key] = "queued";
      queue.push({ doc: doc, key: key, images: images });
    }
    pump();
  }

  function finished(task, status) {
    cache[task.key] = status;
    fetching = false;
    renderDocuments(state());
    pump();
  }

  function pump() {
    if (fetching || !queue.length) { return; }
    fetching = true;
    var task = queue.shift();
    cache[task.key] = "loading";
    if (task.images) { fetchPages(task); } else { fetchPdf(task); }
  }

  function aheadRequest(url, responseType, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    // Fetching ahead is not reading: the server records an opening only when the delegate
    // opens the document (document:opened).
    xhr.setRequestHeader("X-Ecabinet-Precache", "1");
    if (responseType) { xhr.responseType = responseType; }
    xhr.onload = function () { done(xhr); };
    xhr.onerror = function () { done(null); };
    xhr.send();
  }

  function fetchPdf(task) {
    aheadRequest(task.doc.cache_url, "arraybuffer", function (xhr) {
      finished(task, xhr && xhr.status === 200 ? "ready" : "error");
    });
  }

  function fetchPages(task) {
    aheadRequest("/api/v1/documents/" + task.doc.id + "/pages", "", function (xhr) {
      var body = xhr && xhr.status === 200 ? parseJson(xhr.responseText) : null;
      if (xhr && xhr.status === 202) {
        // The server is still drawing the pages: ask again a little later.
        finished(task, "rendering");
        window.setTimeout(function () {
          if (cache[task.key] === "rendering") { cache[task.key] = "queued"; queue.push(task); pump(); }
        }, 3000);
        return;
      }
      if (!body || body.status !== "ready") { finished(task, "error"); return; }
      manifests[task.key] = body;
      var pages = body.pages.slice(0, MAX_PAGES_AHEAD);
      var next = 0;
      (function one() {
        if (next >= pages.length) { finished(task, "ready"); return; }
        var image = new window.Image(); // into the HTTP cache, like the viewer will ask
        image.onload = function () { next += 1; one(); };
        image.onerror = function () { finished(task, "error"); };
        image.src = pages[next].url;
      })();
    });
  }

  window.addEventListener("online", function () { precache(state()); });

  /* ---- The viewer: pdf.js or the server's page images ---- */

  var viewer = byId("viewer");
  var open = { doc: null, engine: null, page: 1, pages: 0 };

  function forcedImages() {
    return /[?&]viewer=images\b/.test(window.location.search) || Live.store("ecabinet.viewer") === "images";
  }

  function pdfUsable() {
    return !!(window.ECabinetPdf && window.ECabinetPdf.supported) && !forcedImages();
  }

  function setViewer(stateName, page, pages) {
    viewer.setAttribute("data-state", stateName);
    if (page) { viewer.setAttribute("data-page", String(page)); open.page = page; }
    if (pages) { viewer.setAttribute("data-pages", String(pages)); open.pages = pages; }
    if (open.engine === "pdf" && page && pages) { byId("viewer-page").textContent = page + "/" + pages; }
  }

  function closeViewer() {
    if (open.engine === "pdf" && window.ECabinetPdf) { window.ECabinetPdf.close(); }
    if (open.engine === "images" && window.ECabinetPageImages) { window.ECabinetPageImages.close(); }
    open = { doc: null, engine: null, page: 1, pages: 0 };
    viewer.hidden = true;
    saveNotesNow();
    byId("notes").hidden = true;
  }

  function openImages(doc, page) {
    open.engine = "images";
    viewer.setAttribute("data-mode", "images");
    byId("viewer-mode").textContent = "Xem dạng PDF";
    byId("viewer-mode").hidden = !(window.ECabinetPdf && window.ECabinetPdf.supported);
    window.ECabinetPageImages.open(doc, byId("viewer-pages"), {
      manifest: manifests[aheadKey(doc)],
      onPage: function (number, count) { setViewer("ready", number, count); },
      onState: function (name) { if (name !== "ready") { viewer.setAttribute("data-state", name); } },
      controls: {
        prev: byId("viewer-prev"),
        next: byId("viewer-next"),
        label: byId("viewer-page"),
        zoomIn: byId("viewer-zoom-in"),
        zoomOut: byId("viewer-zoom-out")
      }
    });
    if (page > 1) { window.ECabinetPageImages.goTo(page); }
  }

  function openPdf(doc, page) {
    open.engine = "pdf";
    viewer.setAttribute("data-mode", "pdf");
    byId("viewer-mode").textContent = "Xem dạng ảnh";
    byId("viewer-mode").hidden = false;
    var url = doc.cache_url || doc.url;
    window.ECabinetPdf.open(url, page, { cached: !!doc.cache_url && cache[aheadKey(doc)] === "ready" }).then(
      function (shown) {
        if (open.doc !== doc) { return; }
        setViewer("ready", shown.page, shown.pages);
      },
      function () {
        // pdf.js could not read it here: the server's page images always can.
        if (open.doc !== doc) { return; }
        openImages(doc, page);
      }
    );
  }

  function openDocument(doc, page) {
    page = page || 1;
    if (!doc.viewable) {
      window.location.href = doc.url; // a Word / Excel file: the tablet saves it
      return;
    }
    if (open.doc && open.doc.id === doc.id && open.doc.revision === doc.revision) {
      goToPage(page);
      return;
    }
    if (open.doc) { closeViewer(); }
    open.doc = doc;
    byId("viewer-title").textContent = doc.title;
    viewer.setAttribute("data-document-id", String(doc.id));
    viewer.removeAttribute("data-pages");
    viewer.setAttribute("data-state", "loading");
    viewer.hidden = false;
    seen.d[doc.id] = doc.revision;
    rememberSeen();
    renderDocuments(state());
    if (connection) { connection.emit("document:opened", { document_id: doc.id }); }
    if (pdfUsable()) { openPdf(doc, page); } else { openImages(doc, page); }
    loadNotes(doc);
  }

  function goToPage(page) {
    if (open.engine === "pdf") {
      window.ECabinetPdf.goTo(page).then(function (shown) { setViewer("ready", shown, open.pages); });
    } else if (open.engine === "images") {
      window.ECabinetPageImages.goTo(page);
    }
  }

  byId("viewer-close").addEventListener("click", function () {
    var shown = state().presenting;
    if (shown && open.doc && open.doc.id === shown.document_id) {
      dismissed = shown.document_id + ":" + shown.page; // the next page the chair shows opens
    }
    closeViewer();
  });
  byId("viewer-prev").addEventListener("click", function () { if (open.engine === "pdf") { goToPage(open.page - 1); } });
  byId("viewer-next").addEventListener("click", function () { if (open.engine === "pdf") { goToPage(open.page + 1); } });
  byId("viewer-zoom-in").addEventListener("click", function () { if (open.engine === "pdf") { window.ECabinetPdf.zoom(1); } });
  byId("viewer-zoom-out").addEventListener("click", function () { if (open.engine === "pdf") { window.ECabinetPdf.zoom(-1); } });
  byId("viewer-mode").addEventListener("click", function () {
    var doc = open.doc;
    var page = open.page;
    var toImages = open.engine === "pdf";
    Live.store("ecabinet.viewer", toImages ? "images" : null);
    if (!doc) { return; }
    if (open.engine === "pdf") { window.ECabinetPdf.close(); } else if (window.ECabinetPageImages) { window.ECabinetPageImages.close(); }
    if (toImages) { openImages(doc, page); } else { openPdf(doc, page); }
  });

  /* ---- Follow the presenter ---- */

  var lastPresented = null;

  var dismissed = null; // the presented page the delegate closed: not reopened for them

  function followPresenter(current) {
    if (!loaded) {
      whenLoaded(function () { followPresenter(state()); });
      return;
    }
    var shown = current && current.presenting;
    var key = shown ? shown.document_id + ":" + shown.page : null;
    if (!shown || !follow.checked || key === dismissed) { lastPresented = key; return; }
    if (key === lastPresented && open.doc && open.doc.id === shown.document_id) { return; }
    lastPresented = key;
    for (var i = 0; i < current.documents.length; i++) {
      if (current.documents[i].id === shown.document_id) {
        openDocument(current.documents[i], shown.page);
        return;
      }
    }
  }

  /* ---- Private notes (on the server, only for their author) ---- */

  // What is typed is kept on the device at once (a draft) and saved to the server a moment
  // later; a draft the server has not taken yet survives closing the document, a reload or
  // the Wi-Fi dropping, and is sent when the note is next open with the network up. The note
  // is editable only once the server's copy has been read, so an offline tablet never
  // overwrites what the delegate wrote on their other tablet.
  var notes = { doc: null, saved: "", timer: null, stamp: null, loaded: false };
  var notesBox = byId("notes-text");

  function notesStatus(text) { byId("notes-status").textContent = text; }
  function draftKey(doc) { return "ecabinet.note." + attendeeId + "." + doc.id; }

  function loadNotes(doc) {
    notes = { doc: doc, saved: "", timer: null, stamp: null, loaded: false };
    notesBox.value = Live.store(draftKey(doc)) || "";
    notesBox.readOnly = true;
    notesStatus("Đang tải ghi chú…");
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/documents/" + doc.id + "/note");
    xhr.onload = function () {
      var body = parseJson(xhr.responseText);
      if (notes.doc !== doc) { return; }
      if (xhr.status !== 200 || !body) {
        notesStatus((body && body.error && body.error.message) || "Chưa tải được ghi chú.");
        return;
      }
      notes.saved = body.body || "";
      notes.stamp = body.updated_at || null;
      notes.loaded = true;
      notesBox.readOnly = false;
      var draft = Live.store(draftKey(doc));
      if (draft !== null && draft !== notes.saved) {
        notesBox.value = draft; // typed here and not saved yet: send it now
        saveNotesNow();
      } else {
        Live.store(draftKey(doc), null);
        notesBox.value = notes.saved;
        notesStatus(notes.saved ? "Đã lưu" : "");
      }
    };
    xhr.onerror = function () {
      if (notes.doc === doc) { notesStatus("Mất kết nối: ghi chú sẽ mở khi có mạng."); }
    };
    xhr.send();
  }

  function saveNotesNow() {
    if (notes.timer) { window.clearTimeout(notes.timer); notes.timer = null; }
    var doc = notes.doc;
    var text = notesBox.value;
    if (!doc || !notes.loaded || text === notes.saved) { return; }
    notesStatus("Đang lưu…");
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", "/api/v1/documents/" + doc.id + "/note");
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.onload = function () {
      var body = parseJson(xhr.responseText);
      if (notes.doc !== doc) { return; }
      if (xhr.status < 300 && body) {
        notes.saved = text;
        notes.stamp = body.updated_at || null;
        if (notesBox.value === text) { Live.store(draftKey(doc), null); notesStatus("Đã lưu"); }
      } else if (xhr.status === 409) {
        // Changed on the delegate's other tablet meanwhile: keep both, theirs first.
        var mine = notesBox.value;
        var reread = new XMLHttpRequest();
        reread.open("GET", "/api/v1/documents/" + doc.id + "/note");
        reread.onload = function () {
          var other = parseJson(reread.responseText);
          if (notes.doc !== doc || reread.status !== 200 || !other) { return; }
          notes.saved = other.body || "";
          notes.stamp = other.updated_at || null;
          notesBox.value = notes.saved ? notes.saved + "\n\n" + mine : mine;
          Live.store(draftKey(doc), notesBox.value);
          notesStatus("Ghi chú vừa được sửa trên máy khác: đã ghép cả hai bản.");
          saveNotesNow();
        };
        reread.send();
      } else {
        notesStatus((body && body.error && body.error.message) || "Chưa lưu được ghi chú.");
      }
    };
    xhr.onerror = function () { notesStatus("Mất kết nối: ghi chú đã giữ trên máy này, sẽ lưu khi có mạng."); };
    xhr.send(JSON.stringify({ body: text, expected_updated_at: notes.stamp }));
  }

  notesBox.addEventListener("input", function () {
    if (!notes.doc || !notes.loaded) { return; }
    Live.store(draftKey(notes.doc), notesBox.value); // kept on the device at once
    if (notes.timer) { window.clearTimeout(notes.timer); }
    notesStatus("Chưa lưu");
    notes.timer = window.setTimeout(saveNotesNow, 800);
  });
  notesBox.addEventListener("blur", saveNotesNow);
  window.addEventListener("online", function () {
    if (notes.doc && !notes.loaded) { loadNotes(notes.doc); } else { saveNotesNow(); }
  });
  byId("viewer-notes").addEventListener("click", function () {
    var panel = byId("notes");
    panel.hidden = !panel.hidden;
    byId("viewer-notes").setAttribute("aria-expanded", panel.hidden ? "false" : "true");
    if (!panel.hidden) { notesBox.focus(); } else { saveNotesNow(); }
  });

  /* ---- Rendering ---- */

  function renderDocuments(current) {
    var list = byId("documents");
    Live.clear(list);
    if (!current.documents.length) {
      list.appendChild(Live.el("li", "muted", "Chưa có tài liệu."));
      byId("precache-summary").textContent = "";
      return;
    }
    var ready = 0;
    var cacheable = 0;
    for (var i = 0; i < current.documents.length; i++) {
      var doc = current.documents[i];
      var li = Live.el("li", doc.agenda_item_id && doc.agenda_item_id === current.current_item_id ? "current" : "");
      var button = Live.el("button", "doc-open big", doc.title);
      button.setAttribute("data-document-id", String(doc.id));
      button.addEventListener("click", openDocument.bind(null, doc, 1));
      li.appendChild(button);
      var mark = docMark(doc);
      if (mark) { li.appendChild(Live.el("span", "mark", mark)); }
      var meta = doc.viewable ? doc.page_count + " trang" : "Tệp " + (KIND_NAMES[doc.kind] || doc.kind) + ", bấm để tải về";
      if (doc.confidentiality === "mat" || doc.confidentiality === "toi_mat") {
        meta = (doc.confidentiality === "mat" ? "MẬT" : "TỐI MẬT") + " · " + meta + " · chỉ đọc khi có mạng";
      }
      li.appendChild(Live.el("span", "item-meta", meta));
      if (doc.cache_url) {
        cacheable += 1;
        var status = cache[aheadKey(doc)];
        if (status === "ready") { ready += 1; }
        var badge = Live.el("span", "cache-badge", status === "ready" ? "✓ Đã tải" : (status === "error" ? "Chưa tải được" : (status === "rendering" ? "Máy chủ đang chuẩn bị…" : "Đang tải…")));
        badge.setAttribute("data-cache", status || "queued");
        li.appendChild(badge);
      }
      list.appendChild(li);
    }
    byId("precache-summary").textContent = cacheable ? "(đã tải " + ready + "/" + cacheable + ")" : "";
  }

  function markItems(li, item) {
    var mark = itemMark(item);
    if (mark) { li.appendChild(Live.el("span", "mark", mark)); }
  }

  function render(current) {
    baseline(current);
    var item = Live.currentItem(current);
    if (item) { seen.i[item.id] = itemSignature(item); rememberSeen(); } // the chair is on it
    Live.renderCommon(current);
    Live.renderAgenda(byId("agenda"), current, markItems);
    renderDocuments(current);
    whenLoaded(function () { precache(state()); });
    if (open.doc) {
      // The open document was taken away or replaced by a new revision.
      var still = null;
      for (var i = 0; i < current.documents.length; i++) { if (current.documents[i].id === open.doc.id) { still = current.documents[i]; } }
      if (!still) { closeViewer(); } else if (still.revision !== open.doc.revision) { openDocument(still, open.page); }
    }
    followPresenter(current);
    var node = document.querySelector("#agenda li.current");
    if (node && node.scrollIntoView && render.last !== current.current_item_id) { node.scrollIntoView(false); }
    render.last = current.current_item_id;
  }

  connection = Live.connect({ meetingId: meetingId, initialState: Live.readInitialState(), onState: render });
})(window, document);
