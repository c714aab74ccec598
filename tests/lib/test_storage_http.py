"""Network stores against small HTTP servers on 127.0.0.1 playing what cannot run here: a pinning
service (IPFS Pinning Service API), lying or hanging nodes and gateways."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

from microcred.cid import MAX_BLOCK_SIZE, cid_of
from microcred.errors import ContentMismatch, StorageError, StorageUnavailable
from microcred.storage import (
    FallbackStore,
    GatewayReader,
    KuboStore,
    LocalStore,
    MirrorStore,
    PinningServiceStore,
    open_store,
)

DOC = b'{"name":"doc"}'
CID = cid_of(DOC)


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def gateway(payload: bytes, seen: list | None = None) -> type[Quiet]:
    class Gateway(Quiet):
        def do_GET(self):
            if seen is not None:
                seen.append(self.path)
            self.reply(200, payload, "application/octet-stream")

    return Gateway


# --- gateways -------------------------------------------------------------------------------------


def test_one_lying_gateway_cannot_break_a_read(serve):
    paths: list[str] = []
    liar, honest = serve(gateway(b"forged", paths)), serve(gateway(DOC, paths))
    assert GatewayReader([liar, honest]).get(CID) == DOC
    assert paths == [f"/ipfs/{CID}", f"/ipfs/{CID}"]


def test_when_every_gateway_lies_the_content_mismatches(serve):
    with pytest.raises(ContentMismatch, match="do not hash"):
        GatewayReader([serve(gateway(b"forged")), serve(gateway(b"other"))]).get(CID)


def test_when_no_gateway_answers_it_is_unavailable(serve, closed_port_url):
    class NotFound(Quiet):
        def do_GET(self):
            self.reply(404, b"not found", "text/plain")

    with pytest.raises(StorageUnavailable, match="No gateway returned"):
        GatewayReader([closed_port_url, serve(NotFound)]).get(CID)
    with pytest.raises(StorageUnavailable, match="No IPFS gateway"):
        GatewayReader([]).get(CID)


def test_a_gateway_sending_more_than_a_block_is_cut_off(serve):
    with pytest.raises(ContentMismatch, match="more than 262144 bytes"):
        GatewayReader([serve(gateway(b"x" * (MAX_BLOCK_SIZE + 10)))]).get(CID)


def test_a_tampered_local_copy_is_healed_from_a_gateway(tmp_path, serve):
    local = LocalStore(tmp_path)
    local.put(DOC)
    (tmp_path / CID).write_bytes(b"tampered")
    assert FallbackStore(local, GatewayReader([serve(gateway(DOC))])).get(CID) == DOC
    with pytest.raises(ContentMismatch):
        FallbackStore(local, GatewayReader([serve(gateway(b"also bad"))])).get(CID)


# --- a Kubo-speaking node that misbehaves ---------------------------------------------------------


def kubo(*, add_hash: str | None = None, cat: bytes = DOC, drip: bool = False, log=None):
    class Node(Quiet):
        def do_POST(self):
            url = urlparse(self.path)
            if log is not None:
                log.append((url.path, parse_qs(url.query), self.headers.get("Authorization")))
            self.body()
            if url.path == "/api/v0/add":
                self.reply(200, json.dumps({"Name": "document", "Hash": add_hash or CID}).encode())
            elif url.path == "/api/v0/pin/add":
                self.reply(200, json.dumps({"Pins": [CID]}).encode())
            elif url.path == "/api/v0/cat" and drip:
                self.send_response(200)
                self.end_headers()
                for _ in range(50):  # a byte every 0.1 s: each read is quick, the whole is not
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif url.path == "/api/v0/cat":
                self.reply(200, cat, "text/plain")
            else:
                self.reply(404, b'{"Message":"no such command"}')

    return Node


def test_every_add_names_its_cid_parameters_and_pins(serve):
    log: list = []
    store = KuboStore(serve(kubo(log=log)), token="tok")
    assert store.put(DOC) == CID
    (add_path, add_query, auth), (pin_path, pin_query, _) = log
    assert add_path == "/api/v0/add" and auth == "Bearer tok"
    assert {k: v[0] for k, v in add_query.items()}.items() >= {
        "cid-version": "1",
        "raw-leaves": "true",
        "chunker": "size-262144",
        "cid-base": "base32",
    }.items()
    assert (pin_path, pin_query["arg"]) == ("/api/v0/pin/add", [CID])


def test_a_node_returning_another_cid_is_refused(serve):
    other = cid_of(b"something else")
    with pytest.raises(ContentMismatch, match=f"gave CID {other}"):
        KuboStore(serve(kubo(add_hash=other))).put(DOC)


def test_a_node_returning_other_bytes_is_caught(serve):
    with pytest.raises(ContentMismatch, match="do not hash"):
        KuboStore(serve(kubo(cat=b"forged"))).get(CID)


def test_a_node_that_drips_is_cut_off_at_the_deadline(serve):
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="too slow"):
        KuboStore(serve(kubo(drip=True))).get(CID, timeout=1.0)
    assert time.monotonic() - started < 3


def test_a_web_server_that_is_no_ipfs_api_is_named(serve):
    class Website(Quiet):
        def do_POST(self):
            self.reply(200, b"<html>hello</html>", "text/html")

        do_GET = do_POST

    url = serve(Website)
    with pytest.raises(StorageError, match="not answer an add like the Kubo RPC API") as caught:
        KuboStore(url).put(DOC)
    assert not isinstance(caught.value, ContentMismatch)
    with pytest.raises(StorageError, match="not JSON"):
        PinningServiceStore(url, "t").put(DOC)


def test_a_refused_token_is_named(serve):
    class Refusing(Quiet):
        def do_POST(self):
            self.reply(401, b'{"Message":"bad token"}')

    with pytest.raises(StorageError, match="check the access token"):
        KuboStore(serve(Refusing), token="wrong").put(DOC)


# --- pinning service ------------------------------------------------------------------------------


def pinning_service(token: str, pins: dict[str, dict]) -> type[Quiet]:
    """The endpoints of the IPFS Pinning Service API that microcred uses: POST /pins, GET /pins."""

    class Service(Quiet):
        def authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {token}":
                return True
            body = {"error": {"reason": "UNAUTHORIZED", "details": "access token is missing"}}
            self.reply(401, json.dumps(body).encode())
            return False

        def do_POST(self):
            if not self.authorised() or self.path != "/pins":
                return
            pin = json.loads(self.body())
            status = {
                "requestid": f"r{len(pins)}",
                "status": "queued",
                "created": "2026-01-01T00:00:00Z",
                "pin": pin,
                "delegates": ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWexample"],
            }
            pins[pin["cid"]] = status
            self.reply(202, json.dumps(status).encode())

        def do_GET(self):
            if not self.authorised():
                return
            query = parse_qs(urlparse(self.path).query)
            wanted = set(query.get("cid", [""])[0].split(","))
            statuses = set(query.get("status", ["pinned"])[0].split(","))
            results = []
            for cid, status in pins.items():
                status["status"] = "pinned"  # the service finished fetching it
                if cid in wanted and status["status"] in statuses:
                    results.append(status)
            self.reply(200, json.dumps({"count": len(results), "results": results}).encode())

    return Service


def test_pinning_service_pins_by_cid_and_name(serve, tmp_path):
    pins: dict[str, dict] = {}
    source = LocalStore(tmp_path)
    store = PinningServiceStore(serve(pinning_service("t", pins)), "t", source=source)
    assert store.put(DOC, name="credential") == CID
    assert pins[CID]["pin"] == {"cid": CID, "name": "credential"}
    assert source.has(CID)  # the bytes went where the service can fetch them
    assert store.status(CID) == "pinned" and store.has(CID)
    assert store.status(cid_of(b"other")) is None and not store.has(cid_of(b"other"))
    assert store.get(CID) == DOC  # read through the source, verified


def test_pinning_service_wants_its_token(serve):
    url = serve(pinning_service("t", {}))
    with pytest.raises(StorageError, match="check the access token"):
        PinningServiceStore(url, "wrong").put(DOC)


def test_pinning_service_alone_cannot_serve_bytes(serve):
    store = PinningServiceStore(serve(pinning_service("t", {})), "t")
    with pytest.raises(StorageUnavailable, match="does not serve bytes"):
        store.get(CID)


def test_a_mirror_writes_everywhere_and_reads_from_the_first_that_verifies(tmp_path, serve):
    pins: dict[str, dict] = {}
    url = serve(pinning_service("t", pins))
    store = open_store(f"local:{tmp_path},pinning:{url}#t")
    assert isinstance(store, MirrorStore)
    assert store.put(DOC) == CID
    assert CID in pins and (tmp_path / CID).exists()
    assert store.get(CID) == DOC and store.has(CID)
    (tmp_path / CID).unlink()
    with pytest.raises(StorageUnavailable):
        store.get(CID)  # the service pins but serves nothing, and there is no gateway
