// Sign the credential on stdin with the reference implementation, as a did:key issuer whose
// Ed25519 key comes from the 32-byte seed given in hex as the first argument (a test key);
// the issuer id is set to that did:key. Prints the signed credential.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {documentLoader, readStdinJson} from './loader.mjs';

const seed = Uint8Array.from(Buffer.from(process.argv[2], 'hex'));
const {publicKeyMultibase} = await Ed25519Multikey.generate({seed});
// A did:key's verification method is did:key:<key>#<key> (generate() derives id from controller).
const keyPair = await Ed25519Multikey.generate({seed, controller: `did:key:${publicKeyMultibase}`});

const credential = await readStdinJson();
if(credential.issuer && typeof credential.issuer === 'object') {
  credential.issuer.id = keyPair.controller;
} else {
  credential.issuer = keyPair.controller;
}
const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
const signed = await vc.issue({credential, suite, documentLoader});
process.stdout.write(JSON.stringify(signed) + '\n');
