// Renders step summaries as GitHub shows them, to look at before calling a summary done:
// GFM (marked, the renderer GitHub's own markdown follows), GitHub's markdown CSS, at the width of
// a job summary, screenshot by headless Chromium from Debian (`apt-get install chromium`).
//
//   node scripts/render-summaries.js [dir]     # every *.md in dir (default reports/summaries)
//
// The e2e suites write the summaries of their runs there; each gets a .png beside it.
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { marked } = require('marked');

const dir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'reports', 'summaries'));
const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
const browser = ['chromium', 'chromium-browser'].find((name) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!browser) {
  console.error('No chromium on PATH: install it with `sudo apt-get install -y chromium`.');
  process.exit(1);
}

const profile = mkdtempSync(path.join(tmpdir(), 'render-summaries-'));
try {
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
    const markdown = readFileSync(path.join(dir, name), 'utf8');
    const body = marked.parse(markdown, { gfm: true, async: false });
    const html = path.join(profile, `${name}.html`);
    writeFileSync(
      html,
      `<!doctype html><meta charset="utf-8"><style>${css}
        body { margin: 0; background: #fff; }
        .markdown-body { box-sizing: border-box; width: 960px; padding: 24px 32px; }
        details { margin-bottom: 16px; }</style>
        <article class="markdown-body">${body}</article>`,
    );
    const png = path.join(dir, name.replace(/\.md$/, '.png'));
    // A tall window: the screenshot is the window; the page's own height decides what is blank.
    execFileSync(
      browser,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${path.join(profile, 'chrome')}`,
        '--window-size=960,2400',
        `--screenshot=${png}`,
        `file://${html}`,
      ],
      { stdio: 'ignore' },
    );
    console.log(png);
  }
} finally {
  rmSync(profile, { recursive: true, force: true });
}
