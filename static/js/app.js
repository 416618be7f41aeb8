// Behaviour shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // htmx does not swap 4xx/5xx responses; show their message instead of failing silently.
  // An upload's error is shown inside its item, beside the file field, and focus stays there
  // (GOV.UK file upload); other errors go to the region at the top of the page.
  function localError(elt) {
    var form = elt && elt.closest && elt.closest("form.evidence-upload");
    return form && form.querySelector(".evidence-error");
  }

  function showError(elt, text) {
    var local = localError(elt);
    var region = local || document.getElementById("error-region");
    if (!region) return;
    if (local) {
      local.textContent = "";
      var p = document.createElement("p");
      p.textContent = text;
      local.appendChild(p);
      var input = local.parentNode.querySelector("input[type=file]");
      if (input) input.setAttribute("aria-invalid", "true");
      hideProgress(elt);
    } else {
      region.textContent = text;
    }
    region.hidden = false;
    region.focus();
  }

  document.addEventListener("htmx:responseError", function (event) {
    var region = document.getElementById("error-region");
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var heading = doc.querySelector(".error-page h1, h1");
    // The page's own #error-region is an empty .flash-error too: look past it.
    var message = doc.querySelector(".error-page p:not(.error-code)") || doc.querySelector(".flash-error:not(#error-region)");
    var text = [heading && heading.textContent, message && message.textContent].filter(Boolean).join(": ");
    // The server in front of the app refuses an oversized upload with a plain answer of its own
    // (aiplan/serving.py): say it in the app's words, which the file field carries.
    var local = localError(event.detail.elt);
    var input = local && local.parentNode.querySelector("input[type=file][data-too-large]");
    if (!text && xhr.status === 413 && input) text = input.dataset.tooLarge;
    showError(event.detail.elt, text || (((region && region.dataset.error) || "Lỗi") + " " + xhr.status));
  });

  document.addEventListener("htmx:sendError", function (event) {
    var region = document.getElementById("error-region");
    if (region) showError(event.detail.elt, region.dataset.offline);
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
    var local = localError(input);
    if (tooLarge && local) {
      showError(input, input.dataset.tooLarge);
      input.focus();  // the message is read with the field it describes (aria-describedby)
    } else if (tooLarge) {
      input.reportValidity();
    } else if (local) {
      local.hidden = true;
      input.removeAttribute("aria-invalid");
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var region = document.getElementById("error-region");
    if (region) region.hidden = true;
    var local = localError(event.detail.elt);
    if (local) local.hidden = true;
  });

  // Upload progress: a <progress> bar and, in a polite live region, the percentage and the bytes
  // sent (said every 10%, not at every event). htmx reports the upload's progress and then the
  // answer's; only the upload's (the first total seen) is shown.
  function mb(bytes) {
    return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB";
  }

  function hideProgress(elt) {
    var box = elt && elt.closest && elt.closest("form") && elt.closest("form").querySelector(".upload-progress");
    if (box) box.hidden = true;
  }

  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var form = event.target.closest && event.target.closest("form.evidence-upload");
    if (!form || form.dataset.uploadTotal) return;
    var box = form.querySelector(".upload-progress");
    if (!box) return;
    box.querySelector("progress").value = 0;
    box.querySelector("[role=status]").textContent = form.dataset.uploading + "… 0%";
    box.hidden = false;
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form.evidence-upload");
    var detail = event.detail;
    if (!form || !detail.lengthComputable || !detail.total) return;
    if (!form.dataset.uploadTotal) form.dataset.uploadTotal = String(detail.total);
    if (String(detail.total) !== form.dataset.uploadTotal) return;
    var box = form.querySelector(".upload-progress");
    if (!box) return;
    var percent = Math.floor((detail.loaded / detail.total) * 100);
    box.hidden = false;
    box.querySelector("progress").value = percent;
    var step = Math.floor(percent / 10);
    if (form.dataset.uploadStep !== String(step)) {
      form.dataset.uploadStep = String(step);
      box.querySelector("[role=status]").textContent =
        form.dataset.uploading + "… " + percent + "% (" + mb(detail.loaded) + " / " + mb(detail.total) + ")";
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.dataset) {
      delete form.dataset.uploadTotal;
      delete form.dataset.uploadStep;
    }
  });

  // After an item or its files are swapped: focus goes to the error inside them (the item keeps
  // it), and "Đã lưu" is written into its live region after the swap, so that it is announced.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail.elt;
    if (!root || !root.isConnected || !root.querySelector) return;
    var error = root.querySelector(".item-error, .evidence-error:not([hidden])");
    if (error) {
      error.focus();
      return;
    }
    var saved = root.querySelector(".item-saved");
    if (saved && saved.textContent.trim()) {
      var html = saved.innerHTML;
      saved.textContent = "";
      window.setTimeout(function () { saved.innerHTML = html; }, 100);
    }
  });
})();
