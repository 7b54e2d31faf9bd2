// Hand-over station: each resi scanned (Enter) is added to the pickup or refused with a buzz.
(function () {
  const root = document.getElementById("handover-station");
  const scan = document.getElementById("scan");
  if (!root || !scan) return;
  const box = document.getElementById("scan-message");
  let queue = Promise.resolve();  // scans are sent one after the other, in the order they were read
  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = scan.value.trim();
    scan.value = "";
    if (!code) return;
    queue = queue.then(function () { return send(code); });
  });

  function send(code) {
    return omsPost(root.dataset.scanUrl, { code: code }).then(function (answer) {
      omsShow(box, answer.ok, answer.message);
      if (answer.ok && answer.item) {
        document.getElementById("manifest-count").textContent = answer.count;
        const tr = document.createElement("tr");
        [answer.item.resi, answer.item.order, answer.item.recipient, answer.item.time].forEach(function (text, i) {
          const td = document.createElement("td");
          td.textContent = text;
          if (i === 0) td.className = "font-monospace";
          tr.appendChild(td);
        });
        document.getElementById("manifest-items").prepend(tr);
      }
      scan.focus();
    });
  }
})();
