#!/usr/bin/env python3
"""Writes examples/hello, the small OCI image layout the README's Quick start tags.

Deterministic: the same bytes every run (fixed tar and gzip timestamps). Two platform images,
each a config and one gzip layer holding /hello.txt, and an OCI index over both, tagged
'latest'; the platform images are tagged 'amd64' and 'arm64'.
"""
import gzip, hashlib, io, json, os, shutil, tarfile, sys

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hello")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(os.path.join(out, "blobs", "sha256"))


def blob(data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(text: str) -> tuple[bytes, bytes]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode, info.uname, info.gname = len(data), 0, 0o644, "root", "root"
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, mtime=0)


def image(arch: str) -> dict:
    tar_bytes, gz = layer(f"hello from ocitag's example image ({arch})\n")
    config = {
        "architecture": arch, "os": "linux", "created": "2026-11-23T00:00:00Z",
        "config": {"Cmd": ["/bin/cat", "/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   **blob(json.dumps(config, separators=(",", ":")).encode())},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(gz)}],
        "annotations": {"org.opencontainers.image.title": "hello"},
    }
    # Two-space indentation and a trailing newline: bytes a re-serializing tool would change.
    return {"mediaType": manifest["mediaType"],
            **blob((json.dumps(manifest, indent=2) + "\n").encode()),
            "platform": {"architecture": arch, "os": "linux"}}


platforms = [image("amd64"), image("arm64")]
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": platforms}
index_desc = {"mediaType": index["mediaType"], **blob(json.dumps(index, indent=3).encode())}


def tagged(desc: dict, tag: str) -> dict:
    d = {k: v for k, v in desc.items() if k != "platform"}
    return {**d, "annotations": {"org.opencontainers.image.ref.name": tag}}


with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [
        tagged(index_desc, "latest"), tagged(platforms[0], "amd64"), tagged(platforms[1], "arm64")]}, f)
print("wrote", out, file=sys.stderr)
