/* django-tryon "Try it on" widget. Plain JavaScript, no dependencies, no build step.
 * Every text comes from the page (#tryon-strings, rendered translated by the template tag). */
(function () {
  "use strict";
  if (window.tryonWidget) return; // loaded once, whatever the number of script tags
  var S = {};
  var FIRST_POLL = 1000, MAX_POLL = 5000, GIVE_UP = 10 * 60 * 1000;
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function q(root, name) { return root.querySelector("[data-tryon-" + name + "]"); }
  function humanSize(bytes) { return Math.round(bytes / 1048576) + " MB"; }

  function Widget(root, options) {
    this.root = root;
    this.options = options || {}; // from mount(): { fetch } replaces window.fetch for this widget
    this.dialog = q(root, "dialog");
    this.opener = q(root, "open");
    this.form = q(root, "form");
    this.error = q(root, "error");
    this.steps = { form: this.form, progress: q(root, "progress"), result: q(root, "result") };
    this.current = null; // the try-on resource being shown
    this.timers = [];
    this.bind();
  }

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
    if (typeof this.dialog.showModal === "function") this.dialog.showModal();
    else this.dialog.setAttribute("open", "");
    this.focusFirst(this.steps[this.visibleStep()]);
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

  Widget.prototype.show = function (name) {
    for (var step in this.steps) this.steps[step].hidden = step !== name;
    if (name === "progress") q(this.root, "status-box").focus();
    else if (name === "result") q(this.root, "download").focus();
    else this.focusFirst(this.form);
  };

  Widget.prototype.syncUpload = function () {
    q(this.root, "upload").hidden = !q(this.root, "own").checked;
  };

  Widget.prototype.fail = function (message, field, isNotice) {
    this.stopTimers();
    this.show("form");
    this.error.textContent = message;
    this.error.classList.toggle("tryon-error--notice", !!isNotice);
    this.error.hidden = false;
    if (field) field.focus();
  };

  Widget.prototype.chosenFile = function () {
    var files = this.root.querySelectorAll("[data-tryon-file]");
    for (var i = 0; i < files.length; i++) if (files[i].files.length) return files[i].files[0];
    return null;
  };

  Widget.prototype.submit = function () {
    var root = this.root, chosen = this.form.querySelector('input[name="model"]:checked');
    var body = new FormData();
    this.error.hidden = true;
    body.append("garment", root.dataset.garment);
    if (!chosen) return this.fail(S.errorChooseModel, this.form.querySelector('input[name="model"]'));
    if (chosen.value === "upload") {
      var file = this.chosenFile(), consent = q(root, "consent");
      if (!file) return this.fail(S.errorChooseFile, root.querySelector("[data-tryon-file]"));
      if (file.size > Number(root.dataset.maxBytes)) {
        return this.fail(fmt(S.errorTooLarge, { size: humanSize(Number(root.dataset.maxBytes)) }), root.querySelector("[data-tryon-file]"));
      }
      if (!consent.checked) return this.fail(S.errorConsent, consent);
      body.append("model_image", file);
      body.append("consent", "true");
    } else {
      body.append("model_photo", chosen.value);
    }
    this.start(root.dataset.createUrl, { method: "POST", body: body });
  };

  Widget.prototype.request = function (url, options) {
    var headers = { "Accept": "application/json" };
    headers[this.root.dataset.csrfHeader || "X-CSRFToken"] = this.root.dataset.csrfToken;
    options.headers = headers;
    options.credentials = "same-origin";
    return (this.options.fetch || fetch)(url, options).then(function (response) {
      if (response.status === 204) return { response: response, data: null };
      return response.json().catch(function () { return null; }).then(function (data) {
        return { response: response, data: data };
      });
    });
  };

  Widget.prototype.start = function (url, options) {
    var self = this;
    this.stopTimers();
    this.started = Date.now();
    this.setStatus("pending");
    this.show("progress");
    this.timers.push(setInterval(function () { self.tick(); }, 1000));
    this.request(url, options).then(function (answer) {
      if (answer.response.ok && answer.data) return self.update(answer.data, FIRST_POLL);
      self.fail(self.messageFor(answer));
    }).catch(function () { self.fail(S.errorNetwork); });
  };

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

  Widget.prototype.tick = function () {
    var seconds = Math.floor((Date.now() - this.started) / 1000);
    q(this.root, "elapsed").textContent = fmt(S.elapsed, { seconds: seconds });
  };

  Widget.prototype.setStatus = function (status) {
    q(this.root, "status").textContent = status === "running" ? S.statusRunning : S.statusPending;
    this.tick();
  };

  Widget.prototype.update = function (tryon, delay) {
    var self = this;
    this.current = tryon;
    if (tryon.status === "succeeded") return this.showResult(tryon);
    if (tryon.status === "failed") return this.fail((tryon.error && tryon.error.message) || S.errorGeneric);
    this.setStatus(tryon.status);
    if (Date.now() - this.started > GIVE_UP) return this.fail(S.errorTimeout);
    this.timers.push(setTimeout(function () { self.poll(Math.min(delay * 1.5, MAX_POLL)); }, delay));
  };

  Widget.prototype.poll = function (nextDelay) {
    var self = this;
    this.request(this.current.url, { method: "GET" }).then(function (answer) {
      if (answer.response.ok && answer.data) return self.update(answer.data, nextDelay);
      self.fail(self.messageFor(answer));
    }).catch(function () { // a dropped connection while polling: keep trying, more slowly
      self.timers.push(setTimeout(function () { self.poll(MAX_POLL); }, nextDelay));
    });
  };

  Widget.prototype.stopTimers = function () {
    this.timers.forEach(function (id) { clearTimeout(id); clearInterval(id); });
    this.timers = [];
  };

  Widget.prototype.showResult = function (tryon) {
    var root = this.root, after = q(root, "after"), before = q(root, "before");
    this.stopTimers();
    after.src = tryon.result_url;
    after.alt = fmt(S.resultAlt, { name: root.dataset.garmentName });
    before.src = tryon.model_image_url;
    before.alt = S.beforeAlt;
    q(root, "download").href = tryon.result_url;
    q(root, "preview-note").hidden = !tryon.is_preview;
    q(root, "split").value = 50;
    q(root, "compare").style.setProperty("--tryon-split", "50%");
    this.show("result");
  };

  Widget.prototype.remove = function () {
    var self = this;
    if (!this.current) return;
    this.request(this.current.url, { method: "DELETE" }).then(function (answer) {
      if (!answer.response.ok) return self.fail(self.messageFor(answer));
      self.current = null;
      self.form.reset();
      self.syncUpload();
      self.fail(S.deleted, null, true);
    }).catch(function () { self.fail(S.errorNetwork); });
  };

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
