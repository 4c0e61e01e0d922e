// Drag to reschedule: dropping a post on another day fills that post's "Move" form with the day (keeping its
// time of day) and sends it, so dragging and the keyboard path go through the same checks on the server.
(() => {
  let dragged = null;
  document.querySelectorAll(".plan li.movable").forEach((item) => {
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.post);
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
    });
  });
  document.querySelectorAll(".day[data-date]").forEach((day) => {
    day.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      day.classList.add("drop-target");
    });
    day.addEventListener("dragleave", (event) => {
      if (!day.contains(event.relatedTarget)) day.classList.remove("drop-target");
    });
    day.addEventListener("drop", (event) => {
      event.preventDefault();
      day.classList.remove("drop-target");
      // The item being dragged, not the drag data: a drag that starts on the post's link carries its URL.
      const form = dragged && document.getElementById(`move-${dragged.dataset.post}`);
      if (!form || form.elements.date.value === day.dataset.date) return;
      form.elements.date.value = day.dataset.date;
      form.requestSubmit();
    });
  });
})();
