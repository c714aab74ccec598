// verify.mjs for many credentials in one Node process: a JSON array of credentials on stdin;
// prints a JSON array of {"verified": bool, "errors": [text], "statusChecked": bool}, in order.
// Starting Node and loading the reference implementation costs about half a second: a test of
// every kind of document and its tampered copies would pay it dozens of times.
// Optional first argument: the time to verify at (ISO 8601), e.g. a test chain's clock, which
// runs ahead of this machine's when a test moves it; default now.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {documentLoader, readStdinJson} from './loader.mjs';

function messages(error) {
  if(!error) {
    return [];
  }
  const nested = error.errors ? error.errors.flatMap(messages) : [];
  return [`${error.name}: ${error.message}`, ...nested];
}

const now = process.argv[2] ? new Date(process.argv[2]) : new Date();
if(Number.isNaN(now.getTime())) {
  throw new Error(`verify_many.mjs: ${process.argv[2]} is not an ISO 8601 date time`);
}

async function verifyOne(credential) {
  let statusChecked = true;
  async function checkStatus() {
    statusChecked = false;
    return {verified: true};
  }
  let result;
  try {
    result = await vc.verifyCredential({
      credential, suite: new DataIntegrityProof({cryptosuite}), documentLoader, checkStatus, now
    });
  } catch(error) {
    result = {verified: false, error};
  }
  const errors = [
    ...messages(result.error),
    ...(result.results || []).flatMap(r => messages(r.error)),
  ];
  return {verified: result.verified === true, errors, statusChecked};
}

const credentials = await readStdinJson();
if(!Array.isArray(credentials)) {
  throw new Error('verify_many.mjs reads a JSON array of credentials');
}
const results = [];
for(const credential of credentials) {
  results.push(await verifyOne(credential));
}
process.stdout.write(JSON.stringify(results) + '\n');
