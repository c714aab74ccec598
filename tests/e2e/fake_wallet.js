// A test EIP-1193 wallet, injected into every page and frame before the app's scripts run
// (Playwright's add_init_script). It announces itself by EIP-6963 and as window.ethereum, and
// forwards everything to the local anvil node, which signs eth_sendTransaction and personal_sign
// for its unlocked default accounts: no key ever reaches the page. anvil's personal_sign is
// deterministic (RFC 6979), like MetaMask's: the Issue page derives the same credential signing key
// from it every time, the CLI's key for that account.
//
// __WALLETS__ is replaced by the harness with a list of
//   {uuid, name, rdns, account, rpcUrl, connected, knowsChain, signsAs}
// signsAs (null: the account itself) is the account whose key answers personal_sign: another
// anvil account gives a signature from another key; an address anvil holds no key for makes the
// request fail ("No Signer available"), as a wallet that only claims an address would.
// Tests steer a wallet through window.__testWallets[rdns] (window.__testWallet is the first):
//   .reject = true          every prompt answers 4001 "user rejected"
//   .setChain("0x1")        the user switched networks in the wallet (emits chainChanged)
//   .setAccount("0x...")    the user switched accounts (emits accountsChanged)
//   .knowsChain = false     wallet_switchEthereumChain answers 4902 until wallet_addEthereumChain
//   .calls                  every method the page asked for, in order
//   .sent                   every transaction hash this wallet sent
//   .signed                 every signature this wallet returned
(() => {
  if (window.__testWallets) return;
  const wallets = __WALLETS__;
  window.__testWallets = {};

  const icon =
    "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiPjxyZWN0IHdpZHRoPSIxIiBoZWlnaHQ9IjEiLz48L3N2Zz4=";

  function fail(code, message) {
    const err = new Error(message);
    err.code = code;
    return err;
  }

  for (const config of wallets) {
    const listeners = { accountsChanged: [], chainChanged: [] };
    let nextId = 1;
    let chainId = null; // the wallet's network; null until first asked (then anvil's)

    async function rpc(method, params) {
      const response = await fetch(config.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params || [] }),
      });
      const body = await response.json();
      if (body.error) {
        const err = fail(body.error.code, body.error.message);
        err.data = body.error.data;
        throw err;
      }
      return body.result;
    }

    function emit(event, value) {
      for (const fn of listeners[event] || []) fn(value);
    }

    async function currentChain() {
      if (chainId === null) chainId = await rpc("eth_chainId");
      return chainId;
    }

    const control = {
      account: config.account,
      connected: Boolean(config.connected),
      knowsChain: config.knowsChain !== false,
      reject: false,
      signsAs: config.signsAs || null,
      calls: [],
      sent: [],
      signed: [],
      added: [],
      setChain(hex) {
        chainId = hex;
        emit("chainChanged", hex);
      },
      setAccount(address) {
        control.account = address;
        emit("accountsChanged", [address]);
      },
    };

    function prompt() {
      if (control.reject) throw fail(4001, "User rejected the request.");
    }

    const provider = {
      isMicrocredTestWallet: true,
      async request({ method, params }) {
        control.calls.push(method);
        switch (method) {
          case "eth_requestAccounts":
            prompt();
            control.connected = true;
            return [control.account];
          case "eth_accounts":
            return control.connected ? [control.account] : [];
          case "eth_chainId":
            return currentChain();
          case "wallet_switchEthereumChain": {
            const wanted = String(params[0].chainId).toLowerCase();
            const anvil = String(await rpc("eth_chainId")).toLowerCase();
            if (wanted !== anvil || !control.knowsChain) {
              throw fail(4902, `Unrecognized chain ID "${wanted}". Try adding the chain using wallet_addEthereumChain first.`);
            }
            prompt();
            if (wanted !== (await currentChain()).toLowerCase()) control.setChain(wanted);
            return null;
          }
          case "wallet_addEthereumChain":
            prompt();
            control.added.push(params[0]);
            control.knowsChain = true;
            return null;
          case "eth_sendTransaction": {
            if (!control.connected) throw fail(4100, "The requested account has not been authorized by the user.");
            prompt();
            const hash = await rpc("eth_sendTransaction", params);
            control.sent.push(hash);
            return hash;
          }
          case "personal_sign": {
            // params: [message (hex), address], as MetaMask and anvil take them.
            if (!control.connected) throw fail(4100, "The requested account has not been authorized by the user.");
            prompt();
            const signature = await rpc("personal_sign", [params[0], control.signsAs || params[1]]);
            control.signed.push(signature);
            return signature;
          }
          default:
            return rpc(method, params);
        }
      },
      on(event, fn) {
        (listeners[event] = listeners[event] || []).push(fn);
        return provider;
      },
      removeListener(event, fn) {
        listeners[event] = (listeners[event] || []).filter((f) => f !== fn);
        return provider;
      },
    };

    window.__testWallets[config.rdns] = control;
    if (!window.__testWallet) {
      window.__testWallet = control;
      window.ethereum = provider;
    }
    const detail = Object.freeze({
      info: Object.freeze({ uuid: config.uuid, name: config.name, icon, rdns: config.rdns }),
      provider,
    });
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  }
})();
