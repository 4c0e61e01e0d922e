// The compose page's live count: the text's length against each chosen channel's limit, in that network's
// unit (Bluesky counts graphemes, as the browser's Intl.Segmenter splits them).
(() => {
  const text = document.querySelector(".compose textarea[name=text]");
  const out = document.getElementById("text-count");
  if (!text || !out) return;
  const boxes = [...document.querySelectorAll(".compose input[name=channels]")];
  const graphemes = (value) =>
    window.Intl && Intl.Segmenter ? [...new Intl.Segmenter().segment(value)].length : [...value].length;
  let timer;
  const update = () => {
    const value = text.value.trim();
    out.textContent = boxes
      .filter((box) => box.checked && Number(box.dataset.limit) > 0)
      .map((box) => {
        const length = box.dataset.unit === "graphemes" ? graphemes(value) : value.length;
        const limit = Number(box.dataset.limit);
        const over = length > limit ? ` (${length - limit} too many)` : "";
        return `${box.dataset.name}: ${length} of ${limit} ${box.dataset.unit}${over}.`;
      })
      .join(" ");
  };
  // Announced after a pause in typing, not on every key.
  text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 400); });
  boxes.forEach((box) => box.addEventListener("change", update));
})();
