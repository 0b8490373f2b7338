"""Scheduled exports to a project's own bucket (`/api/public/integrations/blob-storage`).

An organization key configures an integration that points at a bucket of a local
S3-compatible server (moto, started here). The server's workers find the integration due,
export the window's traces, observations and scores as gzipped JSON Lines under the prefix,
then write the window's manifest. The test reads the objects back with boto3 and finds the
rows it ingested (back-dated, as exports leave the last 20 minutes for the next window), and
the status endpoint reports the sync.
"""

import base64
import gzip
import json
import subprocess
import tempfile
import shutil
import urllib.request
from datetime import datetime, timedelta, timezone

from conftest import binary, free_port, start, wait_healthy
from test_media_v5 import eventually, start_moto

BUCKET = "exports"
PREFIX = "langfuse/"
ORG = "blob-org"
PROJECT = "blob-project"
PUBLIC_KEY = "pk-lf-blob"
SECRET_KEY = "sk-lf-blob-secret"


def iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request(host: str, auth: str, method: str, path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(f"{host}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_an_integration_exports_new_data_to_its_bucket():
    import boto3

    moto_port = free_port()
    moto = start_moto(moto_port)
    data_dir = tempfile.mkdtemp(prefix="sightline-blob-")
    process = None
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        s3.create_bucket(Bucket=BUCKET)
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        env = {
            "PORT": str(port),
            "OTLP_GRPC_PORT": str(free_port()),
            "HOSTNAME": "127.0.0.1",
            "DATABASE_URL": f"sqlite://{data_dir}/sightline.db",
            "ENCRYPTION_KEY": "ab" * 32,
            "LANGFUSE_INIT_ORG_ID": ORG,
            "LANGFUSE_INIT_PROJECT_ID": PROJECT,
            "LANGFUSE_INIT_PROJECT_PUBLIC_KEY": PUBLIC_KEY,
            "LANGFUSE_INIT_PROJECT_SECRET_KEY": SECRET_KEY,
        }
        process = start(env, data_dir)
        wait_healthy(process, host)
        created = subprocess.run(
            [binary(), "admin", "org", "create-key", "--org", ORG],
            cwd=data_dir,
            env={"DATABASE_URL": env["DATABASE_URL"], "LOG_LEVEL": "warn", "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        keys = dict(line.split("=", 1) for line in created.splitlines() if line.startswith("LANGFUSE_"))
        admin = f"{keys['LANGFUSE_PUBLIC_KEY']}:{keys['LANGFUSE_SECRET_KEY']}"

        # Data of 2.5 hours ago: inside the first hourly window from 3 hours ago.
        now = datetime.now(timezone.utc)
        at = now - timedelta(hours=2, minutes=30)
        batch = {
            "batch": [
                {"id": "e1", "type": "trace-create", "timestamp": iso(at),
                 "body": {"id": "blob-trace", "name": "chat", "timestamp": iso(at), "input": "question"}},
                {"id": "e2", "type": "generation-create", "timestamp": iso(at),
                 "body": {"id": "blob-generation", "traceId": "blob-trace", "startTime": iso(at), "model": "gpt-4o"}},
                {"id": "e3", "type": "score-create", "timestamp": iso(at),
                 "body": {"id": "blob-score", "traceId": "blob-trace", "name": "quality", "value": 0.8, "timestamp": iso(at)}},
            ]
        }
        status, body = request(host, f"{PUBLIC_KEY}:{SECRET_KEY}", "POST", "/api/public/ingestion", batch)
        assert status == 207 and body["errors"] == [], body

        status, integration = request(host, admin, "PUT", "/api/public/integrations/blob-storage", {
            "projectId": PROJECT,
            "type": "S3_COMPATIBLE",
            "bucketName": BUCKET,
            "endpoint": endpoint,
            "region": "us-east-1",
            "accessKeyId": "test",
            "secretAccessKey": "test",
            "prefix": PREFIX,
            "exportFrequency": "hourly",
            "enabled": True,
            "forcePathStyle": True,
            "fileType": "JSONL",
            "exportMode": "FROM_CUSTOM_DATE",
            "exportStartDate": iso(now - timedelta(hours=3)),
        })
        assert status == 200, integration
        assert integration["compressed"] is True

        def manifests():
            listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}{PROJECT}/manifests/")
            return [o["Key"] for o in listed.get("Contents", [])]

        eventually(lambda: manifests() or None, "a manifest in the bucket", timeout=90)
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=sorted(manifests())[0])["Body"].read())
        files = {f["table"]: f for f in manifest["files"]}
        assert set(files) == {"traces", "observations", "scores"}, manifest

        def rows(table: str) -> list:
            key = files[table]["key"]
            assert key.startswith(f"{PREFIX}{PROJECT}/{table}/") and key.endswith(".jsonl.gz"), key
            raw = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]

        assert [t["id"] for t in rows("traces")] == ["blob-trace"]
        assert rows("traces")[0]["input"] == "question"
        observations = rows("observations")
        assert [o["id"] for o in observations] == ["blob-generation"]
        assert observations[0]["model"] == "gpt-4o"
        assert [s["id"] for s in rows("scores")] == ["blob-score"]
        assert files["traces"]["rows"] == 1

        status, sync = request(host, admin, "GET", f"/api/public/integrations/blob-storage/{integration['id']}")
        assert status == 200, sync
        assert sync["lastSyncAt"] is not None and sync["lastError"] is None, sync
        assert sync["syncStatus"] in ("up_to_date", "queued", "running"), sync
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        moto.terminate()
        moto.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
