/* Live deadline countdown: "Batas Waktu Krenova: 09 HARI 05 JAM 12 MENIT 33 DETIK", then "Ditutup".
   The deadline and the server's clock come from the page (data attributes), so a wrong clock on
   the user's laptop does not move the deadline; the server still refuses late submissions. */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function start(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    var serverNow = Date.parse(el.getAttribute("data-server-now"));
    if (isNaN(deadline) || isNaN(serverNow)) {
      return;
    }
    var skew = serverNow - Date.now(); // server clock minus this browser's clock
    var running = el.querySelector("[data-running]");
    var closed = el.querySelector("[data-closed]");
    var parts = {};
    ["days", "hours", "minutes", "seconds"].forEach(function (name) {
      parts[name] = el.querySelector('[data-part="' + name + '"]');
    });
    var timer = null;

    function close() {
      if (running) running.hidden = true;
      if (closed) closed.hidden = false;
      el.classList.add("is-closed");
      el.setAttribute("data-state", "closed");
      if (timer !== null) window.clearInterval(timer);
      document.dispatchEvent(
        new CustomEvent("sirisma:deadline", { detail: { call: el.getAttribute("data-call") } })
      );
    }

    function tick() {
      var left = deadline - (Date.now() + skew);
      if (left <= 0) {
        close();
        return;
      }
      var s = Math.floor(left / 1000);
      parts.days.textContent = pad(Math.floor(s / 86400));
      parts.hours.textContent = pad(Math.floor((s % 86400) / 3600));
      parts.minutes.textContent = pad(Math.floor((s % 3600) / 60));
      parts.seconds.textContent = pad(s % 60);
      el.setAttribute("data-state", "open");
    }

    tick();
    if (el.getAttribute("data-state") !== "closed") {
      timer = window.setInterval(tick, 1000);
    }
  }

  function init() {
    var all = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < all.length; i++) start(all[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
