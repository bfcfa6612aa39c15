/* Vietnamese file pickers (templates/_forms.html file_field): the native input is visually
   hidden behind a "Chọn tệp…" button; this shows the chosen files' names beside it. ES5. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input.file-input");
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("change", function (event) {
      var input = event.target;
      var shown = document.querySelector('[data-file-name-for="' + input.id + '"]');
      if (!shown) { return; }
      var names = [];
      for (var j = 0; j < input.files.length; j++) { names.push(input.files[j].name); }
      shown.textContent = names.length ? names.join(", ") : "Chưa chọn tệp nào";
    });
  }
})();
