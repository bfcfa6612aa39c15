/* Page images viewer: the fallback for tablets whose WebView cannot run pdf.js (Android 5 era,
 * ES5 only). The server renders each page to an image (GET /api/v1/documents/<id>/pages);
 * this shows them one at a time in an <img>. Plain ES5 on purpose: no let/const, arrows,
 * classes, template strings, Promise or fetch (tests/http/test_page_images.py parses it with
 * pyjsparser).
 *
 * How to wire it (the tablet page):
 *
 *   1. Load it with the other scripts, before the code that opens documents:
 *        <script src="{{ url_for('static', filename='js/pageview.js') }}"></script>
 *      It defines window.ECabinetPageImages and touches nothing until open() is called.
 *
 *   2. Give it one container element that has a size (the viewer's page area, e.g.
 *      #viewer-pages inside #viewer). open() empties it and builds inside it:
 *        div.pv-bar      button.pv-prev "◀"  span.pv-label "3/12"  button.pv-next "▶"
 *                        button.pv-zoom-out "−"  button.pv-fit "Vừa khổ"  button.pv-zoom-in "+"
 *        p.pv-status     "Đang chuẩn bị trang…", errors (role="status")
 *        div.pv-scroll   the scrolling area (overflow: auto) holding img.pv-page
 *      The container gets data-pv-state="loading|rendering|ready|error" and data-pv-page="3"
 *      (for CSS and tests). Sizes are set from here (CSSOM, allowed by the page's CSP).
 *
 *   3. Open a document of the live state (state.documents[i]: {id, title, confidentiality}):
 *        ECabinetPageImages.open(doc, document.getElementById("viewer-pages"), {
 *          onPage: function (number, count) {},   // after a page is shown
 *          onState: function (state, message) {}, // loading, rendering, ready, error
 *          manifest: {...},                        // optional: a "ready" pages answer read
 *                                                  // ahead (then no request is made for it)
 *          controls: {                             // optional: buttons the page already has,
 *            prev: document.getElementById("viewer-prev"),   // used instead of building
 *            next: document.getElementById("viewer-next"),   // them (any left out are built);
 *            label: document.getElementById("viewer-page")   // also zoomIn, zoomOut, fit
 *          }
 *        });
 *      Every callback and control is optional. Pass the page's own buttons only when pdf.js
 *      (pdfview.mjs) is not also listening to them; close() leaves them enabled and empties
 *      the label. The host keeps its own close button and calls ECabinetPageImages.close()
 *      from it (timers, requests and listeners stop; the container empties).
 *
 *   4. "Follow the presenter": ECabinetPageImages.goTo(n) shows page n (clamped to the
 *      document); called while the pages are still being prepared, it is shown once ready.
 *      Also next(), prev(), zoomIn(), zoomOut(), fitWidth() and current() →
 *      {documentId, page, count, state}.
 *
 * Pick it by feature detection: if (!window.ECabinetPdf || !window.ECabinetPdf.supported).
 * Pages are fetched only by their immutable URLs (they name the PDF's sha256), so a normal
 * document's pages come from the browser cache the second time; a Mật one's are never kept.
 */
(function (window, document) {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 3000;
  var MAX_POLLS = 900; // about 15 minutes of "rendering" before giving up
  var ZOOMS = [0.5, 0.75, 1, 1.5, 2, 3]; // times the width of the page area
  var FIT = 2; // index of 1: the page as wide as the area
  var SWIPE_PX = 60;

  var TEXT = {
    loading: "Đang mở tài liệu…",
    rendering: "Đang chuẩn bị trang…",
    pageLoading: "Đang tải trang…",
    offline: "Mất kết nối tới máy chủ, đang thử lại…",
    pageFailed: "Không tải được trang này. Bấm vào đây để thử lại.",
    tooLong: "Máy chủ chưa chuẩn bị xong các trang. Vui lòng đóng rồi mở lại tài liệu sau.",
    failed: "Không mở được tài liệu. Vui lòng thử lại.",
    prev: "Trang trước",
    next: "Trang sau",
    zoomIn: "Phóng to",
    zoomOut: "Thu nhỏ",
    fit: "Vừa khổ"
  };

  var view = null; // the open document, or null

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.appendChild(document.createTextNode(text)); }
    return node;
  }

  function setText(node, text) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    if (text) { node.appendChild(document.createTextNode(text)); }
  }

  function emit(name) {
    var callback = view && view.callbacks[name];
    if (typeof callback === "function") {
      try {
        callback.apply(null, Array.prototype.slice.call(arguments, 1));
      } catch (err) {
        if (window.console) { window.console.error(err); }
      }
    }
  }

  function setState(state, message) {
    view.state = state;
    view.container.setAttribute("data-pv-state", state);
    setText(view.status, message || "");
    view.status.style.display = message ? "" : "none";
    emit("onState", state, message || "");
  }

  function listen(node, type, handler) {
    node.addEventListener(type, handler, false);
    view.listeners.push([node, type, handler]);
  }

  function control(name, className, text, title) {
    var given = view.callbacks.controls && view.callbacks.controls[name];
    if (given) { return given; }
    var node = el(name === "label" ? "span" : "button", className + (name === "label" ? "" : " big"), text);
    if (name !== "label") {
      node.setAttribute("type", "button");
      node.setAttribute("aria-label", title);
      node.setAttribute("title", title);
    }
    view.bar.appendChild(node);
    return node;
  }

  function build() {
    var container = view.container;
    while (container.firstChild) { container.removeChild(container.firstChild); }
    view.bar = el("div", "pv-bar");
    view.prevButton = control("prev", "pv-prev", "◀", TEXT.prev);
    view.label = control("label", "pv-label", "");
    view.nextButton = control("next", "pv-next", "▶", TEXT.next);
    view.zoomOutButton = control("zoomOut", "pv-zoom-out", "−", TEXT.zoomOut);
    view.fitButton = control("fit", "pv-fit", TEXT.fit, TEXT.fit);
    view.zoomInButton = control("zoomIn", "pv-zoom-in", "+", TEXT.zoomIn);
    view.status = el("p", "pv-status");
    view.status.setAttribute("role", "status");
    view.scroll = el("div", "pv-scroll");
    view.scroll.style.overflow = "auto";
    view.scroll.style.webkitOverflowScrolling = "touch";
    view.scroll.style.textAlign = "center";
    if (view.bar.firstChild) { container.appendChild(view.bar); }
    container.appendChild(view.status);
    container.appendChild(view.scroll);
    listen(view.prevButton, "click", function () { api.prev(); });
    listen(view.nextButton, "click", function () { api.next(); });
    listen(view.zoomOutButton, "click", function () { api.zoomOut(); });
    listen(view.zoomInButton, "click", function () { api.zoomIn(); });
    listen(view.fitButton, "click", function () { api.fitWidth(); });
    listen(view.status, "click", function () {
      if (view.failedImage) { show(view.page); }
    });
    listen(view.scroll, "touchstart", onTouchStart);
    listen(view.scroll, "touchend", onTouchEnd);
    listen(document, "keydown", onKey);
    updateControls();
  }

  function updateControls() {
    var ready = view.state === "ready";
    view.prevButton.disabled = !ready || view.page <= 1;
    view.nextButton.disabled = !ready || view.page >= view.count;
    view.zoomOutButton.disabled = !ready || view.zoom <= 0;
    view.zoomInButton.disabled = !ready || view.zoom >= ZOOMS.length - 1;
    view.fitButton.disabled = !ready || view.zoom === FIT;
    setText(view.label, view.count ? view.page + "/" + view.count : "");
  }

  function applyZoom() {
    if (view.image) {
      view.image.style.width = (ZOOMS[view.zoom] * 100) + "%";
      view.image.style.maxWidth = "none";
      view.image.style.height = "auto";
    }
    updateControls();
  }

  function clamp(number) {
    number = parseInt(number, 10);
    if (isNaN(number) || number < 1) { return 1; }
    return view.count && number > view.count ? view.count : number;
  }

  /* Show page `number`: a new <img> replaces the old one once it has loaded, so a slow
   * network shows the previous page (and "Đang tải trang…") rather than a blank. */
  function show(number) {
    var mine = view;
    var page = mine.pages[clamp(number) - 1];
    if (!page) { return; }
    mine.page = page.number;
    mine.wanted = page.number;
    mine.failedImage = false;
    mine.container.setAttribute("data-pv-page", String(page.number));
    updateControls();
    var image = new window.Image();
    image.className = "pv-page";
    image.alt = "Trang " + page.number + "/" + mine.count;
    image.style.display = "block";
    image.style.margin = "0 auto";
    var slow = window.setTimeout(function () {
      if (view === mine && mine.page === page.number) { setText(mine.status, TEXT.pageLoading); mine.status.style.display = ""; }
    }, 400);
    image.onload = function () {
      window.clearTimeout(slow);
      if (view !== mine || mine.page !== page.number) { return; }
      while (mine.scroll.firstChild) { mine.scroll.removeChild(mine.scroll.firstChild); }
      mine.scroll.appendChild(image);
      mine.image = image;
      mine.scroll.scrollTop = 0;
      applyZoom();
      setState("ready", "");
      updateControls();
      emit("onPage", page.number, mine.count);
      preload(page.number + 1);
    };
    image.onerror = function () {
      window.clearTimeout(slow);
      if (view !== mine || mine.page !== page.number) { return; }
      mine.failedImage = true;
      setText(mine.status, TEXT.pageFailed);
      mine.status.style.display = "";
    };
    image.src = page.url; // immutable: the same URL is the same picture, for good
  }

  function preload(number) {
    var page = view.pages[number - 1];
    if (page && !view.secret) {
      var next = new window.Image();
      next.src = page.url;
    }
  }

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) { return body.error.message; }
    } catch (ignored) { /* not JSON: a proxy's page */ }
    return TEXT.failed;
  }

  function ready(mine, body) {
    mine.pages = body.pages || [];
    mine.count = body.page_count || mine.pages.length;
    mine.sha256 = body.sha256;
    show(mine.wanted);
  }

  function poll() {
    var mine = view;
    if (!mine) { return; }
    var xhr = new window.XMLHttpRequest();
    mine.xhr = xhr;
    xhr.open("GET", mine.url, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4 || view !== mine) { return; }
      mine.xhr = null;
      var body = null;
      if (xhr.status === 200 || xhr.status === 202) {
        try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
      }
      if (xhr.status === 200 && body && body.status === "ready") {
        ready(mine, body);
      } else if (xhr.status === 202 && body) {
        mine.count = body.page_count || 0;
        mine.polls += 1;
        if (mine.polls > MAX_POLLS) {
          setState("error", TEXT.tooLong);
          return;
        }
        setState("rendering", TEXT.rendering);
        mine.timer = window.setTimeout(poll, POLL_MS);
      } else if (xhr.status === 0 || xhr.status >= 500) {
        setState("loading", TEXT.offline);
        mine.timer = window.setTimeout(poll, RETRY_MS);
      } else {
        setState("error", errorMessage(xhr));
      }
      updateControls();
    };
    xhr.send(null);
  }

  function onKey(event) {
    if (!view || view.state !== "ready") { return; }
    var key = event.key || event.keyCode;
    if (key === "ArrowRight" || key === "PageDown" || key === 39 || key === 34) {
      api.next();
    } else if (key === "ArrowLeft" || key === "PageUp" || key === 37 || key === 33) {
      api.prev();
    }
  }

  function onTouchStart(event) {
    var touch = event.touches && event.touches[0];
    view.touch = touch && event.touches.length === 1 ? { x: touch.clientX, y: touch.clientY } : null;
  }

  function onTouchEnd(event) {
    var start = view.touch;
    var touch = event.changedTouches && event.changedTouches[0];
    view.touch = null;
    if (!start || !touch || view.zoom > FIT) { return; } // zoomed in: a swipe pans
    var dx = touch.clientX - start.x;
    var dy = touch.clientY - start.y;
    if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > 2 * Math.abs(dy)) {
      if (dx < 0) { api.next(); } else { api.prev(); }
    }
  }

  var api = {
    supported: true,

    /* Open `doc` ({id, title, confidentiality}) in `container`; see the top of this file. */
    open: function (doc, container, callbacks) {
      api.close();
      view = {
        doc: doc,
        container: container,
        callbacks: callbacks || {},
        url: (callbacks && callbacks.pagesUrl) || "/api/v1/documents/" + doc.id + "/pages",
        secret: doc.confidentiality === "mat" || doc.confidentiality === "toi_mat",
        state: "loading",
        pages: [],
        count: 0,
        page: 1,
        wanted: 1,
        zoom: FIT,
        polls: 0,
        listeners: [],
        timer: null,
        xhr: null,
        image: null,
        touch: null,
        failedImage: false
      };
      build();
      setState("loading", TEXT.loading);
      if (view.callbacks.manifest && view.callbacks.manifest.status === "ready") {
        // Read ahead by the host (the pages answer, its images in the HTTP cache): opens
        // with the Wi-Fi down.
        ready(view, view.callbacks.manifest);
        updateControls();
      } else {
        poll();
      }
    },

    /* Show page `number` (the presenter's); remembered until the pages are ready. */
    goTo: function (number) {
      if (!view) { return; }
      if (view.pages.length) {
        show(number);
      } else {
        view.wanted = parseInt(number, 10) || 1;
      }
    },

    next: function () {
      if (view && view.pages.length && view.page < view.count) { show(view.page + 1); }
    },

    prev: function () {
      if (view && view.pages.length && view.page > 1) { show(view.page - 1); }
    },

    zoomIn: function () {
      if (view && view.zoom < ZOOMS.length - 1) { view.zoom += 1; applyZoom(); }
    },

    zoomOut: function () {
      if (view && view.zoom > 0) { view.zoom -= 1; applyZoom(); }
    },

    fitWidth: function () {
      if (view) { view.zoom = FIT; applyZoom(); }
    },

    current: function () {
      if (!view) { return null; }
      return { documentId: view.doc.id, page: view.page, count: view.count, state: view.state };
    },

    close: function () {
      if (!view) { return; }
      var closing = view;
      view = null;
      if (closing.timer) { window.clearTimeout(closing.timer); }
      if (closing.xhr) { closing.xhr.abort(); }
      for (var i = 0; i < closing.listeners.length; i++) {
        var entry = closing.listeners[i];
        entry[0].removeEventListener(entry[1], entry[2], false);
      }
      var given = closing.callbacks.controls || {};
      for (var name in given) {
        if (given.hasOwnProperty(name) && given[name] && name !== "label") { given[name].disabled = false; }
      }
      if (given.label) { setText(given.label, ""); }
      var container = closing.container;
      while (container.firstChild) { container.removeChild(container.firstChild); }
      container.removeAttribute("data-pv-state");
      container.removeAttribute("data-pv-page");
    }
  };

  window.ECabinetPageImages = api;
})(window, document);
