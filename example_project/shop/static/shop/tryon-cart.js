/* The demo shop's cart, wired to the try-on widget: its "Add to cart" beside a result
 * dispatches tryon:add_to_cart (detail {garment, tryon, product, garments}); the shop
 * decides what that means. Here: post the product page's own cart form. */
document.addEventListener("tryon:add_to_cart", function () {
  var form = document.querySelector("form[data-shop-cart]");
  // The cart form records the conversion (tryon.analytics.record_conversion).
  if (!form) return;
  if (typeof form.requestSubmit === "function") form.requestSubmit();
  else form.submit();
});
