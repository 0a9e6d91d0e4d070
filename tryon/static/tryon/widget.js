/* django-tryon "Try it on" widget. Plain JavaScript, no dependencies, no build step.
 * Every text comes from the page (#tryon-strings, rendered translated by the template tag). */
(function () {
  "use strict";
  if (window.tryonWidget) return; // loaded once, whatever the number of script tags
  var S = {};
  // When to look again is the server's call (poll_after_ms, from its ETA); these bound
  // a tab's load whatever it is told.
  var POLL = {
    maxRequests: 20, // per try-on: the POST, every look and every retry
    giveUpMs: 600000, // then a clear message
    burst: 2, perRequestMs: 1000, // look k not before (k - burst) s in: 1/s on average
    minMs: 100, maxMs: 15000, // any hint is clamped to this
    fallbackMs: 1000, fallbackMaxMs: 5000, // no hint (an older server): back off 1.5x
    retryMs: 500, retryMaxMs: 8000, // a dropped look: retry after this, doubling
    timeoutMs: 20000, // a look unanswered by then counts as dropped
    lateMs: 5000, // this long past the ETA: "taking longer than usual"
    decodeMs: 10000 // the longest the result waits for its picture to decode
  };
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function q(root, name) { return root.querySelector("[data-tryon-" + name + "]"); }
  function humanSize(bytes) { return Math.round(bytes / 1048576) + " MB"; }
  function later(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Settles once the picture is decoded (or broken, or too slow): revealed then, it shows
  // at once instead of an empty frame filling in.
  function decoded(img) {
    return Promise.race([typeof img.decode === "function" ? img.decode() : null, later(POLL.decodeMs)]);
  }

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
    this.job = null; // late answers for it are dropped
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
    return (this.options.fetch || fetch)(url, options).then(function (response) {
      if (response.status === 204) return { response: response, data: null };
      return response.json().catch(function () { return null; }).then(function (data) {
        return { response: response, data: data };
      });
    }).finally(function () { clearTimeout(timer); });
  };

  Widget.prototype.start = function (url, options) {
    var self = this, job;
    this.stopTimers();
    this.job = job = { started: Date.now(), requests: 1, looks: 0, failures: 0, etaAt: null,
      fallbackMs: POLL.fallbackMs };
    this.setStatus("pending");
    this.show("progress");
    this.timers.push(setInterval(function () { self.tick(); }, 1000));
    this.request(url, options).then(function (answer) {
      if (self.job !== job) return;
      if (answer.response.ok && answer.data) {
        self.loadBefore(answer.data);
        return self.update(answer);
      }
      self.fail(self.messageFor(answer));
    }).catch(function () { if (self.job === job) self.fail(S.errorNetwork); });
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
    var job = this.job, now = Date.now(), left, share = null, text;
    if (!job) return;
    q(this.root, "elapsed").textContent = fmt(S.elapsed, { seconds: Math.floor((now - job.started) / 1000) });
    var eta = q(this.root, "eta"), bar = q(this.root, "bar");
    if (!eta || !bar) return; // a shop's older widget.html
    left = job.etaAt === null ? null : job.etaAt - now;
    if (job.failures) text = "textOffline";
    else if (left === null) text = "textUnknown";
    else if (left >= 1500) {
      text = "textLeft";
      share = (now - job.started) / Math.max(job.etaAt - job.started, 1);
    } else if (-left < POLL.lateMs) { text = "textSoon"; share = 1; }
    else text = "textLate";
    eta.textContent = fmt(eta.dataset[text], { seconds: Math.round(left / 1000) });
    if (share === null) bar.removeAttribute("value"); // indeterminate
    else bar.value = Math.min(share, 1);
  };

  Widget.prototype.setStatus = function (status) {
    q(this.root, "status").textContent = status === "running" ? S.statusRunning : S.statusPending;
    this.tick();
  };

  // eta_seconds counts from the answer; a 0 once past the last ETA keeps it (lateness shows).
  Widget.prototype.setEta = function (seconds) {
    var job = this.job, now = Date.now();
    if (typeof seconds !== "number" || !isFinite(seconds)) job.etaAt = null;
    else if (!(seconds <= 0 && job.etaAt !== null && job.etaAt <= now)) job.etaAt = now + seconds * 1000;
  };

  // poll_after_ms, else the X-Poll-After-Ms header, else (an older server) a backoff.
  Widget.prototype.hint = function (answer) {
    var job = this.job, ms = answer.data && answer.data.poll_after_ms;
    if (typeof ms !== "number") {
      var header = answer.response.headers.get("X-Poll-After-Ms");
      ms = header === null ? NaN : Number(header);
    }
    if (!isFinite(ms)) {
      ms = job.fallbackMs;
      job.fallbackMs = Math.min(job.fallbackMs * 1.5, POLL.fallbackMaxMs);
    }
    return ms;
  };

  Widget.prototype.update = function (answer) {
    var tryon = answer.data;
    this.current = tryon;
    if (tryon.status === "succeeded") return this.showResult(tryon);
    if (tryon.status === "failed") return this.fail((tryon.error && tryon.error.message) || S.errorGeneric);
    this.setEta(tryon.eta_seconds);
    this.setStatus(tryon.status);
    this.schedule(this.hint(answer));
  };

  Widget.prototype.schedule = function (delay) {
    var self = this, job = this.job, now = Date.now();
    delay = Math.min(Math.max(delay, POLL.minMs), POLL.maxMs);
    delay = Math.max(delay, job.started + (job.looks + 1 - POLL.burst) * POLL.perRequestMs - now);
    if (job.requests >= POLL.maxRequests || now + delay - job.started > POLL.giveUpMs) {
      // Never wait for ever (a new request is answered from the result, if any).
      return this.fail(job.failures ? S.errorNetwork : S.errorTimeout);
    }
    this.timers.push(setTimeout(function () { self.poll(); }, delay));
  };

  Widget.prototype.poll = function () {
    var self = this, job = this.job;
    job.requests += 1;
    job.looks += 1;
    this.request(this.current.url, { method: "GET" }, POLL.timeoutMs).then(function (answer) {
      if (self.job !== job) return;
      var status = answer.response.status;
      if (answer.response.ok && answer.data) {
        job.failures = 0;
        return self.update(answer);
      }
      // A gateway error (a deploy, a restart) or the throttle: wait and look again.
      if (status >= 500 || status === 429) return self.retry(answer.response);
      self.fail(self.messageFor(answer));
    }).catch(function () { if (self.job === job) self.retry(null); });
  };

  // A look that failed on the way: retry after a growing pause, then carry on as before.
  Widget.prototype.retry = function (response) {
    var job = this.job;
    job.failures += 1;
    var delay = Math.min(POLL.retryMs * Math.pow(2, job.failures - 1), POLL.retryMaxMs);
    var after = response ? Number(response.headers.get("Retry-After")) : 0;
    if (after > 0) delay = Math.max(delay, after * 1000);
    this.tick();
    this.schedule(delay);
  };

  Widget.prototype.stopTimers = function () {
    this.timers.forEach(function (id) { clearTimeout(id); clearInterval(id); });
    this.timers = [];
  };

  // The shopper's photo starts loading as soon as the try-on is accepted.
  Widget.prototype.loadBefore = function (tryon) {
    var before = q(this.root, "before");
    if (tryon.model_image_url && before.getAttribute("src") !== tryon.model_image_url) {
      before.src = tryon.model_image_url;
    }
    before.alt = S.beforeAlt;
  };

  Widget.prototype.showResult = function (tryon) {
    var self = this, root = this.root, after = q(root, "after"), job = this.job;
    this.stopTimers();
    this.loadBefore(tryon);
    after.alt = fmt(S.resultAlt, { name: root.dataset.garmentName });
    after.src = tryon.result_url;
    q(root, "download").href = tryon.result_url;
    q(root, "preview-note").hidden = !tryon.is_preview;
    q(root, "split").value = 50;
    q(root, "compare").style.setProperty("--tryon-split", "50%");
    // Revealed once the picture is decoded, not waiting for the "before" photo.
    var reveal = function () { if (self.job === job) self.show("result"); };
    decoded(after).then(reveal, reveal);
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
