/* The demo shop's cart, wired to the try-on widget: its "Add to cart" beside a result
 * dispatches tryon:add_to_cart (detail {garment, tryon, product, garments}); the shop
 * decides what that means. Here: post the product page's own cart form. */
document.addEventListener("tryon:add_to_cart", function () {
  var form = document.querySelector("form[data-shop-cart]");
  // TODO(example cart): without the cart (another branch) there is no form to post yet.
  if (!form) return;
  if (typeof form.requestSubmit === "function") form.requestSubmit();
  else form.submit();
});
