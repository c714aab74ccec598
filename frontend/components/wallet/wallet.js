// microcred wallet bridge: an EIP-1193 wallet (MetaMask and friends) <-> Python.
//
// A Streamlit components-v2 module: it runs in the app page itself (no iframe), so it sees the
// page's own wallet providers. Python sends `data = {key, request, known}`; this module answers
// with one state value, `snapshot` (account, chain, wallets, last reply), published only when it
// differs from what Python already `known`s, so a rerun never loops.
//
// Wallet state lives on `window` rather than in the module: every mount of the component (and
// every page of a multipage app) shares one provider, one set of listeners and one record of the
// requests already handled. That record is what makes a request run at most once: Streamlit sends
// the same `data` again on every rerun, and a wallet must never be asked twice to sign.
//
// The page's credential signing key lives here too (derive_signing_key, sign_hashes): an Ed25519
// key derived from the wallet's signature of the key message, kept as a non-extractable WebCrypto
// key in this page's memory for the session. Neither the wallet's signature nor the seed ever
// leaves these functions: Python gets the public key and the signatures of the hashes it sent.

const STORE = "__microcredWalletBridge";
const DISCOVERY_MS = 100; // EIP-6963 wallets answer synchronously; a little grace for late ones.

const NO_WALLET = 4900; // EIP-1193 "disconnected": there is no provider to talk to at all.
const UNAUTHORIZED = 4100;
const WRONG_CHAIN = 4901;
const UNRECOGNIZED_CHAIN = 4902;
const INTERNAL = -32603;
const UNSUPPORTED = 4200;
// Not an EIP-1193 code: this page holds no signing key with that public key (the page was reloaded
// since the key was derived). Python asks for the key message again.
const KEY_NOT_IN_PAGE = 4040;

// HKDF salt and the PKCS #8 DER prefix of a raw 32-byte Ed25519 seed (RFC 8410), as in
// microcred.vc.keyderivation: the same signature gives the same key here and in the CLI.
const HKDF_SALT = new TextEncoder().encode("microcred/eddsa-rdfc-2022/signing-key/v1");
const PKCS8_ED25519_PREFIX = hexToBytes("302e020100300506032b657004220420");

class WalletError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function store() {
  if (!window[STORE]) {
    const s = {
      announced: new Map(), // EIP-6963 uuid -> {info, provider}
      current: null, // {info, provider} in use
      listeners: null,
      account: null,
      chainId: null,
      replies: new Map(), // request id -> reply, or null while the wallet is still asked
      lastReply: null,
      instances: new Map(), // component key -> {setStateValue, known}
      signingKeys: new Map(), // public key (hex) -> non-extractable Ed25519 CryptoKey
      ready: false,
      started: null,
    };
    window[STORE] = s;
    // Legacy wallets may inject window.ethereum after the page loaded, and say so.
    window.addEventListener("ethereum#initialized", () => {
      if (s.ready && !s.current) void attach(choose(null)).then(publish);
    });
    window.addEventListener("eip6963:announceProvider", (event) => {
      const detail = event.detail;
      if (!detail || !detail.info || !detail.provider) return;
      s.announced.set(detail.info.uuid || detail.info.rdns || detail.info.name, detail);
      if (s.ready) {
        if (!s.current) void attach(choose(null)).then(publish);
        else publish();
      }
    });
  }
  return window[STORE];
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

function snapshot() {
  const s = store();
  const wallets = [...s.announced.values()].map((w) => ({
    name: String(w.info.name || "Wallet"),
    rdns: w.info.rdns ? String(w.info.rdns) : null,
  }));
  return {
    available: Boolean(s.current),
    wallet: s.current ? String(s.current.info.name || "Wallet") : null,
    wallets,
    account: s.account,
    chain_id: s.chainId,
    reply: s.lastReply,
  };
}

function publish() {
  const s = store();
  if (!s.ready) return;
  const snap = snapshot();
  const text = canonical(snap);
  for (const instance of s.instances.values()) {
    if (instance.known === text) continue;
    instance.known = text; // until Python's next run says otherwise
    instance.setStateValue("snapshot", snap);
  }
}

// The provider to use: the named EIP-6963 wallet, else the one in use, else the first one
// announced, else the legacy window.ethereum (wallets that predate EIP-6963).
function choose(rdns) {
  const s = store();
  const announced = [...s.announced.values()];
  if (rdns) {
    const named = announced.find((w) => w.info.rdns === rdns);
    if (named) return named;
  }
  if (s.current) return s.current;
  if (announced.length) return announced[0];
  if (window.ethereum) {
    return { info: { name: "Browser wallet", rdns: null, uuid: "window.ethereum" }, provider: window.ethereum };
  }
  return null;
}

function toChainId(hex) {
  const n = typeof hex === "number" ? hex : parseInt(String(hex), 16);
  return Number.isFinite(n) ? n : null;
}

async function attach(chosen) {
  const s = store();
  if (!chosen || chosen === s.current) return;
  if (s.current && s.listeners && s.current.provider.removeListener) {
    s.current.provider.removeListener("accountsChanged", s.listeners.accounts);
    s.current.provider.removeListener("chainChanged", s.listeners.chain);
  }
  s.current = chosen;
  s.listeners = {
    accounts: (accounts) => {
      s.account = accounts && accounts.length ? String(accounts[0]) : null;
      publish();
    },
    chain: (chainId) => {
      s.chainId = toChainId(chainId);
      publish();
    },
  };
  if (chosen.provider.on) {
    chosen.provider.on("accountsChanged", s.listeners.accounts);
    chosen.provider.on("chainChanged", s.listeners.chain);
  }
  await refresh();
}

// Read the account and chain without a prompt (eth_accounts never opens the wallet).
async function refresh() {
  const s = store();
  if (!s.current) return;
  try {
    const accounts = await s.current.provider.request({ method: "eth_accounts" });
    s.account = accounts && accounts.length ? String(accounts[0]) : null;
  } catch (err) {
    s.account = null;
  }
  try {
    s.chainId = toChainId(await s.current.provider.request({ method: "eth_chainId" }));
  } catch (err) {
    s.chainId = null;
  }
}

function start() {
  const s = store();
  if (!s.started) {
    s.started = (async () => {
      window.dispatchEvent(new Event("eip6963:requestProvider"));
      await new Promise((resolve) => setTimeout(resolve, DISCOVERY_MS));
      await attach(choose(null));
      s.ready = true;
      publish();
    })();
  }
  return s.started;
}

function provider() {
  const s = store();
  if (!s.current) {
    throw new WalletError(NO_WALLET, "No wallet found in this browser. Install MetaMask (or another Ethereum wallet) and reload the page.");
  }
  return s.current.provider;
}

function hexToBytes(hex) {
  const text = String(hex).replace(/^0x/i, "");
  if (text.length % 2 || /[^0-9a-f]/i.test(text)) throw new WalletError(INTERNAL, "Not hex data.");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

function bytesToHex(bytes) {
  let out = "";
  for (const byte of new Uint8Array(bytes)) out += byte.toString(16).padStart(2, "0");
  return out;
}

function base64UrlToHex(text) {
  const plain = atob(String(text).replace(/-/g, "+").replace(/_/g, "/"));
  return bytesToHex(Uint8Array.from(plain, (c) => c.charCodeAt(0)));
}

// WebCrypto exists only in a secure context (https, or http on localhost).
function subtle() {
  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    throw new WalletError(UNSUPPORTED, "This page is not a secure context (https or localhost), so the browser cannot sign credentials here.");
  }
  return window.crypto.subtle;
}

function needsAccount(params, what) {
  const s = store();
  if (!s.account) throw new WalletError(UNAUTHORIZED, "Connect a wallet first.");
  if (String(params.account).toLowerCase() !== s.account.toLowerCase()) {
    throw new WalletError(UNAUTHORIZED, `The wallet's account is ${s.account}, but the ${what} is for ${params.account}.`);
  }
}

function hexChain(chainId) {
  return `0x${Number(chainId).toString(16)}`;
}

// MetaMask reports some errors wrapped in an internal error (notably 4902 on mobile).
function codeOf(err) {
  const nested = err && err.data && err.data.originalError;
  if (err && err.code === INTERNAL && nested && typeof nested.code === "number") return nested.code;
  if (err && typeof err.code === "number") return err.code;
  return INTERNAL;
}

function messageOf(err) {
  if (!err) return "The wallet failed without saying why.";
  const nested = err.data && err.data.message;
  return String(err.message || nested || err);
}

const METHODS = {
  async connect(params) {
    const s = store();
    await attach(choose(params.wallet || null));
    const accounts = await provider().request({ method: "eth_requestAccounts" });
    s.account = accounts && accounts.length ? String(accounts[0]) : null;
    s.chainId = toChainId(await provider().request({ method: "eth_chainId" }));
    if (!s.account) throw new WalletError(UNAUTHORIZED, "The wallet shared no account.");
    return s.account;
  },

  async switch_chain(params) {
    const s = store();
    const wallet = provider();
    const chainId = hexChain(params.chain_id);
    try {
      await wallet.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (err) {
      if (codeOf(err) !== UNRECOGNIZED_CHAIN || !params.add) throw err;
      await wallet.request({ method: "wallet_addEthereumChain", params: [{ chainId, ...params.add }] });
      await wallet.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    }
    s.chainId = toChainId(await wallet.request({ method: "eth_chainId" }));
    if (s.chainId !== Number(params.chain_id)) {
      throw new WalletError(WRONG_CHAIN, `The wallet stayed on chain ${s.chainId}.`);
    }
    return chainId;
  },

  async send_transaction(params) {
    const s = store();
    const wallet = provider();
    const tx = { ...params.tx };
    if (!s.account) throw new WalletError(UNAUTHORIZED, "Connect a wallet first.");
    if (!tx.from) tx.from = s.account;
    if (String(tx.from).toLowerCase() !== s.account.toLowerCase()) {
      throw new WalletError(UNAUTHORIZED, `The wallet's account is ${s.account}, but this transaction is from ${tx.from}.`);
    }
    // Checked at the last moment: the user can switch networks at any time.
    s.chainId = toChainId(await wallet.request({ method: "eth_chainId" }));
    if (params.chain_id != null && s.chainId !== Number(params.chain_id)) {
      throw new WalletError(WRONG_CHAIN, `The wallet is on chain ${s.chainId}, but this transaction is for chain ${params.chain_id}.`);
    }
    return String(await wallet.request({ method: "eth_sendTransaction", params: [tx] }));
  },

  // EIP-191 personal_sign of a hex-encoded UTF-8 message (a Sign-In with Ethereum message): the
  // signature proves the account's key is in this wallet. Python verifies it; this only makes
  // sure the wallet is asked for the account Python means.
  async personal_sign(params) {
    const wallet = provider();
    needsAccount(params, "sign-in");
    return String(await wallet.request({ method: "personal_sign", params: [params.message, params.account] }));
  },

  // The credential signing key: the wallet signs the key message (personal_sign, deterministic
  // per RFC 6979), seed = HKDF-SHA256(signature r||s||v with v as 27/28, salt, info = the message),
  // Ed25519 key from the seed (RFC 8032). Kept non-extractable in this page; returns its public key
  // (hex). The signature and the seed are overwritten once used and never leave this function.
  async derive_signing_key(params) {
    const s = store();
    const wallet = provider();
    needsAccount(params, "key message");
    const webcrypto = subtle();
    const message = hexToBytes(params.message);
    const signature = hexToBytes(await wallet.request({ method: "personal_sign", params: [params.message, params.account] }));
    if (signature.length !== 65) {
      throw new WalletError(INTERNAL, `The wallet's signature is ${signature.length} bytes, not 65: it cannot give a signing key.`);
    }
    if (signature[64] < 27) signature[64] += 27; // some wallets write v as 0/1, MetaMask as 27/28
    let seed;
    let der;
    try {
      const material = await webcrypto.importKey("raw", signature, "HKDF", false, ["deriveBits"]);
      seed = new Uint8Array(await webcrypto.deriveBits({ name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: message }, material, 256));
      der = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
      der.set(PKCS8_ED25519_PREFIX);
      der.set(seed, PKCS8_ED25519_PREFIX.length);
      // Imported twice: once extractable, only to read the public key (JWK "x"), then for keeps.
      const readable = await webcrypto.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
      const publicKey = base64UrlToHex((await webcrypto.exportKey("jwk", readable)).x);
      const key = await webcrypto.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
      s.signingKeys.set(publicKey, key);
      return publicKey;
    } catch (err) {
      if (err instanceof WalletError) throw err;
      throw new WalletError(UNSUPPORTED, `This browser cannot make the Ed25519 signing key (${messageOf(err)}): use a current Chrome, Edge, Firefox or Safari.`);
    } finally {
      signature.fill(0);
      if (seed) seed.fill(0);
      if (der) der.fill(0);
    }
  },

  // Ed25519 signatures of the hashes (64 bytes each, one hex string), by the key this page derived
  // (no wallet prompt); returns them as one hex string, 64 bytes each, in the same order.
  async sign_hashes(params) {
    const s = store();
    const key = s.signingKeys.get(String(params.public_key).toLowerCase());
    if (!key) {
      throw new WalletError(KEY_NOT_IN_PAGE, "This page no longer holds your signing key (it was reloaded since the key was made): sign the key message again.");
    }
    const webcrypto = subtle();
    const all = hexToBytes(params.hashes);
    const size = Number(params.size);
    if (!size || all.length % size) throw new WalletError(INTERNAL, "The hashes to sign are not whole.");
    const jobs = [];
    for (let at = 0; at < all.length; at += size) {
      jobs.push(webcrypto.sign({ name: "Ed25519" }, key, all.subarray(at, at + size)));
    }
    return (await Promise.all(jobs)).map(bytesToHex).join("");
  },
};

async function handle(request) {
  const s = store();
  if (s.replies.has(request.id)) {
    // Seen before: never ask the wallet again. Re-report a finished reply that Python lost
    // (for instance after the page changed while the wallet was open).
    const done = s.replies.get(request.id);
    if (done && (!s.lastReply || s.lastReply.id !== done.id)) {
      s.lastReply = done;
      publish();
    }
    return;
  }
  s.replies.set(request.id, null);
  let reply;
  try {
    const method = METHODS[request.method];
    if (!method) throw new WalletError(4200, `The wallet bridge does not know "${request.method}".`);
    const result = await method(request.params || {});
    reply = { id: request.id, ok: true, result, error_code: null, error_message: null };
  } catch (err) {
    reply = { id: request.id, ok: false, result: null, error_code: codeOf(err), error_message: messageOf(err) };
  }
  s.replies.set(request.id, reply);
  s.lastReply = reply;
  publish();
}

export default function (component) {
  const { data, setStateValue } = component;
  const s = store();
  const key = (data && data.key) || component.key;
  s.instances.set(key, { setStateValue, known: canonical((data && data.known) || null) });
  void start().then(() => {
    if (data && data.request) void handle(data.request);
    publish();
  });
  return () => {
    s.instances.delete(key);
  };
}
