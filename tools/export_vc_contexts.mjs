// Writes the JSON-LD contexts microcred uses into src/microcred/vc/contexts/ (gitignored), with
// index.json (URL -> file), from the npm packages that `npm ci` installed. Run by `make install`.
//
// The list is the contexts table of src/microcred/vc/VENDORED.md (URL, file, package@version,
// export, sha256): one list for this script, the Python loader and the reader of the docs. The
// installed version of each package must be the one the table names; the sha256 is checked by
// the Python loader whenever it loads a context, so it lives in one place.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vcDir = join(root, 'src', 'microcred', 'vc');
const outDir = join(vcDir, 'contexts');
const TABLE_HEADING = '## JSON-LD contexts: exported from npm packages';

function fail(message) {
  process.stderr.write(`export_vc_contexts: ${message}\n`);
  process.exit(1);
}

// The rows of the first markdown table after TABLE_HEADING (contexts.py reads it the same way).
function contextRows() {
  const lines = readFileSync(join(vcDir, 'VENDORED.md'), 'utf8').split('\n');
  const start = lines.indexOf(TABLE_HEADING);
  if(start < 0) {
    fail(`VENDORED.md has no "${TABLE_HEADING}" section`);
  }
  const rows = [];
  for(const line of lines.slice(start + 1)) {
    if(line.startsWith('#')) {
      break;
    }
    if(!line.startsWith('|')) {
      if(rows.length > 0) {
        break; // the table ended
      }
      continue;
    }
    const cells = line.split('|').slice(1, -1).map(cell => cell.trim());
    if(cells[0] === 'URL' || cells[0].startsWith('---')) {
      continue;
    }
    const [url, file, pinned, exportName, sha256] = cells;
    const at = pinned.lastIndexOf('@');
    rows.push({
      url, file, exportName, sha256,
      name: pinned.slice(0, at), version: pinned.slice(at + 1)
    });
  }
  if(rows.length === 0) {
    fail('the VENDORED.md contexts table is empty');
  }
  return rows;
}

async function contextOf({url, file, name, version, exportName}) {
  if(basename(file) !== file || file === 'index.json') {
    fail(`${url}: "${file}" is not a plain file name`);
  }
  let installed;
  try {
    installed = JSON.parse(
      readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    fail(`${name} is not installed: run npm ci (make install)`);
  }
  if(installed !== version) {
    fail(`${name} ${installed} is installed but VENDORED.md names ${version}: ` +
      'pin the same version in package.json and VENDORED.md, then run make install');
  }
  // CommonJS packages arrive as `default`; ES modules as named exports.
  const module = await import(name);
  const exported = module[exportName] ?? module.default?.[exportName];
  const document = exported instanceof Map ? exported.get(url) : undefined;
  if(!document || typeof document !== 'object') {
    fail(`${name}@${version} has no context for ${url} in its "${exportName}" export`);
  }
  return document;
}

const rows = contextRows();
const documents = [];
for(const row of rows) {
  documents.push(await contextOf(row));
}
// A fresh folder: a context dropped from the table must not linger.
rmSync(outDir, {recursive: true, force: true});
mkdirSync(outDir, {recursive: true});
const index = {};
rows.forEach((row, i) => {
  writeFileSync(join(outDir, row.file), JSON.stringify(documents[i], null, 2) + '\n');
  index[row.url] = row.file;
});
writeFileSync(join(outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
process.stdout.write(
  `exported ${rows.length} JSON-LD contexts to src/microcred/vc/contexts/\n`);
