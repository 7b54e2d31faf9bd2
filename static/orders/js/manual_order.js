// The manual order form (orders/manual_order.html): lines, pickers, running total.
(function () {
  const form = document.getElementById("manual-order-form");
  const lines = document.getElementById("lines");
  const total = document.getElementById("id_lines-TOTAL_FORMS");
  const template = document.getElementById("line-template");

  document.getElementById("add-line").addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    lines.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const row = lines.lastElementChild;
    htmx.process(row);
    row.querySelector("input.sku").focus();
  });

  form.addEventListener("click", function (event) {
    const pick = event.target.closest("[data-pick-variant]");
    if (pick) {
      const row = document.querySelector('[data-line-row="' + pick.dataset.row + '"]');
      if (row) {
        row.querySelector("input.sku").value = pick.dataset.sku;
        row.querySelector("input.price").placeholder = pick.dataset.price;
        row.querySelector("[data-stock]").textContent = pick.dataset.stockLabel;
        row.querySelector("[data-variant-results]").innerHTML = "";
        row.querySelector("input.qty").focus();
      }
      event.preventDefault();
      return;
    }
    const customer = event.target.closest("[data-pick-customer]");
    if (customer) {
      document.getElementById("id_customer_name").value = customer.dataset.name;
      document.getElementById("id_customer_phone").value = customer.dataset.phone;
      document.getElementById("id_customer_email").value = customer.dataset.email;
      document.getElementById("id_ship_city").value ||= customer.dataset.city;
      document.getElementById("id_ship_province").value ||= customer.dataset.province;
      if (customer.dataset.address) {
        // A returning buyer: last order's address, still editable.
        document.getElementById("id_ship_address").value ||= customer.dataset.address;
        document.getElementById("id_ship_postal_code").value ||= customer.dataset.postal;
      }
      document.getElementById("customer-results").innerHTML = "";
      event.preventDefault();
      return;
    }
    const remove = event.target.closest("[data-remove-line]");
    if (remove) {
      const row = remove.closest("[data-line-row]");
      const box = row.querySelector('input[type=checkbox][name$="-DELETE"]');
      if (box) { box.checked = true; }
      row.hidden = true;
      event.preventDefault();
    }
  });

  // A click anywhere else closes the open product suggestions.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-variant-results]").forEach(function (box) {
      if (!box.parentElement.contains(event.target)) { box.innerHTML = ""; }
    });
  });
  document.addEventListener("keydown", function (event) {
    // Enter in a SKU box takes the first suggestion instead of sending the half-typed order.
    if (event.key === "Enter" && event.target.matches("input.sku")) {
      event.preventDefault();
      const first = event.target.parentElement.querySelector("[data-pick-variant]");
      if (first) { first.click(); }
      return;
    }
    if (event.key === "Escape") {
      document.querySelectorAll("[data-variant-results]").forEach(function (box) { box.innerHTML = ""; });
    }
  });

  // Running total for quoting the buyer in the chat; the server computes the real one.
  function rupiah(text) { const digits = String(text || "").replace(/\D/g, ""); return digits ? parseInt(digits, 10) : 0; }
  function updateTotal() {
    let total = 0, known = true;
    lines.querySelectorAll("[data-line-row]").forEach(function (row) {
      if (row.hidden) { return; }
      const price = row.querySelector("input.price");
      const unit = price.value.trim() ? rupiah(price.value) : (price.placeholder ? rupiah(price.placeholder) : null);
      const qty = parseInt(row.querySelector("input.qty").value || "0", 10);
      const discount = rupiah(row.querySelector('input[name$="-discount_amount"]').value);
      if (!row.querySelector("input.sku").value.trim()) { return; }
      if (unit === null) { known = false; return; }
      total += unit * qty - discount;
    });
    total += rupiah(document.getElementById("id_shipping_amount").value);
    total -= rupiah(document.getElementById("id_discount_amount").value);
    const out = document.getElementById("estimated-total");
    out.textContent = known ? money(Math.max(total, 0)) : out.dataset.unknown;
  }
  // The page language's money shape, as core.formatting writes it: "Rp 282.496" / "IDR 282,496".
  function money(amount) {
    const english = (document.documentElement.lang || "id").startsWith("en");
    return english ? "IDR " + amount.toLocaleString("en-US") : "Rp " + amount.toLocaleString("id-ID");
  }
  form.addEventListener("input", updateTotal);
  form.addEventListener("click", function () { setTimeout(updateTotal, 0); });
  updateTotal();

  const shipToCustomer = document.getElementById("id_ship_to_customer");
  const recipient = document.getElementById("recipient-fields");
  function toggleRecipient() { recipient.hidden = shipToCustomer.checked; }
  shipToCustomer.addEventListener("change", toggleRecipient);
  toggleRecipient();
})();
