// Buttons marked data-print open the browser's print dialog (the page prints as a clean sheet).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
