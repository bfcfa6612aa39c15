/* Delegate tablet: agenda with the current item, documents, follows the chair live. */
(function (window, document) {
  "use strict";
  var Live = window.ECabinetLive;
  var app = document.getElementById("app");
  var meetingId = parseInt(app.getAttribute("data-meeting-id"), 10);
  var lastCurrent = null;

  var KIND_NAMES = { docx: "Word", xlsx: "Excel" };

  function openDocument(doc) {
    if (!doc.viewable) {
      window.location.href = doc.url; // a Word / Excel file: the tablet saves it
    } else if (window.ECabinetPdf && window.ECabinetPdf.supported) {
      window.ECabinetPdf.open(doc.url, doc.title);
    } else {
      window.location.href = doc.url; // the browser's own viewer on devices without pdf.js
    }
  }

  function renderDocuments(state) {
    var list = document.getElementById("documents");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!state.documents.length) {
      list.appendChild(Live.el("li", "muted", "Chưa có tài liệu."));
      return;
    }
    for (var i = 0; i < state.documents.length; i++) {
      var doc = state.documents[i];
      var li = Live.el("li", doc.agenda_item_id && doc.agenda_item_id === state.current_item_id ? "current" : "");
      var button = Live.el("button", "doc-open big", doc.title);
      button.setAttribute("data-document-id", String(doc.id));
      button.addEventListener("click", openDocument.bind(null, doc));
      li.appendChild(button);
      var meta = doc.viewable ? doc.page_count + " trang" : "Tệp " + (KIND_NAMES[doc.kind] || doc.kind) + ", bấm để tải về";
      if (doc.confidentiality === "mat" || doc.confidentiality === "toi_mat") {
        meta = (doc.confidentiality === "mat" ? "MẬT" : "TỐI MẬT") + " · " + meta;
      }
      li.appendChild(Live.el("span", "item-meta", meta));
      list.appendChild(li);
    }
  }

  function render(state) {
    Live.renderCommon(state);
    Live.renderAgenda(document.getElementById("agenda"), state, null);
    renderDocuments(state);
    if (state.current_item_id !== lastCurrent) {
      lastCurrent = state.current_item_id;
      var current = document.querySelector("#agenda li.current");
      if (current && current.scrollIntoView) { current.scrollIntoView({ block: "nearest" }); }
    }
  }

  Live.connect({ meetingId: meetingId, initialState: Live.readInitialState(), onState: render });
})(window, document);
