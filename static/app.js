// Progressive enhancement only: every page works without this file.
// Copy buttons for the changelog blocks, and a key to fold all quotes.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy")) {
    const block = button.parentElement.querySelector("pre.block");
    if (!block || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(block.textContent).then(() => {
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      });
    });
  }
  // "q" folds or unfolds every quote on the page.
  document.addEventListener("keydown", (e) => {
    if (e.key !== "q" || e.target.closest("input, textarea")) return;
    const quotes = document.querySelectorAll("details.quoted");
    const open = [...quotes].some((d) => d.open);
    for (const d of quotes) d.open = !open;
  });
});
