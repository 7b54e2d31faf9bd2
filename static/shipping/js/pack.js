// Pack station for keyboard-wedge scanners: everything happens in the scan field, no mouse needed.
(function () {
  const root = document.getElementById("pack-station");
  if (!root) return;
  const scan = document.getElementById("scan");
  const box = document.getElementById("scan-message");
  const form = document.getElementById("finish-form");
  const weight = document.getElementById("weight");
  const parcel = document.getElementById("parcel");
  let shipment = null;

  function url(name, id) { return root.dataset[name].replace("/0/", "/" + id + "/"); }

  function render(data) {
    shipment = data;
    parcel.classList.remove("d-none");
    document.getElementById("parcel-order").textContent = data.order + " (" + data.number + ")";
    document.getElementById("parcel-recipient").textContent = data.recipient + " · " + data.city + (data.courier ? " · " + data.courier : "");
    document.getElementById("parcel-cod").classList.toggle("d-none", !data.cod);
    const body = document.getElementById("parcel-lines");
    body.replaceChildren();
    let done = true;
    data.lines.forEach(function (line) {
      const tr = document.createElement("tr");
      tr.dataset.sku = line.sku;
      const complete = line.scanned >= line.quantity;
      done = done && complete;
      tr.className = complete ? "table-success" : "";
      [line.sku, line.name, line.scanned + " / " + line.quantity].forEach(function (text, i) {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 0) td.className = "font-monospace";
        if (i === 2) { td.className = "text-end fw-semibold"; td.dataset.count = ""; }
        tr.appendChild(td);
      });
      const action = document.createElement("td");
      if (!complete && root.dataset.canOverride === "1") {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm btn-outline-warning";
        button.textContent = root.dataset.tickLabel;
        button.dataset.tickLine = line.id;
        action.appendChild(button);
      }
      tr.appendChild(action);
      body.appendChild(tr);
    });
    form.classList.toggle("d-none", !done);
    if (done) { omsShow(box, true, root.dataset.promptWeight); weight.focus(); }
  }

  function reset(message) {
    shipment = null;
    parcel.classList.add("d-none");
    form.classList.add("d-none");
    form.reset();
    box.className = "alert alert-secondary mt-2 mb-2 fs-5";
    box.textContent = message || root.dataset.promptOrder;
    scan.value = "";
    scan.focus();
  }

  // A scanner sends the next code before the server answered the last one: scans are handled one
  // after the other, each knowing what the one before it did (an order opened, a line counted).
  let queue = Promise.resolve();

  function handle(code) {
    const request = shipment ? omsPost(url("scanUrl", shipment.id), { code: code }) : omsPost(root.dataset.startUrl, { code: code });
    return request.then(function (answer) {
      omsShow(box, answer.ok, answer.message);
      if (answer.shipment) render(answer.shipment);
    });
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { queue = queue.then(function () { reset(); }); return; }
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = scan.value.trim();
    scan.value = "";
    if (!code) return;
    queue = queue.then(function () { return handle(code); });
  });

  document.getElementById("preset").addEventListener("change", function (event) {
    const option = event.target.selectedOptions[0];
    ["l:length", "w:width", "h:height"].forEach(function (pair) {
      const [key, id] = pair.split(":");
      if (option && option.dataset[key]) document.getElementById(id).value = option.dataset[key];
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!shipment) return;
    omsPost(url("finishUrl", shipment.id), new FormData(form)).then(function (answer) {
      if (!answer.ok) { omsShow(box, false, answer.message); weight.focus(); return; }
      const after = document.getElementById("after-pack");
      const link = document.createElement("a");
      link.href = answer.label_url;
      link.className = "btn btn-outline-primary btn-sm";
      link.id = "last-label";
      link.textContent = "🏷 " + answer.message;
      after.replaceChildren(link);
      reset(answer.message);
      omsShow(box, true, answer.message);
    });
  });

  root.addEventListener("click", function (event) {
    const button = event.target.closest("[data-tick-line]");
    if (!button) return;
    const reason = window.prompt(root.dataset.reasonPrompt);
    if (!reason) { scan.focus(); return; }
    omsPost(url("tickUrl", button.dataset.tickLine), { reason: reason }).then(function (answer) {
      omsShow(box, answer.ok, answer.message);
      if (answer.shipment) render(answer.shipment);
      if (!form.classList.contains("d-none")) weight.focus(); else scan.focus();
    });
  });

  document.addEventListener("keydown", function (event) {
    // A scan that lands while focus is elsewhere (a click on the page) still goes to the scan field.
    if (event.target === document.body && event.key.length === 1) scan.focus();
  });
})();
