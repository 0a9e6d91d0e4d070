/* django-tryon widget, the result's actions: download, share link, the shop's cart. A part of
 * widget.js (which loads it when the page has not): no dependencies, no build step; every
 * text comes from the markup. */
(function () {
  "use strict";

  function setup(api) {
    var W = api.Widget, q = api.q;

    W.prototype.shareStatus = function (text) {
      var status = q(this.root, "share-status");
      if (status) status.textContent = text || "";
    };

    // The share box follows the try-on: shown while it has a share_url, else the Share button.
    W.prototype.syncShare = function (focus) {
      var box = q(this.root, "share-box"), button = q(this.root, "share"), url = this.current && this.current.share_url;
      if (!box || !button) return;
      box.hidden = !url;
      button.hidden = !!url;
      button.setAttribute("aria-expanded", url ? "true" : "false");
      q(this.root, "share-url").value = url || "";
      if (focus) (url ? q(this.root, "share-url") : button).focus();
    };

    // POST api/tryons/<id>/share/ answers {share_url}; DELETE stops sharing.
    W.prototype.share = function (on) {
      var self = this, tryon = this.current;
      if (!tryon) return;
      this.shareStatus("");
      this.request(tryon.url.replace(/\/?$/, "/") + "share/", { method: on ? "POST" : "DELETE" }).then(function (answer) {
        if (self.current !== tryon) return;
        if (!answer.response.ok) return self.shareStatus(self.messageFor(answer));
        tryon.share_url = on ? answer.data.share_url : null;
        self.syncShare(true);
        if (on) q(self.root, "share-url").select();
        else self.shareStatus(q(self.root, "share-status").dataset.textStopped);
      }).catch(function () { self.shareStatus(api.strings().errorNetwork); });
    };

    W.prototype.copyShare = function () {
      var self = this, field = q(this.root, "share-url"), texts = q(this.root, "share-status").dataset;
      function copied() { self.shareStatus(texts.textCopied); }
      function byHand() { // no clipboard access: the link is selected, for the shopper to copy
        field.focus();
        field.select();
        try {
          if (document.execCommand("copy")) return copied();
        } catch (error) { /* not allowed either */ }
        self.shareStatus(texts.textCopyFailed);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(field.value).then(copied, byHand);
      else byHand();
    };

    // The shop wires its cart to this event (docs/shopper.md): the widget only says what to add.
    W.prototype.addToCart = function () {
      var tryon = this.current;
      this.emit("add_to_cart", {
        product: this.root.dataset.product || null,
        garments: tryon && tryon.garments && tryon.garments.length ? tryon.garments : [Number(this.root.dataset.garment)]
      });
    };

    return function attach(widget) {
      var root = widget.root;
      // A new result: its own share state, and no old message.
      root.addEventListener("tryon:result_viewed", function () {
        widget.shareStatus("");
        widget.syncShare(false);
      });
      root.addEventListener("click", function (event) {
        var target = event.target.closest("[data-tryon-download], [data-tryon-share], [data-tryon-unshare], [data-tryon-copy], [data-tryon-cart]");
        if (!target || !root.contains(target)) return;
        if (target.hasAttribute("data-tryon-download")) widget.emit("result_downloaded");
        else if (target.hasAttribute("data-tryon-share")) widget.share(true);
        else if (target.hasAttribute("data-tryon-unshare")) widget.share(false);
        else if (target.hasAttribute("data-tryon-copy")) widget.copyShare();
        else widget.addToCart();
      });
    };
  }

  (window.tryonWidgetParts = window.tryonWidgetParts || []).push({ name: "widget-result.js", setup: setup });
})();
