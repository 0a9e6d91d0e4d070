/* django-tryon analytics beacon: no dependencies, no build step, no third party.
 *
 * The widget dispatches DOM CustomEvents on its root element ([data-tryon-widget]):
 *   tryon:widget_shown, tryon:dialog_opened, tryon:tryon_submitted, tryon:tryon_succeeded,
 *   tryon:tryon_failed, tryon:result_viewed, tryon:result_downloaded, tryon:tryon_deleted
 * with detail {tryon: "<uuid>"?, garment: <id>?, wait_ms: <n>?}. This script listens for
 * them on the document (capture phase, so it hears them whether or not they bubble) and
 * posts each with navigator.sendBeacon to the URL in its own data-beacon-url attribute
 * (or the widget root's data-tryon-beacon). Analytics must never get in the shopper's
 * way: every failure here is silent.
 */
(function () {
  "use strict";
  if (window.__tryonBeacon) return; // included once per page, whatever the templates do
  window.__tryonBeacon = true;

  var EVENTS = [
    "widget_shown", "dialog_opened", "tryon_submitted", "tryon_succeeded",
    "tryon_failed", "result_viewed", "result_downloaded", "tryon_deleted"
  ];
  var script = document.currentScript;
  var scriptUrl = script && script.getAttribute("data-beacon-url");

  function urlFor(target) {
    var root = target && target.closest ? target.closest("[data-tryon-widget]") : null;
    return (root && root.getAttribute("data-tryon-beacon")) || scriptUrl;
  }

  function payload(name, event) {
    var detail = event.detail || {};
    var root = event.target && event.target.closest ? event.target.closest("[data-tryon-widget]") : null;
    var body = { event: name };
    if (typeof detail.tryon === "string" && detail.tryon) body.tryon = detail.tryon;
    var garment = detail.garment != null ? detail.garment : root && root.getAttribute("data-garment");
    if (garment != null && /^\d+$/.test(String(garment))) body.garment = Number(garment);
    if (typeof detail.wait_ms === "number" && isFinite(detail.wait_ms) && detail.wait_ms >= 0) {
      body.wait_ms = Math.round(detail.wait_ms);
    }
    return JSON.stringify(body);
  }

  function send(name, event) {
    var url = urlFor(event.target);
    if (!url) return;
    try {
      var body = payload(name, event);
      // A string is sent as text/plain: a simple request, never preflighted.
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, body)) && window.fetch) {
        window.fetch(url, { method: "POST", body: body, keepalive: true, credentials: "same-origin" })
          .catch(function () {});
      }
    } catch (error) { /* never break the page */ }
  }

  EVENTS.forEach(function (name) {
    document.addEventListener("tryon:" + name, function (event) { send(name, event); }, true);
  });
})();
