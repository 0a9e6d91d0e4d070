/* django-tryon widget, the shopper's photos: one upload serves the whole visit, and the photo
 * check's warnings are the shopper's call. A part of widget.js (which loads it when the page
 * has not): no dependencies, no build step; every text comes from the markup. */
(function () {
  "use strict";

  function setup(api) {
    var W = api.Widget, q = api.q;

    function models(widget) { return widget.form.querySelectorAll('input[name="model"]'); }

    // An upload the server accepted is one of the shopper's photos from now on: offered next
    // time (here and on every product page, until it expires), with no second upload.
    W.prototype.accepted = function (tryon, options) {
      var template = q(this.root, "own-template"), upload = q(this.root, "own");
      if (!template || !options.body || !options.body.has("model_image") || !tryon.model_photo) return;
      var known = Array.prototype.some.call(models(this), function (input) { return input.value === tryon.model_photo; });
      if (known) return;
      var entry = template.content.firstElementChild.cloneNode(true), input = entry.querySelector("input");
      input.value = tryon.model_photo;
      this.picture(entry.querySelector("img"), tryon.model_image_url);
      upload.closest("label").before(entry);
      input.checked = true;
      this.root.querySelectorAll("[data-tryon-file]").forEach(function (file) { file.value = ""; });
      q(this.root, "consent").checked = false;
      this.syncUpload();
    };

    // 400 with an accept_warnings error and photo_check.warnings: the photo may give a poor
    // result. Say why, then send it again ("Use this photo anyway") or choose another.
    W.prototype.refused = function (answer, url, options) {
      var data = answer.data, box = q(this.root, "warnings");
      var warnings = data && data.accept_warnings && data.photo_check && data.photo_check.warnings;
      if (answer.response.status !== 400 || !box || !warnings || !warnings.length) return false;
      var list = q(this.root, "warning-list");
      list.replaceChildren();
      warnings.forEach(function (warning) {
        var item = document.createElement("li");
        item.textContent = warning.message;
        list.appendChild(item);
      });
      this.stopTimers();
      this.job = null;
      this.pending = { url: url, options: options };
      box.hidden = false;
      this.show("form", box);
      box.scrollIntoView({ block: "center" });
      return true;
    };

    W.prototype.hideWarnings = function () {
      var box = q(this.root, "warnings");
      if (box) box.hidden = true;
      this.pending = null;
    };

    W.prototype.useAnyway = function () {
      var pending = this.pending;
      if (!pending) return;
      this.hideWarnings();
      pending.options.body.set("accept_warnings", "true");
      this.start(pending.url, pending.options); // the same try-on, so no second "submitted"
    };

    W.prototype.chooseAnother = function () {
      var file = this.root.querySelector("[data-tryon-file]");
      this.hideWarnings();
      this.submittedAt = null; // that try-on was given up, not failed
      this.root.querySelectorAll("[data-tryon-file]").forEach(function (input) { input.value = ""; });
      q(this.root, "own").checked = true;
      this.syncUpload();
      file.focus();
    };

    // The shopper's own photo goes, with every try-on made from it (DELETE api/model-photos/<id>/).
    W.prototype.removePhoto = function (entry) {
      var self = this, input = entry.querySelector("input"), status = q(this.root, "photos-status");
      this.error.hidden = true;
      this.request(this.root.dataset.photosUrl + input.value + "/", { method: "DELETE" }).then(function (answer) {
        // 404: gone already (expired, or removed in another tab).
        if (!answer.response.ok && answer.response.status !== 404) return self.fail(self.messageFor(answer));
        var wasChecked = input.checked;
        entry.remove();
        if (wasChecked) models(self)[0].checked = true;
        self.syncUpload();
        if (status) status.textContent = status.dataset.textRemoved;
        self.focusFirst(self.form);
      }).catch(function () { self.fail(api.strings().errorNetwork); });
    };

    return function attach(widget) {
      var root = widget.root;
      root.addEventListener("click", function (event) {
        var target = event.target.closest("button");
        if (!target || !root.contains(target)) return;
        if (target.hasAttribute("data-tryon-remove")) widget.removePhoto(target.closest("[data-tryon-own-photo]"));
        else if (target.hasAttribute("data-tryon-accept-warnings")) widget.useAnyway();
        else if (target.hasAttribute("data-tryon-other-photo")) widget.chooseAnother();
      });
      // Any new choice or a new submit makes the warnings old news.
      widget.form.addEventListener("change", function () { widget.hideWarnings(); });
      widget.form.addEventListener("submit", function () { widget.hideWarnings(); });
    };
  }

  (window.tryonWidgetParts = window.tryonWidgetParts || []).push({ name: "widget-photos.js", setup: setup });
})();
