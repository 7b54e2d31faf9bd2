// <button data-select-all="name">: tick every checkbox of that name (twice: untick).
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-select-all]");
  if (!button) return;
  const boxes = document.querySelectorAll('input[type=checkbox][name="' + button.dataset.selectAll + '"]');
  const all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
  boxes.forEach(function (b) { b.checked = !all; });
});
