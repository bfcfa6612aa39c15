/* Reorder the agenda by drag and drop (templates/meetings/workspace.html). Drag an item by its
   handle (⠿) and drop it on another item: above or below it by where the pointer is, taking
   that item's level (a top-level item dropped among sub-items becomes a sub-item, unless it
   has sub-items of its own, which then move with it beside their new neighbour's parent).
   The move goes to the agenda API and the page reloads with the new numbering. The buttons
   beside each item do the same from the keyboard and without JavaScript. ES5, as the rest. */
(function () {
  "use strict";
  var list = document.querySelector("[data-agenda-order]");
  if (!list || !("draggable" in document.createElement("span"))) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var errorBox = document.getElementById("agenda-order-error");
  var dragged = null;

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll("li[data-item-id]"));
  }

  function parentOf(row) { return row.getAttribute("data-parent-id"); }
  function idOf(row) { return row.getAttribute("data-item-id"); }

  function hasChildren(row) {
    return rows().some(function (other) { return parentOf(other) === idOf(row); });
  }

  function rowFor(node) {
    while (node && node !== list) {
      if (node.getAttribute && node.getAttribute("data-item-id")) { return node; }
      node = node.parentNode;
    }
    return null;
  }

  function clearMarks() {
    rows().forEach(function (row) { row.className = row.className.replace(/ ?drop-(before|after)/g, ""); });
  }

  function below(row, event) {
    var box = row.getBoundingClientRect();
    return event.clientY > box.top + box.height / 2;
  }

  /* Where a drop lands: {parent: id or "", position: index among that parent's children}. */
  function landing(target, after) {
    if (parentOf(target) && hasChildren(dragged)) {
      // An item with sub-items stays top-level: land beside the target's parent.
      var parentRow = document.getElementById("item-" + parentOf(target));
      return landing(parentRow, after);
    }
    var parent = parentOf(target);
    var siblings = rows().filter(function (row) {
      return parentOf(row) === parent && row !== dragged;
    });
    return { parent: parent, position: siblings.indexOf(target) + (after ? 1 : 0) };
  }

  function showError(message) {
    if (!errorBox) { window.alert(message); return; }
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function send(place) {
    var itemId = idOf(dragged);  // the drag ends (and `dragged` clears) before the answer
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/agenda/" + itemId + "/move");
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("Accept", "application/json");
    if (csrf) { xhr.setRequestHeader("X-CSRFToken", csrf.getAttribute("content")); }
    xhr.onload = function () {
      if (xhr.status === 200) {
        window.location.hash = "item-" + itemId;
        window.location.reload();
        return;
      }
      var message = "Không sắp xếp được (" + xhr.status + ").";
      try { message = JSON.parse(xhr.responseText).error.message; } catch (ignored) {}
      showError(message);
    };
    xhr.onerror = function () { showError("Mất kết nối tới máy chủ. Hãy thử lại."); };
    xhr.send(JSON.stringify({
      position: place.position,
      parent_id: place.parent ? parseInt(place.parent, 10) : null
    }));
  }

  list.addEventListener("dragstart", function (event) {
    // Only the handle moves an item: a link or text dragged from a row is not a move.
    var handle = event.target;
    if (!handle.className || String(handle.className).indexOf("drag-handle") < 0) {
      dragged = null;
      return;
    }
    dragged = rowFor(handle);
    if (!dragged) { return; }
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", idOf(dragged));  // Firefox starts no drag without data
    dragged.className += " dragging";
  });

  list.addEventListener("dragover", function (event) {
    var target = rowFor(event.target);
    if (!dragged || !target || target === dragged || parentOf(target) === idOf(dragged)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks();
    target.className += below(target, event) ? " drop-after" : " drop-before";
  });

  list.addEventListener("dragleave", function (event) {
    if (event.target === list) { clearMarks(); }
  });

  list.addEventListener("drop", function (event) {
    var target = rowFor(event.target);
    clearMarks();
    if (!dragged || !target || target === dragged || parentOf(target) === idOf(dragged)) { return; }
    event.preventDefault();
    send(landing(target, below(target, event)));
  });

  list.addEventListener("dragend", function () {
    clearMarks();
    if (dragged) { dragged.className = dragged.className.replace(/ ?dragging/g, ""); }
    dragged = null;
  });
})();
