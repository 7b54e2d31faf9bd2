// Shared by the scan stations: POST a form-encoded body with the CSRF token, get JSON back.
window.omsPost = function (url, data) {
  const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  const body = data instanceof FormData ? data : new URLSearchParams(data);
  return fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": token }, credentials: "same-origin" })
    .then(function (r) { return r.json().catch(function () { return { ok: false, message: "HTTP " + r.status }; }); })
    .catch(function () { return { ok: false, message: "offline?" }; });
};
window.omsShow = function (box, ok, text) {
  box.textContent = text;
  box.className = "alert mt-2 mb-2 fs-5 " + (ok ? "alert-success" : "alert-danger");
  if (window.omsSound) { (ok ? window.omsSound.ok : window.omsSound.error)(); }
};
