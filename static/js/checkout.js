// Checkout: while collection is chosen the delivery address is hidden, and the summary shows
// the delivery line and total of the choice made. Without this script every field shows and
// the summary names both totals; the server checks the form the same way either way.
(() => {
  const choices = document.querySelectorAll("input[name=fulfilment]");
  if (!choices.length) return;
  const address = document.querySelector("[data-delivery-only]");
  const lines = document.querySelectorAll("[data-fulfilment-line]");
  const choiceLines = document.querySelectorAll("[data-fulfilment-choice]");
  const note = document.querySelector("[data-no-script-note]");
  if (note) note.hidden = true;
  const show = () => {
    const chosen = document.querySelector("input[name=fulfilment]:checked");
    const option = chosen ? chosen.value : "collect";
    if (address) address.hidden = option !== "delivery";
    lines.forEach((line) => {
      line.hidden = line.dataset.fulfilmentLine !== option;
    });
    choiceLines.forEach((line) => {
      line.hidden = line.dataset.fulfilmentChoice !== option;
    });
  };
  choices.forEach((choice) => choice.addEventListener("change", show));
  show();
})();
