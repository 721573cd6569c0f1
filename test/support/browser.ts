// A real headless Chromium for the web app's tests: Debian's `chromium` package, installed with apt-get when it is
// missing (as the local stack installs its packages), driven by playwright-core (which downloads no browser).
import { type Browser, chromium } from "playwright-core";
import { aptInstall, which } from "../../deploy/stack/install.ts";

export function chromiumPath(): string {
  const found = which("chromium");
  if (found) return found;
  aptInstall(["chromium"], (msg) => process.stderr.write(`[browser] ${msg}\n`));
  const installed = which("chromium");
  if (!installed) throw new Error("apt-get installed chromium, but no chromium is on the PATH");
  return installed;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root (CI, this workplace) cannot use Chromium's user-namespace sandbox; /dev/shm may be small in containers.
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-dev-shm-usage"],
  });
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;
