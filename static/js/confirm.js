/* Ask before destructive form submissions (forms with data-confirm). */
(function (document) {
  "use strict";
  var forms = document.querySelectorAll("form[data-confirm]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      if (!window.confirm(event.currentTarget.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }
})(document);
