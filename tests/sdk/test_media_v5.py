"""The official Python SDK 5.x uploads media to Sightline, and the media comes back
byte for byte, with both kinds of storage.

A span's input holds an image as a base64 data URI. The SDK replaces it with a
`@@@langfuseMedia:type=image/png|id=…|source=base64_data_uri@@@` reference, asks for an
upload URL (`POST /api/public/media`), PUTs the bytes there and reports the upload
(`PATCH /api/public/media/{id}`). The test then reads the trace back, finds the reference in
the observation's input, looks the media up (`GET /api/public/media/{id}`), downloads its
`url` and compares the bytes, the content type and the length with the original image. It
also lets the SDK resolve the reference itself (`resolve_media_references`).

Each case runs against servers of its own:
- `local`: media kept in a local directory (`SIGHTLINE_BLOB_DIR`); the upload and download URLs
  are signed URLs of Sightline itself, and the file lands at `{dir}/{projectId}/{mediaId}.png`;
- `s3`: media kept in a bucket of a local S3-compatible server (moto in server mode, started
  here) through the `LANGFUSE_S3_MEDIA_UPLOAD_*` settings; the URLs are presigned S3 URLs, and
  the object lands at `{prefix}{projectId}/{mediaId}.png` in the bucket.

moto checks no signatures, so the S3 case also checks the SDK's upload request and the
download URL as S3 authenticates them (SigV4 query signing, every `x-amz-*` header signed).

Each server has its own project keys, as the SDK keeps one client per public key per process.
"""

import base64
import hashlib
import hmac
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import parse_qsl, quote

import httpx
import pytest
from langfuse import Langfuse

from conftest import Project, Server, free_port, start, wait_healthy

S3_BUCKET = "sightline-media"
S3_PREFIX = "media/"
S3_REGION = "us-east-1"
S3_KEY_ID = "test"
S3_SECRET = "test"
REFERENCE = re.compile(r"@@@langfuseMedia:type=image/png\|id=([^|@]+)\|source=base64_data_uri@@@")


def tiny_png() -> bytes:
    """A valid 1x1 RGB PNG with a random pixel, so every upload is content of its own."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + os.urandom(3))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


def sdk_media_id(content: bytes) -> str:
    """The media id as the SDKs derive it: the base64url SHA-256 of the content, 22 characters."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).decode()[:22]


def eventually(check, what: str, timeout: float = 30):
    """Calls `check` until it returns something truthy, or fails after `timeout` seconds."""
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def download(url: str):
    """GETs a URL without any credentials; returns (status, body, content type)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()


def s3_authentication_problems(request: httpx.Request) -> list:
    """What S3 would reject in a request to a presigned (SigV4 query-signed) URL: `x-amz-*`
    headers that are not among the signed headers, and a signature that does not match."""
    query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
    params = dict(query)
    signed = params["X-Amz-SignedHeaders"].split(";")
    problems = []
    unsigned = sorted(h for h in request.headers if h.lower().startswith("x-amz-") and h.lower() not in signed)
    if unsigned:
        problems.append(f"headers present in the request which were not signed: {unsigned} (signed: {signed})")

    def encode(value: str) -> str:
        return quote(value, safe="-_.~")

    canonical_request = "\n".join([
        request.method,
        request.url.raw_path.split(b"?")[0].decode(),
        "&".join(f"{k}={encode(v)}" for k, v in sorted((encode(k), v) for k, v in query if k != "X-Amz-Signature")),
        "".join(f"{h}:{' '.join(request.headers.get(h, '').split())}\n" for h in signed),
        ";".join(signed),
        "UNSIGNED-PAYLOAD",
    ])
    scope = params["X-Amz-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + S3_SECRET).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest() != params["X-Amz-Signature"]:
        problems.append("the signature does not match")
    return problems


class LocalDirectory:
    """Media in a local directory of the server."""

    name = "local"

    def __init__(self, directory: Path):
        self.directory = directory

    def env(self) -> dict:
        return {"SIGHTLINE_BLOB_DIR": str(self.directory)}

    def url_prefix(self, server: Server, media_id: str, action: str) -> str:
        return f"{server.host}/api/public/media/{media_id}/{action}?"

    def stored(self, key: str):
        """The bytes kept under `key` and their content type (a directory keeps none)."""
        return (self.directory / key).read_bytes(), None


class MotoBucket:
    """Media in a bucket of a moto S3 server (a subprocess of the test)."""

    name = "s3"

    def __init__(self, endpoint: str):
        import boto3  # comes with moto[server]

        self.endpoint = endpoint
        self.s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name=S3_REGION, aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET
        )

    def env(self) -> dict:
        return {
            "LANGFUSE_S3_MEDIA_UPLOAD_BUCKET": S3_BUCKET,
            "LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT": self.endpoint,
            "LANGFUSE_S3_MEDIA_UPLOAD_REGION": S3_REGION,
            "LANGFUSE_S3_MEDIA_UPLOAD_ACCESS_KEY_ID": S3_KEY_ID,
            "LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY": S3_SECRET,
            "LANGFUSE_S3_MEDIA_UPLOAD_FORCE_PATH_STYLE": "true",
            "LANGFUSE_S3_MEDIA_UPLOAD_PREFIX": S3_PREFIX,
        }

    def url_prefix(self, server: Server, media_id: str, action: str) -> str:
        return f"{self.endpoint}/{S3_BUCKET}/{S3_PREFIX}"

    def stored(self, key: str):
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=S3_BUCKET).get("Contents", [])]
        assert f"{S3_PREFIX}{key}" in keys, keys
        stored = self.s3.get_object(Bucket=S3_BUCKET, Key=f"{S3_PREFIX}{key}")
        return stored["Body"].read(), stored["ContentType"]


def start_moto(port: int) -> subprocess.Popen:
    # Imported here, not skipped: without moto the S3 case fails (scripts/test installs it).
    import boto3  # noqa: F401
    import moto.server  # noqa: F401

    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2):
                return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            if time.time() > deadline:
                process.terminate()
                process.wait(timeout=30)
                raise RuntimeError("moto server did not come up")
            time.sleep(0.1)


@pytest.fixture(scope="module", params=["local", "s3"])
def storage(request):
    """The storage of the test's server, with the S3 server behind it when there is one."""
    if request.param == "local":
        directory = Path(tempfile.mkdtemp(prefix="sightline-media-blobs-"))
        try:
            yield LocalDirectory(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    port = free_port()
    moto = start_moto(port)
    try:
        bucket = MotoBucket(f"http://127.0.0.1:{port}")
        bucket.s3.create_bucket(Bucket=S3_BUCKET)  # Sightline expects the bucket to exist.
        yield bucket
    finally:
        moto.terminate()
        moto.wait(timeout=30)


@pytest.fixture(scope="module")
def media_server(storage):
    """A Sightline server with `storage` and one project with keys of its own."""
    project = Project(f"media-project-{storage.name}", f"pk-lf-media-{storage.name}", f"sk-lf-media-{storage.name}-secret")
    data_dir = tempfile.mkdtemp(prefix="sightline-media-")
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = {
        "PORT": str(port),
        "OTLP_GRPC_PORT": str(free_port()),
        "HOSTNAME": "127.0.0.1",
        "DATABASE_URL": f"sqlite://{data_dir}/sightline.db",
        "LANGFUSE_INIT_ORG_ID": "media-org",
        "LANGFUSE_INIT_ORG_NAME": "Media Org",
        "LANGFUSE_INIT_PROJECT_ID": project.id,
        "LANGFUSE_INIT_PROJECT_NAME": "Media Project",
        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY": project.public_key,
        "LANGFUSE_INIT_PROJECT_SECRET_KEY": project.secret_key,
        **storage.env(),
    }
    process = start(env, data_dir)
    try:
        wait_healthy(process, host)
        yield Server(host, [project])
    finally:
        process.terminate()
        process.wait(timeout=30)
        # The server's warnings, shown by pytest when a test fails.
        print(process.stderr.read().decode(errors="replace"), file=sys.stderr)
        shutil.rmtree(data_dir, ignore_errors=True)


class Sdk:
    """The SDK client of a server's project, with the uploads (PUTs) its HTTP client sent."""

    def __init__(self, server: Server):
        self.server = server
        self.project = server.projects[0]
        self.puts = []
        http = httpx.Client(event_hooks={"request": [self._record]})
        self.langfuse = Langfuse(
            public_key=self.project.public_key, secret_key=self.project.secret_key, host=server.host, httpx_client=http
        )

    def _record(self, request: httpx.Request) -> None:
        if request.method == "PUT":
            self.puts.append(request)

    def put_of(self, media_id: str) -> httpx.Request:
        puts = [p for p in self.puts if f"/{media_id}" in p.url.path]
        assert len(puts) == 1, [str(p.url) for p in self.puts]
        return puts[0]

    def trace_image(self, image: bytes, caplog):
        """Traces a span whose input holds `image` as a data URI; returns the span's input as
        stored, and the media id in its reference."""
        langfuse = self.langfuse
        with caplog.at_level(logging.WARNING, logger="langfuse"):
            with langfuse.start_as_current_observation(
                name="describe-image", as_type="span", input={"question": "what is this?", "image": data_uri(image)}
            ) as span:
                trace_id = langfuse.get_current_trace_id()
                span_id = langfuse.get_current_observation_id()
                span.update(output="a single pixel")
            # Waits for the span export and the media upload queue (POST, PUT, PATCH).
            langfuse.flush()
        problems = [r.getMessage() for r in caplog.records if r.name.startswith("langfuse")]
        assert problems == [], problems

        def stored_input():
            status, trace = self.server.get(self.project, f"/api/public/traces/{trace_id}")
            observations = {o["id"]: o for o in trace.get("observations", [])} if status == 200 else {}
            return observations.get(span_id, {}).get("input")

        stored = eventually(stored_input, "the span's input")
        match = REFERENCE.fullmatch(stored["image"])
        assert match, stored["image"]
        media_id = match.group(1)
        eventually(lambda: self.server.get(self.project, f"/api/public/media/{media_id}")[0] == 200, "the media record")
        return stored, media_id


@pytest.fixture(scope="module")
def sdk(media_server):
    return Sdk(media_server)


def test_a_data_uri_image_round_trips_through_media_storage(sdk, storage, caplog):
    server, project, langfuse = sdk.server, sdk.project, sdk.langfuse
    image = tiny_png()
    stored, media_id = sdk.trace_image(image, caplog)

    # The stored input holds the SDK's reference instead of the data URI.
    assert stored == {"question": "what is this?", "image": f"@@@langfuseMedia:type=image/png|id={media_id}|source=base64_data_uri@@@"}
    assert media_id == sdk_media_id(image)
    # The SDK uploaded straight to the storage's upload URL.
    assert str(sdk.put_of(media_id).url).startswith(storage.url_prefix(server, media_id, "upload"))

    # The media record, through the SDK's API client.
    record = langfuse.api.media.get(media_id)
    assert record.media_id == media_id
    assert record.content_type == "image/png"
    assert record.content_length == len(image)
    assert record.uploaded_at is not None
    assert record.url_expiry
    assert record.url.startswith(storage.url_prefix(server, media_id, "download")), record.url

    # The download URL needs no credentials and gives back exactly the uploaded bytes.
    status, body, content_type = download(record.url)
    assert status == 200
    assert body == image
    assert content_type == "image/png"

    # The object sits where Langfuse keeps media: {prefix}{projectId}/{mediaId}.{extension}.
    kept, kept_type = storage.stored(f"{project.id}/{media_id}.png")
    assert kept == image
    assert kept_type in (None, "image/png")

    # The SDK resolves its own reference back to the original data URI.
    resolved = langfuse.resolve_media_references(obj=stored, resolve_with="base64_data_uri")
    assert resolved == {"question": "what is this?", "image": data_uri(image)}


def test_only_the_signature_grants_access(sdk, storage, caplog):
    image = tiny_png()
    _, media_id = sdk.trace_image(image, caplog)
    url = sdk.langfuse.api.media.get(media_id).url
    if storage.name == "local":
        # Sightline checks its own signatures.
        signature = re.search(r"[?&]signature=([0-9a-f]+)", url).group(1)
        status, body, _ = download(url.replace(signature, "0" * len(signature)))
        assert status == 403, (status, body)
        status, body, _ = download(url.replace(signature, ""))
        assert status == 403, (status, body)
        return
    # moto accepts any signature: check the SDK's upload and the download URL as S3 would.
    assert s3_authentication_problems(httpx.Request("GET", url)) == []
    assert s3_authentication_problems(sdk.put_of(media_id)) == []
