// The order list (orders/order_list.html): the select-all box of the bulk actions.
document.addEventListener("change", function (event) {
  if (event.target.id === "select-all-orders") {
    document.querySelectorAll("input[name=order_ids]").forEach(function (box) { box.checked = event.target.checked; });
  }
});
