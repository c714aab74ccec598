"""A sync in its own process, for the kill test: slowed down after each chunk so that the test
can SIGKILL it between chunks or inside one, printing the cursor as it goes."""

import sys
import time
from pathlib import Path

from microcred.deployment import Deployment
from microcred.index import HttpRpc, RetryingRpc, open_index, store_reader, sync
from microcred.storage import LocalStore

index_url, rpc_url, deployment_file, store_dir = sys.argv[1:5]
deployment = Deployment.load(Path(deployment_file))


def progress(synced: int, target: int) -> None:
    print(synced, flush=True)
    time.sleep(0.2)


sync(
    open_index(index_url),
    deployment,
    RetryingRpc(HttpRpc(rpc_url)),
    read_manifest=store_reader(LocalStore(store_dir), deployment),
    log_range=100,
    progress=progress,
)
