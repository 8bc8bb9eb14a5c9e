// The report: open the per-question detail when a link points into it, so "#automated" or "#card-ann" from the
// summary lands on something visible (browsers do not open a closed <details> for a fragment everywhere).
(function () {
  "use strict";
  function reveal() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    for (var el = target.parentElement; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    target.scrollIntoView();
  }
  document.addEventListener("DOMContentLoaded", reveal);
  window.addEventListener("hashchange", reveal);
})();
