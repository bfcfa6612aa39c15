/* The in-app scanner: where the browser allows the camera (a secure context: HTTPS, or this
   machine itself), "Quét mã QR" opens the back camera and reads a card's QR code, then opens
   its link. BarcodeDetector where the browser has one, else the vendored jsQR. On plain HTTP
   the camera is not offered: the tablet's own camera app opens the link instead (the page
   says so). Only links to this server are followed. ES5, as the rest. */
(function (window, document) {
  "use strict";
  var box = document.getElementById("scanner");
  if (!box) { return; }
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d");
  var stream = null;
  var timer = null;
  var detector = null;
  var allowed = /^\/(p|m|v)\/[A-Za-z0-9_-]{1,100}$/;

  var capable = window.isSecureContext && navigator.mediaDevices &&
    typeof navigator.mediaDevices.getUserMedia === "function";
  if (!capable) {
    box.setAttribute("data-state", "unavailable");
    return;  // the page's own words say to use the camera app
  }
  box.setAttribute("data-state", "ready");
  if (typeof window.BarcodeDetector === "function") {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
  }

  function say(text) { status.textContent = text; }

  function follow(text) {
    var link = document.createElement("a");
    link.href = text;  // resolves relative to this page, parses the URL without URL()
    if (link.host !== window.location.host || !allowed.test(link.pathname)) {
      say("Mã này không phải thẻ của hệ thống phòng họp. Hãy quét mã trên thẻ của bạn.");
      return false;
    }
    say("Đã đọc được mã, đang mở…");
    halt();
    box.setAttribute("data-state", "found");
    window.location.href = link.pathname;
    return true;
  }

  function frame() {
    if (!stream || video.readyState < 2) { return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { follow(codes[0].rawValue); }
      }, function () { detector = null; });
      return;
    }
    if (typeof window.jsQR !== "function") { return; }
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) { return; }
    var scale = Math.min(1, 640 / Math.max(width, height));  // old tablets: keep it small
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    if (code && code.data) { follow(code.data); }
  }

  function halt() {
    if (timer) { window.clearInterval(timer); timer = null; }
    if (stream) {
      var tracks = stream.getTracks();
      for (var i = 0; i < tracks.length; i++) { tracks[i].stop(); }
      stream = null;
    }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  start.addEventListener("click", function () {
    say("Đang mở máy ảnh…");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        video.setAttribute("playsinline", "");
        video.hidden = false;
        stop.hidden = false;
        start.hidden = true;
        box.setAttribute("data-state", "scanning");
        var played = video.play();
        if (played && played.then) { played.then(null, function () {}); }
        say("Hướng máy ảnh vào mã QR trên thẻ.");
        timer = window.setInterval(frame, 250);
      }, function () {
        say("Không mở được máy ảnh. Hãy cho phép dùng máy ảnh, hoặc dùng ứng dụng máy ảnh của máy tính bảng để quét.");
      });
  });
  stop.addEventListener("click", function () { halt(); say(""); box.setAttribute("data-state", "ready"); });
})(window, document);
