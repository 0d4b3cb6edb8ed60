/* Shrinks a large photo chosen in <input type="file" data-shrink="MAX_SIDE"> before the form sends it: a phone
 * photo of a household register (2-8 MB) becomes a JPEG of at most MAX_SIDE pixels a side, a few hundred KB,
 * still easy to read. PDFs and small photos are sent as they are. A note next to the field (.shrink-note) says
 * what was done. Without this script (or a browser that cannot), the photo is sent whole, up to the site's limit.
 */
(function () {
  "use strict";
  var SMALL = 1024 * 1024; // below this, a photo is sent as it is

  function canShrink() {
    return !!(window.DataTransfer && window.URL && document.createElement("canvas").toBlob);
  }

  function load(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      img.src = url;
    });
  }

  function shrink(file, maxSide) {
    return load(file).then(function (img) {
      var scale = Math.min(1, maxSide / Math.max(img.naturalWidth, img.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a PNG's transparent parts turn white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) return null; // no gain: send the original
      var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: Date.now() });
    });
  }

  function kb(bytes) { return Math.max(1, Math.round(bytes / 1024)) + " KB"; }

  function setUp(input) {
    var maxSide = parseInt(input.getAttribute("data-shrink"), 10) || 2000;
    var note = input.parentNode.querySelector(".shrink-note");
    var pending = null;
    var form = input.form;
    var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (note) { note.hidden = true; note.textContent = ""; }
      if (!file || !/^image\/(jpeg|png)$/.test(file.type) || file.size <= SMALL) return;
      pending = shrink(file, maxSide).then(function (smaller) {
        if (smaller) {
          var list = new DataTransfer();
          list.items.add(smaller);
          input.files = list.files;
          if (note) {
            note.textContent = zh ? "照片已压缩：" + kb(file.size) + " → " + kb(smaller.size)
                                  : "Photo made smaller: " + kb(file.size) + " → " + kb(smaller.size);
            note.hidden = false;
          }
        }
      }, function () { /* not readable here: sent as it is, the server checks it */ }).then(function () {
        pending = null;
      });
    });

    if (form) {
      form.addEventListener("submit", function (event) {
        if (!pending) return;
        event.preventDefault(); // wait for the smaller photo, then send
        var submitter = event.submitter;
        pending.then(function () {
          if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
        });
      });
    }
  }

  function start() {
    if (!canShrink()) return;
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-shrink]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
