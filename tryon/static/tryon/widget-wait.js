/* django-tryon widget, the waiting: from the create request to the result shown. The server
 * says when to look again (poll_after_ms, from its ETA) and how long is left (eta_seconds).
 * A part of widget.js (which loads it when the page has not): no dependencies, no build step. */
(function () {
  "use strict";
  // These bound a tab's load whatever the server says.
  var POLL = {
    maxRequests: 20, // per try-on: the POST, every look and every retry
    giveUpMs: 600000, // then a clear message
    burst: 2, perRequestMs: 1000, // look k not before (k - burst) s in: 1/s on average
    minMs: 100, maxMs: 15000, // any hint is clamped to this
    fallbackMs: 1000, fallbackMaxMs: 5000, // no hint (an older server): back off 1.5x
    retryMs: 500, retryMaxMs: 8000, // a dropped look: retry after this, doubling
    timeoutMs: 20000, // a look unanswered by then counts as dropped
    lateMs: 5000 // this long past the ETA: "taking longer than usual"
  };
  var DECODE_MS = 10000; // the longest the result waits for its picture to decode

  function later(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Settles once the picture is decoded (or broken, or too slow): revealed then, it shows
  // at once instead of an empty frame filling in.
  function decoded(img) {
    return Promise.race([typeof img.decode === "function" ? img.decode() : null, later(DECODE_MS)]);
  }

  function setup(api) {
    var W = api.Widget, q = api.q, fmt = api.fmt, S = api.strings;
    W.prototype.start = function (url, options) {
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
          self.accepted(answer.data, options);
          return self.update(answer);
        }
        if (!self.refused(answer, url, options)) self.fail(self.messageFor(answer));
      }).catch(function () { if (self.job === job) self.fail(S().errorNetwork); });
    };

    W.prototype.tick = function () {
      var job = this.job, now = Date.now(), left, share = null, text;
      if (!job) return;
      q(this.root, "elapsed").textContent = fmt(S().elapsed, { seconds: Math.floor((now - job.started) / 1000) });
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

    W.prototype.setStatus = function (status) {
      q(this.root, "status").textContent = status === "running" ? S().statusRunning : S().statusPending;
      this.tick();
    };

    // eta_seconds counts from the answer; a 0 once past the last ETA keeps it (lateness shows).
    W.prototype.setEta = function (seconds) {
      var job = this.job, now = Date.now();
      if (typeof seconds !== "number" || !isFinite(seconds)) job.etaAt = null;
      else if (!(seconds <= 0 && job.etaAt !== null && job.etaAt <= now)) job.etaAt = now + seconds * 1000;
    };

    // poll_after_ms, else the X-Poll-After-Ms header, else (an older server) a backoff.
    W.prototype.hint = function (answer) {
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

    W.prototype.update = function (answer) {
      var tryon = answer.data;
      this.current = tryon;
      if (tryon.status === "succeeded") return this.showResult(tryon);
      if (tryon.status === "failed") return this.fail((tryon.error && tryon.error.message) || S().errorGeneric);
      this.setEta(tryon.eta_seconds);
      this.setStatus(tryon.status);
      this.schedule(this.hint(answer));
    };

    W.prototype.schedule = function (delay) {
      var self = this, job = this.job, now = Date.now();
      delay = Math.min(Math.max(delay, POLL.minMs), POLL.maxMs);
      delay = Math.max(delay, job.started + (job.looks + 1 - POLL.burst) * POLL.perRequestMs - now);
      if (job.requests >= POLL.maxRequests || now + delay - job.started > POLL.giveUpMs) {
        // Never wait for ever (a new request is answered from the result, if any).
        return this.fail(job.failures ? S().errorNetwork : S().errorTimeout);
      }
      this.timers.push(setTimeout(function () { self.poll(); }, delay));
    };

    W.prototype.poll = function () {
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
    W.prototype.retry = function (response) {
      var job = this.job;
      job.failures += 1;
      var delay = Math.min(POLL.retryMs * Math.pow(2, job.failures - 1), POLL.retryMaxMs);
      var after = response ? Number(response.headers.get("Retry-After")) : 0;
      if (after > 0) delay = Math.max(delay, after * 1000);
      this.tick();
      this.schedule(delay);
    };

    // The shopper's photo starts loading as soon as the try-on is accepted.
    W.prototype.loadBefore = function (tryon) {
      var before = q(this.root, "before");
      if (tryon.model_image_url && before.dataset.tryonSource !== tryon.model_image_url) {
        this.picture(before, tryon.model_image_url);
      }
      before.alt = S().beforeAlt;
    };

    W.prototype.showResult = function (tryon) {
      var self = this, root = this.root, after = q(root, "after"), job = this.job, pair = q(root, "pair");
      this.stopTimers();
      this.loadBefore(tryon);
      var outfit = pair && (tryon.garments || []).length > 1; // its alt text names both garments
      after.alt = outfit ? pair.dataset.resultAlt : fmt(S().resultAlt, { name: root.dataset.garmentName });
      var shown = this.picture(after, tryon.result_url, q(root, "download"));
      q(root, "preview-note").hidden = !tryon.is_preview;
      if (q(root, "ai-label")) q(root, "ai-label").hidden = !!tryon.is_preview;
      q(root, "split").value = 50;
      q(root, "compare").style.setProperty("--tryon-split", "50%");
      // Revealed once the picture is decoded, not waiting for the "before" photo.
      var reveal = function () {
        if (self.job !== job) return;
        self.show("result");
        if (self.submittedAt !== null) self.emit("tryon_succeeded", self.waited());
        self.submittedAt = null;
        self.emit("result_viewed");
      };
      shown.then(function () { return decoded(after); }).then(reveal, reveal);
    };
  }

  (window.tryonWidgetParts = window.tryonWidgetParts || []).push({ name: "widget-wait.js", setup: setup });
})();
