// Progressive enhancement only: every journey works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // GOV.UK pattern: move focus to the error summary so screen readers read it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
