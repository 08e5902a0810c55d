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
  // The timeline is one Tab stop: ← → move among its marks, Enter follows.
  for (const svg of document.querySelectorAll("svg.timeline")) {
    const marks = [...svg.querySelectorAll("a")];
    let mark = -1;
    svg.addEventListener("keydown", (e) => {
      if ((e.key !== "ArrowRight" && e.key !== "ArrowLeft") || !marks.length) return;
      e.preventDefault();
      mark = Math.max(0, Math.min(marks.length - 1, mark + (e.key === "ArrowRight" ? 1 : -1)));
      marks[mark].focus();
    });
  }
  // Keys, as in mail readers: "j"/"k" go to the next/previous message,
  // "q" folds or unfolds every quote on the page.
  const messages = [...document.querySelectorAll("article.msg")];
  let at = -1;
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "q") {
      const quotes = document.querySelectorAll("details.quoted");
      const open = [...quotes].some((d) => d.open);
      for (const d of quotes) d.open = !open;
    } else if ((e.key === "j" || e.key === "k") && messages.length) {
      at = Math.max(0, Math.min(messages.length - 1, at + (e.key === "j" ? 1 : -1)));
      messages[at].scrollIntoView({ block: "start" });
      messages[at].focus({ preventScroll: true });
    }
  });
});
