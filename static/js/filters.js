// Catalogue filters marked data-auto-submit apply as soon as one changes. Without this script
// the form's own "Show products" button does the same; with it, the button is tucked away
// (it shows again when the keyboard reaches it) and a note says the list follows every change,
// so nothing changes unannounced.
document.querySelectorAll("form[data-auto-submit]").forEach((form) => {
  form.querySelectorAll("[data-auto-submit-button]").forEach((button) => {
    button.classList.add("visually-hidden-focusable");
  });
  form.querySelectorAll("[data-auto-submit-note]").forEach((note) => {
    note.hidden = false;
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=checkbox]")) {
      form.requestSubmit();
    }
  });
});
