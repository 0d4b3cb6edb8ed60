/* Keeps an unfinished form on this device, so nothing is lost if the page is closed halfway.
 *
 * For a <form data-draft="KEY">: what is typed is saved in localStorage under "gongji-draft:KEY" and put back
 * into empty fields when the form is opened again. Not kept: hidden fields (the CSRF token), files, and the
 * agreement checkbox, which is accepted anew each time. On submit the draft is marked as sent; when the form
 * next opens without a refusal (data-draft-refused), the sending went through and the draft is removed. A
 * refused form comes back from the server with what was typed, and the draft is kept. A form sent after the
 * login ended lands on the login page (body data-flash="expired"): its draft is kept for the form after login.
 * The form works the same without this script.
 */
(function () {
  "use strict";
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  var SKIP = { hidden: true, file: true, password: true, submit: true, button: true, reset: true };

  function storage() {
    try {
      var probe = "gongji-draft-probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode, or storage switched off: the form still works
    }
  }

  function kept(el) {
    return el.name && !SKIP[el.type] && el.name !== "agreement" && el.name !== "csrf";
  }

  function read(store, key) {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      if (!draft || typeof draft !== "object" || Date.now() - (draft.at || 0) > MAX_AGE_MS) {
        store.removeItem(key);
        return null;
      }
      return draft;
    } catch (e) {
      store.removeItem(key);
      return null;
    }
  }

  function setUp(form, store) {
    var key = "gongji-draft:" + form.getAttribute("data-draft");
    var refused = form.hasAttribute("data-draft-refused");
    var draft = read(store, key);
    var note = form.querySelector(".draft-note");

    if (draft && draft.sent && !refused) {
      store.removeItem(key); // the last sending was accepted
      draft = null;
    }
    if (draft && draft.values) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el) || !(el.name in draft.values)) return;
        var value = draft.values[el.name];
        if (el.type === "checkbox" || el.type === "radio") {
          if (!refused) el.checked = el.value === value;
        } else if (!refused || el.value === "") {
          el.value = value; // on a refused form the server's values come first
        }
      });
    }

    function save(sent) {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el)) return;
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) values[el.name] = el.value;
        } else {
          values[el.name] = el.value;
        }
      });
      try {
        store.setItem(key, JSON.stringify({ at: Date.now(), sent: !!sent, values: values }));
      } catch (e) { /* storage full: nothing to do */ }
    }

    if (refused) save(false); // keep what came back, in case the page is closed now
    form.addEventListener("input", function () { save(false); });
    form.addEventListener("change", function () { save(false); });
    form.addEventListener("submit", function () { save(true); });
    if (note) note.hidden = false;
  }

  // The login ended and a form sent with it was not taken: its draft, marked as sent, is wanted again.
  function keepSent(store) {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf("gongji-draft:") !== 0) continue;
      var draft = read(store, key);
      if (draft && draft.sent) {
        draft.sent = false;
        store.setItem(key, JSON.stringify(draft));
      }
    }
  }

  function start() {
    var store = storage();
    if (!store) return;
    if (document.body && document.body.getAttribute("data-flash") === "expired") keepSent(store);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
      setUp(form, store);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
