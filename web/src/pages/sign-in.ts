// Sign-in with an API key (`wattline apikey create`): checked against the API before it is kept for this tab.
import { ApiFailure, api } from "../api.ts";
import { h } from "../dom.ts";
import { storeKey } from "../session.ts";
import type { Session } from "../types.ts";

export function signInPage(main: HTMLElement, signedIn: (session: Session) => void): void {
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "api-key-help",
  });
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in" },
    h("h1", { tabindex: -1 }, "Sign in to Wattline"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h(
      "p",
      { id: "api-key-help", class: "muted" },
      "A key from `wattline apikey create`. It is kept in this tab only and forgotten when the tab closes.",
    ),
    button,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    button.disabled = true;
    error.textContent = "";
    try {
      const session = await api<Session>("/api/v1/session", { key });
      storeKey(key);
      signedIn(session);
    } catch (err) {
      error.textContent =
        err instanceof ApiFailure && err.status === 401
          ? "This key is unknown or revoked."
          : "The API cannot be reached. Try again.";
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(form);
  input.focus();
}
