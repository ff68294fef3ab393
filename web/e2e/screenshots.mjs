// Every screen, on a desktop and a 390 px phone, in light and dark: kept as artifacts so a
// person can look at what users see.
import { join } from "node:path";
import { ARTIFACTS, newPage } from "./support.mjs";

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
];
const THEMES = ["light", "dark"];

/** Screens as (name, path, what shows it is ready). */
function screens(monitorId) {
  return [
    { name: "overview", path: "/", ready: "[data-testid=monitor-row]" },
    { name: "monitor", path: `/monitors/${monitorId}`, ready: "[data-testid=waterfall]" },
    { name: "form", path: "/monitors/new", ready: "form" },
    { name: "edit", path: `/monitors/${monitorId}/edit`, ready: "form" },
    { name: "hosts", path: "/hosts", ready: "[data-testid=host-charts] svg" },
    { name: "alerts", path: "/alerts", ready: "[data-testid=channel]" },
    { name: "status", path: "/status", ready: "table" },
  ];
}

export async function takeScreenshots(browser, baseUrl, monitorId, errors) {
  let count = 0;
  for (const viewport of VIEWPORTS) {
    for (const theme of THEMES) {
      const page = await newPage(browser, { ...viewport, theme }, errors);
      for (const screen of screens(monitorId)) {
        await page.goto(`${baseUrl}${screen.path}`);
        await page.locator(screen.ready).first().waitFor({ timeout: 15_000 });
        // Charts measure their container after the first paint.
        await page.waitForTimeout(600);
        await page.screenshot({ path: join(ARTIFACTS, `${screen.name}-${viewport.name}-${theme}.png`), fullPage: screen.name !== "form" && screen.name !== "edit" });
        count += 1;
        if (screen.name === "alerts") {
          count += await channelEditorShots(page, `${viewport.name}-${theme}`);
          count += await maintenanceShots(page, `${viewport.name}-${theme}`);
        }
        if (screen.name === "edit") count += await certificateFieldShot(page, `${viewport.name}-${theme}`);
      }
      await page.context().close();
    }
  }
  return count;
}

/** The channel editor over the Alerts screen: a webhook as stored, then the e-mail kind's fields. */
async function channelEditorShots(page, suffix) {
  await page.locator("[data-testid=channel]").first().getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByTestId("channel-settings").waitFor();
  await page.screenshot({ path: join(ARTIFACTS, `channel-editor-${suffix}.png`) });
  await dialog.getByLabel("Kind").selectOption("email");
  await dialog.getByLabel("SMTP server").waitFor();
  await page.screenshot({ path: join(ARTIFACTS, `channel-editor-email-${suffix}.png`) });
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  return 2;
}

/** The maintenance card, then its dialog for a one-off window and for a weekly one. */
async function maintenanceShots(page, suffix) {
  const card = page.getByTestId("maintenance-card");
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: join(ARTIFACTS, `maintenance-card-${suffix}.png`) });
  await card.getByRole("button", { name: "Add window" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a maintenance window" });
  await dialog.getByLabel("Starts").waitFor();
  await page.screenshot({ path: join(ARTIFACTS, `maintenance-editor-${suffix}.png`) });
  await dialog.getByText("Every week", { exact: true }).click();
  await dialog.getByRole("checkbox", { name: "Saturday" }).check();
  await dialog.getByRole("checkbox", { name: "Sunday" }).check();
  await page.screenshot({ path: join(ARTIFACTS, `maintenance-editor-weekly-${suffix}.png`) });
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  return 3;
}

/** The edit form scrolled to the alert rule, where the certificate warnings are. */
async function certificateFieldShot(page, suffix) {
  await page.getByLabel("Warn before the certificate expires (days)").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, `edit-alert-rule-${suffix}.png`) });
  return 1;
}
