/* "Chọn tất cả" / "Bỏ chọn tất cả" beside a list of checkboxes (the document audience
   chooser): ticks or clears every box of the same form. ES5, as the rest. */
(function (document) {
  "use strict";
  var buttons = document.querySelectorAll("button[data-check-all]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      var on = button.getAttribute("data-check-all") === "true";
      var boxes = button.form.querySelectorAll("input[type=checkbox][name=attendee_ids]");
      for (var j = 0; j < boxes.length; j++) { boxes[j].checked = on; }
      var chosen = button.form.querySelector("input[type=radio][value=chosen]");
      if (on && chosen) { chosen.checked = true; }
    });
  }
})(document);
