// The reference implementation's document loader: the JSON-LD contexts that `make install`
// exported from npm into src/microcred/vc/contexts/ (the same index.json and files the Python
// side reads and checks against VENDORED.md, so both verifiers know exactly the same contexts)
// and did:key documents. Nothing else, and never the network: an unknown URL is an error.
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as DidKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const here = dirname(fileURLToPath(import.meta.url));
const contextsDir = join(here, '..', '..', 'src', 'microcred', 'vc', 'contexts');
if(!existsSync(join(contextsDir, 'index.json'))) {
  throw new Error(`the JSON-LD contexts are not exported to ${contextsDir}: run make install ` +
    '(or node tools/export_vc_contexts.mjs when the npm packages are installed)');
}
const index = JSON.parse(readFileSync(join(contextsDir, 'index.json'), 'utf8'));
const contexts = new Map(Object.entries(index).map(
  ([url, file]) => [url, JSON.parse(readFileSync(join(contextsDir, file), 'utf8'))]));

const didKeyDriver = DidKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

export async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  if(url.startsWith('did:key:')) {
    const document = await didKeyDriver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`document loader: ${url} is not a context microcred knows or a did:key`);
}

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
