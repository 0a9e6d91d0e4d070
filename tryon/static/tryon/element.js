/* django-tryon: the "Try it on" widget as the custom element <tryon-widget>, for front ends that
 * do not render Django templates (a headless shop, a page on another origin). Plain JavaScript,
 * no dependencies, no build step:
 *
 *   <script src="https://shop.example/static/tryon/element.js" defer></script>
 *   <tryon-widget garment="12" api-base="https://shop.example/tryon/"></tryon-widget>
 *
 * It fetches the widget from the API (GET <api-base>api/garments/<id>/widget/: the markup
 * {% tryon_widget %} renders, its translated strings, the CSS and JS URLs), puts the markup in
 * its light DOM (the shop's CSS and widget.css both apply; the dialog's focus handling needs
 * the document's own focus) and mounts widget.js on it. Requests carry the API origin's cookies
 * (credentials: "include"), or, with a token attribute, an Authorization header and no cookies.
 * Attributes: garment, api-base, lang, token, auth-scheme, unavailable-text; pair (a garment
 * id: "Complete the look" with it) and cart (present: an "Add to cart" button, whose clicks
 * dispatch tryon:add_to_cart), as the template tag's pair= and cart=.
 * Events (bubbling, composed): tryon:ready, tryon:update, tryon:result, tryon:failed,
 * tryon:deleted, tryon:error, tryon:holdout (the session is in the analytics holdout: the
 * element stays empty). With the session cookie it also loads beacon.js, as the tag does. */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("tryon-widget")) return;

  // The one text not from the server: shown when the server cannot be reached at all.
  var UNAVAILABLE = "Virtual try-on is not available at the moment.";
  var assets = {}; // URL -> Promise, so several elements load widget.css and widget.js once

  var htmlPolicy = null; // pages enforcing Trusted Types may allow the policy "tryon-widget"
  try {
    if (window.trustedTypes) {
      htmlPolicy = window.trustedTypes.createPolicy("tryon-widget", {
        createHTML: function (html) { return html; } // our own API's markup, already escaped
      });
    }
  } catch (error) { htmlPolicy = null; }

  function load(url, make) {
    if (!assets[url]) {
      assets[url] = new Promise(function (resolve, reject) {
        var node = make();
        node.addEventListener("load", resolve);
        node.addEventListener("error", function () { reject(new Error("could not load " + url)); });
        document.head.appendChild(node);
      });
    }
    return assets[url];
  }

  function loadStyle(href) {
    if (!href) return Promise.resolve();
    return load(href, function () {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      return link;
    });
  }

  function loadScript(src) {
    if (window.tryonWidget && window.tryonWidget.mount) return Promise.resolve();
    return load(src, function () {
      var script = document.createElement("script");
      script.src = src;
      return script;
    });
  }

  // The shop's analytics (beacon.js): loaded before the widget mounts, so that it hears
  // widget_shown; never in the way (a failure to load it is ignored).
  function loadBeacon(analytics) {
    if (!analytics || !analytics.script) return Promise.resolve();
    return load(analytics.script, function () {
      var script = document.createElement("script");
      script.setAttribute("data-beacon-url", analytics.beacon);
      script.src = analytics.script;
      return script;
    }).catch(function () {});
  }

  function absolutize(fragment, base) {
    // Media URLs may be relative to the API's origin, not to this page's.
    ["src", "href", "data-create-url"].forEach(function (name) {
      fragment.querySelectorAll("[" + name + "]").forEach(function (node) {
        var value = node.getAttribute(name);
        if (value) node.setAttribute(name, new URL(value, base).href);
      });
    });
  }

  class TryonWidgetElement extends HTMLElement {
    static get observedAttributes() {
      return ["garment", "api-base", "lang", "token", "auth-scheme", "pair", "cart"];
    }

    constructor() {
      super();
      this.generation = 0; // a newer load makes an older answer stale
      this.pictures = {}; // private file URL -> Promise of its blob: URL (token mode)
    }

    connectedCallback() {
      if (!this.loaded) this.refresh();
    }

    attributeChangedCallback(name, previous, value) {
      if (this.isConnected && this.loaded && previous !== value) this.refresh();
    }

    get apiBase() {
      var base = this.getAttribute("api-base") || "/tryon/";
      return new URL(base.replace(/\/?$/, "/"), document.baseURI).href;
    }

    get language() {
      var owner = this.closest("[lang]"); // the element's own lang, else the page's
      return owner ? owner.getAttribute("lang") : "";
    }

    get token() { return this.getAttribute("token") || ""; }

    emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: detail }));
    }

    // Every request to the API, the widget's own included: the API origin's cookies, or a token.
    send(url, init) {
      var headers = new Headers(init.headers || {});
      if (this.token) {
        headers.set("Authorization", (this.getAttribute("auth-scheme") || "Token") + " " + this.token);
        init.credentials = "omit"; // no cookie, so no CSRF check either
      } else {
        init.credentials = "include";
      }
      init.headers = headers;
      return fetch(url, init);
    }

    // With a token, the shopper's own photo and its results (private files) are fetched with
    // the token and shown from blobs: an <img> can send neither the header nor, across sites,
    // a cookie. Anything else (presets, the shop's media, presigned URLs) is shown as it is.
    isPrivate(url) {
      return !!this.token && !!url && url.indexOf(new URL("files/", this.apiBase).href) === 0;
    }

    picture(url) {
      var self = this;
      if (!this.isPrivate(url)) return Promise.resolve(url);
      if (!this.pictures[url]) {
        this.pictures[url] = this.send(url, { method: "GET" }).then(function (response) {
          if (!response.ok) throw new Error("<tryon-widget>: " + url + " answered " + response.status);
          return response.blob();
        }).then(function (blob) { return URL.createObjectURL(blob); });
        this.pictures[url].catch(function () { delete self.pictures[url]; }); // tried again next time
      }
      return this.pictures[url];
    }

    forgetPictures() {
      var pictures = this.pictures;
      this.pictures = {};
      Object.keys(pictures).forEach(function (url) {
        pictures[url].then(function (blob) { URL.revokeObjectURL(blob); }, function () {});
      });
    }

    refresh() {
      var self = this, generation = ++this.generation, garment = this.getAttribute("garment");
      this.forgetPictures();
      var url = new URL("api/garments/" + encodeURIComponent(garment || "") + "/widget/", this.apiBase);
      if (this.language) url.searchParams.set("lang", this.language);
      if (this.getAttribute("pair")) url.searchParams.set("pair", this.getAttribute("pair"));
      if (this.hasAttribute("cart") && this.getAttribute("cart") !== "false") url.searchParams.set("cart", "true");
      this.loaded = true;
      if (!garment) return this.fail(url.href, 0, "the garment attribute is missing");
      this.setAttribute("aria-busy", "true");
      function current() { return generation === self.generation; }
      this.send(url.href, { method: "GET", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!current()) return null;
          if (response.status === 204) return self.holdout(garment); // the session's arm: no try-on
          if (!response.ok) { // its JSON says why (a 400 names the attribute: {"pair": [...]})
            return response.text().catch(function () { return ""; }).then(function (body) {
              var why = body && /json/.test(response.headers.get("Content-Type") || "") ? ": " + body.slice(0, 500) : "";
              if (current()) self.fail(url.href, response.status, "the API answered " + response.status + why);
            });
          }
          return response.json().then(function (data) {
            return self.mount(data, response.url || url.href, current);
          });
        }, function (error) { // fetch itself failed: the browser says no more than that
          if (!current()) return;
          self.fail(url.href, 0, "network error, or a CORS refusal: is this page's origin (" +
            window.location.origin + ") in the API's CORS_ALLOWED_ORIGINS, with " +
            "CORS_ALLOW_CREDENTIALS = True? (" + error + ")");
        })
        .catch(function (error) { // not the widget's JSON, an asset that did not load, …
          if (current()) self.fail(url.href, 0, String(error));
        });
    }

    mount(data, base, current) {
      var self = this, template = document.createElement("template");
      template.innerHTML = htmlPolicy ? htmlPolicy.createHTML(data.html) : data.html;
      absolutize(template.content, base); // in the inert template: nothing loads from the page's origin
      var unloaded = []; // private pictures, loaded with the token once the markup is in
      template.content.querySelectorAll("img[src]").forEach(function (img) {
        var src = img.getAttribute("src");
        if (self.isPrivate(src)) unloaded.push([img, src]);
      });
      unloaded.forEach(function (entry) { entry[0].removeAttribute("src"); });
      var loads = [loadStyle(data.assets.css), loadScript(data.assets.js), loadBeacon(!this.token && data.analytics)];
      return Promise.all(loads).then(function () {
        if (!current()) return;
        self.replaceChildren(template.content);
        self.removeAttribute("aria-busy");
        var root = self.querySelector("[data-tryon-widget]"), widget = null;
        if (root && window.tryonWidget && window.tryonWidget.mount) {
          widget = window.tryonWidget.mount(root, {
            strings: data.strings, fetch: self.widgetFetch.bind(self, root), picture: self.picture.bind(self)
          });
        }
        unloaded.forEach(function (entry) {
          if (widget) widget.picture(entry[0], entry[1]);
        });
        self.emit("tryon:ready", { garment: data.garment, language: data.language });
      });
    }

    // widget.js's fetch: send(), one retry with a fresh CSRF token, and events for the shop.
    widgetFetch(root, url, init) {
      var self = this;
      return this.send(url, init).then(function (response) {
        if (response.status !== 403 || self.token) return self.watch(init, response);
        return response.clone().json().catch(function () { return null; }).then(function (data) {
          var detail = String((data && data.detail) || "");
          if (!/^CSRF Failed/.test(detail)) return self.watch(init, response);
          if (init.tryonRetried) return self.watch(init, response, self.csrfHint(detail));
          return self.csrfToken().then(function (token) {
            root.dataset.csrfToken = token.csrfToken; // e.g. rotated by a sign-in since
            init.headers.set(token.header, token.csrfToken);
            init.tryonRetried = true;
            return self.widgetFetch(root, url, init);
          }, function () { return self.watch(init, response); });
        });
      });
    }

    csrfToken() {
      return this.send(new URL("api/csrf/", this.apiBase).href, { method: "GET" }).then(function (response) {
        if (!response.ok) throw new Error("api/csrf/ answered " + response.status);
        return response.json();
      });
    }

    csrfHint(detail) {
      var origin = window.location.origin;
      var hint = /Origin checking failed/.test(detail) ?
        "add " + origin + " to the API's CSRF_TRUSTED_ORIGINS." :
        "the browser did not send the API's cookies with this page's requests. Browsers block " +
        "the cookies of another site: serve the API on this page's site, or give the element " +
        "a token attribute.";
      return "<tryon-widget>: the API refused the request (" + detail + "): " + hint;
    }

    watch(init, response, message) {
      var self = this;
      if (!response.ok) {
        if (message && window.console) window.console.error(message);
        this.emit("tryon:error", { status: response.status, url: response.url, message: message || "" });
      } else if (init.method === "DELETE" && /\/api\/tryons\/[^/]+\/$/.test(response.url)) { // not a photo or a share
        this.emit("tryon:deleted", { url: response.url });
      } else {
        response.clone().json().then(function (tryon) {
          if (!tryon || !tryon.status) return;
          self.emit("tryon:update", tryon);
          if (tryon.status === "succeeded") self.emit("tryon:result", tryon);
          if (tryon.status === "failed") self.emit("tryon:failed", tryon);
        }).catch(function () { /* not a try-on resource: nothing to tell */ });
      }
      return response;
    }

    holdout(garment) {
      this.removeAttribute("aria-busy");
      this.replaceChildren();
      this.emit("tryon:holdout", { garment: Number(garment) });
    }

    fail(url, status, reason) {
      this.removeAttribute("aria-busy");
      if (status === 404) {
        this.replaceChildren(); // no active garment: nothing to try on, as the template tag
      } else {
        var note = document.createElement("p");
        note.className = "tryon-note tryon-unavailable";
        note.setAttribute("role", "status");
        note.textContent = this.getAttribute("unavailable-text") || UNAVAILABLE;
        this.replaceChildren(note);
      }
      var message = "<tryon-widget>: could not load " + url + ": " + reason;
      if (window.console) window.console.error(message);
      this.emit("tryon:error", { status: status, url: url, message: message });
    }
  }

  window.customElements.define("tryon-widget", TryonWidgetElement);
})();
