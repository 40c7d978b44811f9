/* SI-RISMA's own starter for the vendored Scalar bundle (not part of the vendored package):
   the configuration lives here rather than in an inline script, so /schema runs under the
   app's normal Content-Security-Policy. No web fonts from scalar.com: everything is local.
   (The element is not "api-reference": the bundle would mount itself there with defaults.) */
(function () {
  "use strict";
  var target = document.getElementById("sirisma-api-reference");
  if (!target || !window.Scalar) return;
  window.Scalar.createApiReference(target, {
    url: target.getAttribute("data-url"),
    withDefaultFonts: false,
    agent: { disabled: true }, // no "Ask AI" (it would send the document to scalar.com)
    telemetry: false,
  });
})();
