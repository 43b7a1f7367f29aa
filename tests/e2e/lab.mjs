// JupyterLab in headless Chromium, as a student uses it (run by tests/test_browser.py).
//
//   node lab.mjs BASE_URL TOKEN NOTEBOOK SCREENSHOT
//
// Opens NOTEBOOK in JupyterLab, runs every cell with the menu (Run > Run All Cells), waits until the
// kernel is idle and every code cell ran, finds nbgrader's Validate button in the notebook toolbar,
// opens nbgrader's assignment list (Nbgrader > Assignment List), takes a screenshot, and prints a JSON
// summary on its last line. JupyterLab must run with --LabApp.expose_app_in_browser=True, so that the
// notebook's model can be read from window.jupyterapp.
import { chromium } from "playwright-core";

const [base, token, notebook, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
const result = { steps: [] };
const step = (name) => { result.steps.push([name, Date.now()]); console.error(`lab.mjs: ${name}`); };
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.setDefaultTimeout(60_000);
  await page.goto(`${base}/lab/tree/${encodeURIComponent(notebook)}?token=${token}`);
  await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 120_000 });
  await page.waitForFunction(() => {
    const panel = window.jupyterapp?.shell?.currentWidget;
    return panel?.sessionContext?.session?.kernel?.status === "idle";
  }, null, { timeout: 120_000 });
  step("notebook open, kernel idle");

  // Run > Run All Cells, through the menus as a person would.
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  step("Run All Cells clicked");
  await page.waitForFunction(() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = [...panel.content.model.cells].filter((c) => c.type === "code");
    const busy = panel.sessionContext.session.kernel.status !== "idle";
    return !busy && cells.every((c) => c.executionCount !== null && c.executionCount !== undefined);
  }, null, { timeout: 600_000, polling: 1000 });
  step("every code cell ran");
  result.cells = await page.evaluate(() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return [...panel.content.model.cells].filter((c) => c.type === "code").map((c) => {
      const outputs = c.outputs.toJSON();
      const error = outputs.find((o) => o.output_type === "error");
      return {
        id: c.id,
        tags: c.getMetadata("tags") || [],
        count: c.executionCount,
        error: error ? `${error.ename}: ${error.evalue}`.slice(0, 200) : null,
        text: outputs.map((o) => (o.text || (o.data && o.data["text/plain"]) || "")).join("").slice(0, 300),
      };
    });
  });

  // nbgrader's Validate button, in the notebook's toolbar.
  const validate = page.locator(".jp-NotebookPanel-toolbar button, .jp-NotebookPanel-toolbar jp-button",
    { hasText: "Validate" });
  await validate.first().waitFor({ state: "visible", timeout: 30_000 });
  result.validate = await validate.count();
  step("Validate button found");
  await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0);

  // nbgrader's assignment list: Nbgrader > Assignment List, docked beside the notebook.
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Nbgrader$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /Assignment List/ }).click();
  const list = page.locator("text=Released assignments");
  await list.first().waitFor({ state: "visible", timeout: 60_000 });
  await page.waitForTimeout(1500);
  result.assignmentList = await page.evaluate(() => document.body.innerText.includes("Released assignments")
    && document.body.innerText.includes("Submitted assignments"));
  result.assignmentText = await page.evaluate(() => {
    const found = [...document.querySelectorAll("div, span")].find((e) => e.innerText?.startsWith("Released assignments"));
    return found ? found.innerText.slice(0, 400) : "";
  });
  step("assignment list open");
  const panel = await page.evaluate(() => window.jupyterapp.shell.currentWidget.title.label);
  result.mainArea = panel;
  // Dock the assignment list on the right half, so that the notebook and the list are both in the picture.
  await page.evaluate(async () => {
    const app = window.jupyterapp;
    const widgets = [...app.shell.widgets("main")];
    const list = widgets.find((w) => /assignment/i.test(w.title.label));
    const nb = widgets.find((w) => w.content && w.content.model && w.content.model.cells);
    if (list && nb) {
      app.shell.add(list, "main", { mode: "split-right", ref: nb.id });
      app.shell.activateById(nb.id);
    }
  });
  // The notebook scrolled to its first check, which says what an unsolved exercise says.
  await page.evaluate(async () => {
    const content = window.jupyterapp.shell.currentWidget.content;
    const index = [...content.model.cells].findIndex((c) => (c.getMetadata("nbgrader") || {}).grade);
    content.activeCellIndex = Math.max(0, index - 1);
    await content.scrollToItem(Math.max(0, index - 1), "start");
  });
  const no = page.locator("button", { hasText: /^No$/ });
  if (await no.count()) await no.first().click();  // JupyterLab's "get notified about news?" toast
  await page.waitForTimeout(1500);
  await page.screenshot({ path: screenshot });
  step("screenshot saved");
} catch (error) {
  result.error = String(error && error.stack || error);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) await pages[0].screenshot({ path: screenshot.replace(/\.png$/, "-failed.png") });
  } catch {}
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
