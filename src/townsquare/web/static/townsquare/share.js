// Copy buttons on "Posts to share": shown only where the Clipboard API works; without it the text stays
// in a read-only field to select and copy by hand.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      var status = button.nextElementSibling;
      navigator.clipboard.writeText(field.value).then(
        function () { status.textContent = "Copied."; },
        function () { field.select(); status.textContent = "Could not copy: the text is selected, press Ctrl+C (or Cmd+C)."; }
      );
    });
  });
})();
