/* The interviewer's scoring page: keeps the outline's progress current, says "Saving…" while htmx saves,
 * fills in a "Not answered" click before htmx posts it, and marks the dimensions a failed save names.
 *
 * The server decides everything that is stored (assessments.services.scoring); this script only mirrors
 * the form's state on the page. Without it the page still posts, saves and shows the same errors.
 */
(function () {
  "use strict";

  var NOT_ANSWERED = "Not answered.";

  function form() { return document.getElementById("scorecard"); }

  function setText(root, selector, value) {
    root.querySelectorAll(selector).forEach(function (el) { el.textContent = String(value); });
  }

  // Progress: a dimension counts as scored once one of its levels is picked (saved or not yet).
  function refreshProgress() {
    var f = form();
    if (!f) return;
    var scoredAll = 0;
    f.querySelectorAll("section.score-item[data-qid]").forEach(function (section) {
      var dims = section.querySelectorAll("fieldset.dimension");
      var scored = 0;
      dims.forEach(function (fs) { if (fs.querySelector("input[type=radio]:checked")) scored += 1; });
      scoredAll += scored;
      var entry = document.querySelector("[data-outline-qid='" + section.dataset.qid + "']");
      if (!entry) return;
      setText(entry, "[data-scored]", scored);
      entry.classList.toggle("complete", dims.length > 0 && scored === dims.length);
    });
    setText(document, "[data-progress-scored]", scoredAll);
  }

  // Errors of the last htmx save, as the save-status fragment lists them: the outline and the dimensions
  // show them where they are, and the ones no longer reported go away.
  function showErrors(status) {
    document.querySelectorAll(".field-error[data-from-save]").forEach(function (el) { el.remove(); });
    document.querySelectorAll("fieldset.dimension.has-error, section.score-item.has-error, [data-outline-qid].has-error")
      .forEach(function (el) { el.classList.remove("has-error"); });
    status.querySelectorAll("[data-error-key]").forEach(function (li) {
      var qid = li.dataset.errorQid;
      var link = li.querySelector("a[href^='#']");
      var target = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (target && target.matches("fieldset.dimension")) {
        target.classList.add("has-error");
        var p = document.createElement("p");
        p.className = "error field-error";
        p.dataset.fromSave = "1";
        p.textContent = li.textContent.trim();
        target.querySelector("legend").after(p);
      }
      if (qid) {
        var section = document.getElementById("item-" + qid);
        var entry = document.querySelector("[data-outline-qid='" + qid + "']");
        if (section) section.classList.add("has-error");
        if (entry) entry.classList.add("has-error");
      }
    });
  }

  function status(text, isError) {
    var el = document.getElementById("save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  // A "Not answered" click: show on the page what the server is about to store, before htmx posts the form
  // (capture phase: this runs before htmx reads the form's values). The server checks the answer is blank.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-not-answered]");
    if (!button) return;
    var section = document.getElementById("item-" + button.dataset.notAnswered);
    if (!section) return;
    section.querySelectorAll("fieldset.dimension").forEach(function (fs) {
      var lowest = fs.querySelector("input[type=radio]");   // levels are listed lowest first
      if (lowest) lowest.checked = true;
      var evidence = fs.querySelector("textarea");
      if (evidence && !evidence.value.trim()) evidence.value = NOT_ANSWERED;
    });
    refreshProgress();
  }, true);

  document.addEventListener("change", function (evt) {
    if (evt.target.form && evt.target.form.id === "scorecard") refreshProgress();
  });

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (elt && (elt.id === "scorecard" || (elt.form && elt.form.id === "scorecard"))) status("Saving…");
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "save-status") {
      var fresh = document.getElementById("save-status");
      if (fresh) showErrors(fresh);
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    status("Not saved: the server answered " + evt.detail.xhr.status + ". Your choices are still on this page; " +
           "save again.", true);
  });
  document.addEventListener("htmx:sendError", function () {
    status("Not saved: no connection to the server. Your choices are still on this page; save again.", true);
  });

  document.addEventListener("DOMContentLoaded", function () {
    refreshProgress();
    // On a narrow screen the outline starts folded: it sits above the questions.
    var details = document.querySelector("[data-outline-details]");
    var narrow = window.matchMedia("(max-width: 999px)");
    if (details && narrow.matches) details.open = false;
    // Folded again once a question is picked, so it does not cover the question it jumped to.
    if (details) details.addEventListener("click", function (e) {
      if (narrow.matches && e.target.closest("a")) details.open = false;
    });
    // Beside the sheet it cannot be folded (the CSS hides its toggle): open it when the window widens.
    narrow.addEventListener("change", function (e) { if (details && !e.matches) details.open = true; });
    var summary = document.getElementById("error-summary");
    if (summary && !location.hash) summary.focus();
  });
})();
