// Behaviour shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // htmx does not swap 4xx/5xx responses; show their message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var region = document.getElementById("error-region");
    if (!region) return;
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var heading = doc.querySelector(".error-page h1, h1");
    var message = doc.querySelector(".error-page p:not(.error-code), .flash-error");
    region.textContent = [heading && heading.textContent, message && message.textContent]
      .filter(Boolean).join(": ") || ((region.dataset.error || "Lỗi") + " " + xhr.status);
    region.hidden = false;
    region.focus();
  });

  document.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("error-region");
    if (!region) return;
    region.textContent = region.dataset.offline;
    region.hidden = false;
  });

  // The server refuses a request over MAX_UPLOAD_MB as soon as its headers arrive, before the app
  // could explain (aiplan/serving.py): files chosen over the limit are refused here, with the
  // app's message, before a byte is sent. The browser and htmx both stop an invalid form.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]") || !input.dataset.maxBytes) return;
    var total = 0;
    for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
    var tooLarge = total > Number(input.dataset.maxBytes);
    input.setCustomValidity(tooLarge ? input.dataset.tooLarge : "");
    if (tooLarge) input.reportValidity();
  });

  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("error-region");
    if (region) region.hidden = true;
  });
})();
