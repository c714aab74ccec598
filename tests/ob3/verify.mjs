// Verify the credential on stdin with Digital Bazaar's reference implementation
// (@digitalbazaar/vc 7 + eddsa-rdfc-2022 1.3); prints {"verified": bool, "errors": [text],
// "statusChecked": bool}. A credentialStatus (a status list on the web) cannot be read offline:
// it is accepted unchecked and said so with statusChecked false; microcred's status is on chain.
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

const credential = await readStdinJson();
let statusChecked = true;
async function checkStatus() {
  statusChecked = false;
  return {verified: true};
}
let result;
try {
  result = await vc.verifyCredential({
    credential, suite: new DataIntegrityProof({cryptosuite}), documentLoader, checkStatus
  });
} catch(error) {
  result = {verified: false, error};
}
const errors = [
  ...messages(result.error),
  ...(result.results || []).flatMap(r => messages(r.error)),
];
process.stdout.write(JSON.stringify({verified: result.verified === true, errors, statusChecked}) + '\n');
