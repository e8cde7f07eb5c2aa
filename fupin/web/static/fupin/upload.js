/* 上传进度 — upload progress.
 *
 * A form marked data-upload-progress that has a file chosen is sent with XMLHttpRequest, so its
 * <progress> shows how much of the file has gone ("上传中 45%"), and then that the server is reading
 * it. The server answers such a request (header X-Fupin-Upload) with 204 and X-Fupin-Redirect instead
 * of a redirect (fupin.web.upload.redirect_for_upload), so the page it leads to is loaded once, with
 * its messages; a page it answers with (the form and its errors) is shown as it is. Without
 * JavaScript, or without a file chosen, the form is posted as usual; so is it when anything in the
 * script fails (an old browser: plain ES5 here, no NodeList.forEach). The buttons are disabled while
 * the file is sent: a second click would send it again.
 */
(function () {
  "use strict";

  function each(list, fn) {
    for (var i = 0; i < list.length; i += 1) fn(list[i]);
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress")) return;
    if (event.defaultPrevented || !window.FormData || !window.XMLHttpRequest) return;
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) return;
    event.preventDefault();
    try {
      send(form, event.submitter);
    } catch (err) {
      form.submit();  // as without the script
    }
  });

  function send(form, submitter) {
    var status = form.querySelector("[data-upload-status]");
    var bar = status ? status.querySelector("progress") : null;
    var text = status ? status.querySelector("[data-upload-text]") : null;
    var buttons = form.querySelectorAll("button[type=submit]");
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    each(buttons, function (button) { button.disabled = true; });
    if (status) status.hidden = false;

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Fupin-Upload", "1");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor((e.loaded * 100) / e.total);
      if (bar) { bar.max = 100; bar.value = percent; }
      if (text) text.textContent = text.getAttribute("data-sending").replace("{percent}", percent + "%");
    });
    xhr.upload.addEventListener("load", function () {
      if (bar) bar.removeAttribute("value");  // indeterminate: the server is reading the file
      if (text) text.textContent = text.getAttribute("data-reading");
    });
    xhr.addEventListener("load", function () {
      var to = xhr.getResponseHeader("X-Fupin-Redirect");
      if (xhr.status === 204 && to) {
        window.location.assign(to);
      } else {
        show(xhr.responseText);
      }
    });
    xhr.addEventListener("error", function () {
      each(buttons, function (button) { button.disabled = false; });
      if (bar) bar.value = 0;
      if (text) text.textContent = text.getAttribute("data-failed");
    });
    xhr.send(data);
  }
})();
