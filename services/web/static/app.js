/* Small enhancements on top of server-rendered pages; every page works without them. */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfHeader = document.querySelector('meta[name="csrf-header"]');

  // HTMX requests carry the CSRF token as a header (forms carry it as a hidden field).
  document.addEventListener("htmx:configRequest", function (evt) {
    if (csrfMeta && csrfMeta.content) {
      evt.detail.headers[(csrfHeader && csrfHeader.content) || "X-CSRFToken"] = csrfMeta.content;
    }
  });

  // Upload progress: HTMX reports XHR upload progress; show it on the form's <progress>.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest ? evt.target.closest("form[data-upload]") : null;
    if (!form || !evt.detail.lengthComputable) return;
    var bar = form.querySelector("progress");
    var text = form.querySelector("[data-progress-text]");
    var percent = Math.round((evt.detail.loaded / evt.detail.total) * 100);
    if (bar) {
      bar.hidden = false;
      bar.value = percent;
    }
    if (text) {
      text.hidden = false;
      text.textContent = "Mengunggah… " + percent + "%";
    }
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.target.closest ? evt.target.closest("form[data-upload]") : null;
    if (!form) return;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
  });

  // An HTMX request that failed without a fragment to show: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    var message = "Permintaan gagal (" + status + "). Muat ulang halaman lalu coba lagi.";
    try {
      var doc = new DOMParser().parseFromString(evt.detail.xhr.responseText, "text/html");
      var detail = doc.querySelector("[data-error-detail]");
      if (detail && detail.textContent.trim()) message = detail.textContent.trim();
    } catch (e) {
      /* keep the generic message */
    }
    showToast(message);
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("Koneksi terputus. Periksa jaringan Anda lalu coba lagi.");
  });

  function showToast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    window.setTimeout(function () {
      box.hidden = true;
    }, 8000);
  }

  // Forms that ask before doing something that cannot be undone (data-confirm="question").
  document.addEventListener("submit", function (evt) {
    var question = evt.target.getAttribute && evt.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });

  // Forms that must not lose what was typed (data-unsaved-warning): the save state says whether
  // everything is stored, and leaving the page with unsaved changes asks first.
  function unsavedForm(el) {
    return el && el.closest ? el.closest("form[data-unsaved-warning]") : null;
  }
  function markDirty(form) {
    if (form.hasAttribute("data-dirty") && form.getAttribute("data-dirty") === "yes") return;
    form.setAttribute("data-dirty", "yes");
    var state = form.querySelector("[data-save-state]");
    if (state) {
      state.textContent = state.getAttribute("data-dirty-text");
      state.classList.add("is-dirty");
    }
  }
  function onEdit(evt) {
    var form = unsavedForm(evt.target);
    if (form && evt.target.name && evt.target.type !== "hidden") markDirty(form);
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("submit", function (evt) {
    var form = unsavedForm(evt.target);
    if (!form || evt.defaultPrevented) return;
    form.setAttribute("data-submitting", "yes");
    var state = form.querySelector("[data-save-state]");
    if (state) state.textContent = state.getAttribute("data-saving-text");
  });
  window.addEventListener("beforeunload", function (evt) {
    var forms = document.querySelectorAll("form[data-unsaved-warning][data-dirty]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute("data-submitting") !== "yes") {
        evt.preventDefault();
        evt.returnValue = "";
        return "";
      }
    }
  });

  // A press on a button of such a form leaves the field being typed in, so that field's inline
  // check goes out; its answer adds a line above the button. A person's press lasts long enough
  // for the answer to arrive before the release, which then lands beside the moved button and
  // nothing is saved. Answers for the pressed form wait until the press ends; once the form is
  // submitted they are not needed.
  var pressedForm = null;
  var heldAnswers = [];
  document.addEventListener(
    "pointerdown",
    function (evt) {
      var button = evt.target.closest ? evt.target.closest("button, input[type=submit]") : null;
      pressedForm = button ? unsavedForm(button) : null;
    },
    true
  );
  function endPress() {
    var form = pressedForm;
    if (!form) return;
    pressedForm = null;
    window.setTimeout(function () {
      // after the click and the submit it may start
      var answers = heldAnswers;
      heldAnswers = [];
      if (form.getAttribute("data-submitting") === "yes" || !window.htmx) return;
      answers.forEach(function (answer) {
        if (answer.target.isConnected) {
          window.htmx.swap(answer.target, answer.html, { swapStyle: "outerHTML" });
        }
      });
    }, 0);
  }
  document.addEventListener("pointerup", endPress, true);
  document.addEventListener("pointercancel", endPress, true);
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (!pressedForm || unsavedForm(evt.detail.elt) !== pressedForm) return;
    evt.detail.shouldSwap = false;
    heldAnswers.push({ target: evt.detail.target, html: evt.detail.serverResponse });
  });

  // Select-all checkbox for bulk actions (data-select-all="name of the checkboxes").
  document.addEventListener("change", function (evt) {
    var name = evt.target.getAttribute && evt.target.getAttribute("data-select-all");
    if (!name) return;
    var boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = evt.target.checked;
  });

  // Auditor's time slider: show the chosen version's label while dragging.
  document.addEventListener("input", function (evt) {
    if (!evt.target.matches || !evt.target.matches("input[data-slider]")) return;
    var out = document.getElementById(evt.target.getAttribute("aria-controls") + "-label");
    if (out) out.textContent = "Versi " + evt.target.value;
  });
})();
