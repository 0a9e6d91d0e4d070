/* django-tryon "Try it on" widget. Plain JavaScript, no dependencies, no build step.
 * Every text comes from the page (#tryon-strings and the markup, translated by the tag).
 * The core: dialog, form, requests, events. The PARTS add the rest (window.tryonWidgetParts). */
(function () {
  "use strict";
  if (window.tryonWidget) return; // loaded once, whatever the number of script tags
  var S = {}, widgets = [], attachers = [], loaded = {};
  // Beside this file: the waiting (a submit waits for it), the shopper's photos and the photo
  // check, the result's actions, their styles.
  var PARTS = ["widget-wait.js", "widget-photos.js", "widget-result.js", "widget-extra.css"];
  var whenReady = [], broken = false; // what waits for the parts; one did not load
  var here = document.currentScript && document.currentScript.src;
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function q(root, name) { return root.querySelector("[data-tryon-" + name + "]"); }
  function Widget(root, options) {
    var self = this;
    this.root = root;
    // From mount(): { fetch } replaces window.fetch for this widget; { picture(url) -> Promise
    // of an address } loads a picture its <img> cannot (a private file behind a token).
    this.options = options || {};
    this.dialog = q(root, "dialog");
    this.opener = q(root, "open");
    this.form = q(root, "form");
    this.error = q(root, "error");
    this.steps = { form: this.form, progress: q(root, "progress"), result: q(root, "result") };
    this.current = null; // the try-on resource being shown
    this.submittedAt = null; // while a submitted try-on has no outcome yet
    this.timers = [];
    this.bind();
    widgets.push(this);
    attachers.forEach(function (attach) { attach(self); });
    this.watchShown();
  }

  // Analytics and the shop's own code: "tryon:<name>" on the root, bubbling; see docs/shopper.md.
  Widget.prototype.emit = function (name, extra) {
    var detail = { tryon: this.current ? this.current.id : null, garment: Number(this.root.dataset.garment) };
    for (var key in extra || {}) detail[key] = extra[key];
    this.root.dispatchEvent(new CustomEvent("tryon:" + name, { bubbles: true, detail: detail }));
  };

  Widget.prototype.waited = function () { return { wait_ms: Date.now() - this.submittedAt }; };

  Widget.prototype.watchShown = function () {
    var self = this;
    if (typeof IntersectionObserver !== "function") return this.shown();
    this.observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) self.shown();
    });
    this.observer.observe(this.opener);
  };

  Widget.prototype.shown = function () {
    if (this.wasShown) return;
    this.wasShown = true;
    if (this.observer) this.observer.disconnect();
    this.emit("widget_shown");
  };

  Widget.prototype.bind = function () {
    var self = this, root = this.root;
    this.opener.addEventListener("click", function () { self.open(); });
    q(root, "close").addEventListener("click", function () { self.close(); });
    this.dialog.addEventListener("close", function () { self.opener.focus(); });
    this.dialog.addEventListener("keydown", function (event) { self.trapFocus(event); });
    this.dialog.addEventListener("click", function (event) { // a click on the backdrop
      var box = self.dialog.getBoundingClientRect();
      if (event.target === self.dialog && (event.clientX < box.left || event.clientX > box.right ||
          event.clientY < box.top || event.clientY > box.bottom)) self.close();
    });
    this.form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-tryon-file") && event.target.files.length) {
        root.querySelectorAll("[data-tryon-file]").forEach(function (input) {
          if (input !== event.target) input.value = "";
        });
        q(root, "own").checked = true;
      }
      self.syncUpload();
    });
    this.form.addEventListener("submit", function (event) { event.preventDefault(); self.submit(); });
    q(root, "split").addEventListener("input", function (event) {
      q(root, "compare").style.setProperty("--tryon-split", event.target.value + "%");
    });
    q(root, "again").addEventListener("click", function () { self.show("form"); });
    q(root, "delete").addEventListener("click", function () { self.remove(); });
  };

  Widget.prototype.open = function () {
    this.shown(); // it was seen, whatever the observer has said yet
    if (typeof this.dialog.showModal === "function") this.dialog.showModal();
    else this.dialog.setAttribute("open", "");
    this.focusFirst(this.steps[this.visibleStep()]);
    this.emit("dialog_opened");
  };

  Widget.prototype.close = function () {
    if (typeof this.dialog.close === "function") this.dialog.close();
    else { this.dialog.removeAttribute("open"); this.opener.focus(); }
  };

  Widget.prototype.focusables = function () {
    return Array.prototype.filter.call(this.dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  };

  Widget.prototype.focusFirst = function (container) {
    var target = container.querySelector("input:checked") || container.querySelector(FOCUSABLE) ||
      container.querySelector("[tabindex]");
    (target || q(this.root, "close")).focus();
  };

  Widget.prototype.trapFocus = function (event) {
    // The modal dialog makes the page inert; this also keeps Tab from leaving for the browser UI.
    if (event.key !== "Tab") return;
    var items = this.focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !this.dialog.contains(document.activeElement))) {
      event.preventDefault(); last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault(); first.focus();
    }
  };

  Widget.prototype.visibleStep = function () {
    for (var name in this.steps) if (!this.steps[name].hidden) return name;
    return "form";
  };

  // target: what gets the focus (and is scrolled to), instead of the step's first control.
  Widget.prototype.show = function (name, target) {
    for (var step in this.steps) this.steps[step].hidden = step !== name;
    if (target) target.focus();
    else if (name === "progress") q(this.root, "status-box").focus();
    else if (name === "result") q(this.root, "download").focus();
    else this.focusFirst(this.form);
  };

  Widget.prototype.syncUpload = function () {
    q(this.root, "upload").hidden = !q(this.root, "own").checked;
  };

  // Shown, announced (role=alert) and focused where the shopper looks, even on a phone where
  // the form is taller than the screen; field: what to fix, focused instead.
  Widget.prototype.fail = function (message, field, isNotice) {
    this.stopTimers();
    this.job = null; // late answers for it are dropped
    if (this.submittedAt !== null) {
      this.emit("tryon_failed", this.waited());
      this.submittedAt = null;
    }
    this.error.textContent = message;
    this.error.classList.toggle("tryon-error--notice", !!isNotice);
    this.error.hidden = false;
    this.show("form", field || this.error);
    this.error.scrollIntoView({ block: field ? "nearest" : "center" });
  };

  Widget.prototype.chosenFile = function () {
    var files = this.root.querySelectorAll("[data-tryon-file]");
    for (var i = 0; i < files.length; i++) if (files[i].files.length) return files[i].files[0];
    return null;
  };

  Widget.prototype.submit = function () {
    var root = this.root, chosen = this.form.querySelector('input[name="model"]:checked');
    var self = this, body = new FormData(), pair = q(root, "pair"), input = q(root, "file");
    this.error.hidden = true;
    if (pair && pair.checked) { // complete the look: both garments, one picture
      body.append("garments", root.dataset.garment);
      body.append("garments", pair.value);
    } else body.append("garment", root.dataset.garment);
    if (!chosen) return this.fail(S.errorChooseModel, this.form.querySelector('input[name="model"]'));
    if (chosen.value === "upload") {
      var file = this.chosenFile(), consent = q(root, "consent"), max = Number(root.dataset.maxBytes);
      if (!file) return this.fail(S.errorChooseFile, input);
      if (file.size > max) return this.fail(fmt(S.errorTooLarge, { size: Math.round(max / 1048576) + " MB" }), input);
      if (!consent.checked) return this.fail(S.errorConsent, consent);
      body.append("model_image", file);
      body.append("consent", "true");
      body.append("accept_warnings", "false"); // the photo check's warnings are asked about first
    } else {
      body.append("model_photo", chosen.value);
    }
    this.current = null;
    this.submittedAt = Date.now();
    this.emit("tryon_submitted");
    ready(function (missing) {
      if (missing) return self.fail(S.errorNetwork); // a part could not be loaded
      self.start(root.dataset.createUrl, { method: "POST", body: body });
    });
  };

  Widget.prototype.request = function (url, options, timeoutMs) {
    var headers = { "Accept": "application/json" }, timer = null;
    headers[this.root.dataset.csrfHeader || "X-CSRFToken"] = this.root.dataset.csrfToken;
    options.headers = headers;
    options.credentials = "same-origin";
    if (timeoutMs && typeof AbortController === "function") {
      var controller = new AbortController();
      options.signal = controller.signal;
      timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    }
    // Relative URLs (from the markup) are the API's: the page may be on another origin.
    url = new URL(url, new URL(this.root.dataset.createUrl, document.baseURI)).href;
    return (this.options.fetch || fetch)(url, options).then(function (response) {
      if (response.status === 204) return { response: response, data: null };
      return response.json().catch(function () { return null; }).then(function (data) {
        return { response: response, data: data };
      });
    }).finally(function () { clearTimeout(timer); });
  };

  // Show the picture at url in img (and, given, as link's href); resolves once it is set.
  Widget.prototype.picture = function (img, url, link) {
    img.dataset.tryonSource = url || "";
    var set = function (address) {
      if (img.dataset.tryonSource !== (url || "")) return; // a newer picture took its place
      img.src = address;
      if (link) link.href = address;
    };
    if (!url || !this.options.picture) return Promise.resolve(set(url || ""));
    return this.options.picture(url).then(set, function () { set(""); });
  };

  // For the photos part: a refusal it takes over (the photo check's warnings: true), and a
  // try-on accepted by the server (an upload becomes one of the shopper's photos).
  Widget.prototype.refused = function () { return false; };
  Widget.prototype.accepted = function () {};

  Widget.prototype.messageFor = function (answer) {
    var data = answer.data, status = answer.response.status;
    if (status === 403) return S.errorForbidden;
    if (data && typeof data.detail === "string") return data.detail;
    if (data && typeof data === "object") { // field errors: {"model_image": ["..."], ...}
      var messages = [];
      Object.keys(data).forEach(function (key) {
        [].concat(data[key]).forEach(function (text) { if (typeof text === "string") messages.push(text); });
      });
      if (messages.length) return messages.join(" ");
    }
    return S.errorGeneric;
  };

  Widget.prototype.stopTimers = function () {
    this.timers.forEach(function (id) { clearTimeout(id); clearInterval(id); });
    this.timers = [];
  };

  Widget.prototype.remove = function () {
    var self = this;
    if (!this.current) return;
    this.request(this.current.url, { method: "DELETE" }).then(function (answer) {
      if (!answer.response.ok) return self.fail(self.messageFor(answer));
      self.emit("tryon_deleted");
      self.current = null;
      self.form.reset();
      self.syncUpload();
      self.fail(S.deleted, null, true);
    }).catch(function () { self.fail(S.errorNetwork); });
  };

  // The parts: { name, setup(api) -> attach(widget) }, pushed before or after this file ran.
  function use(part) {
    if (loaded[part.name]) return;
    loaded[part.name] = true;
    var attach = part.setup({ Widget: Widget, q: q, fmt: fmt, strings: function () { return S; } });
    if (typeof attach === "function") {
      attachers.push(attach);
      widgets.forEach(attach);
    }
    ready();
  }
  function missingParts() {
    return PARTS.filter(function (file) { return /\.js$/.test(file) && !loaded[file]; });
  }
  // fn(missing) once every part is in (missing: 0), or one could not be loaded (missing > 0).
  function ready(fn) {
    if (fn) whenReady.push(fn);
    var missing = missingParts().length;
    if (missing && !broken) return;
    whenReady.splice(0).forEach(function (waiting) { waiting(missing); });
  }
  var queued = window.tryonWidgetParts || [];
  window.tryonWidgetParts = { push: use };
  queued.forEach(use);
  // Parts the page did not name (the <tryon-widget> element, an older _assets.html): loaded from
  // beside this file, attached when they arrive.
  PARTS.forEach(function (file) {
    var css = /\.css$/.test(file), tag = css ? "link" : "script", attr = css ? "href" : "src";
    var named = tag + "[" + attr + '*="tryon/' + file.replace(/[^.]+$/, "") + '"]'; // hashed names too
    if (!here || loaded[file] || document.querySelector(named)) return;
    var node = document.createElement(tag);
    if (css) node.rel = "stylesheet";
    else node.addEventListener("error", function () { broken = true; ready(); });
    node[attr] = new URL(file, here).href;
    document.head.appendChild(node);
  });

  function init() {
    var strings = document.getElementById("tryon-strings");
    if (strings) S = JSON.parse(strings.textContent);
    document.querySelectorAll("[data-tryon-widget]").forEach(function (root) {
      if (root.tryonWidget || !q(root, "dialog")) return;
      root.tryonWidget = new Widget(root);
    });
  }

  // One root inserted later (the <tryon-widget> element): strings as #tryon-strings holds them,
  // fetch(url, init) to send its requests (credentials, headers) and watch the answers.
  function mount(root, options) {
    options = options || {};
    if (options.strings) S = options.strings;
    if (!root.tryonWidget && q(root, "dialog")) root.tryonWidget = new Widget(root, options);
    return root.tryonWidget || null;
  }

  window.tryonWidget = { init: init, mount: mount };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
