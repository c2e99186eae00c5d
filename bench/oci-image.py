#!/usr/bin/env python3
"""Adds an image made of given layer files to an OCI image layout (made when missing), for benches.

    oci-image.py LAYOUT TAG OS/ARCH=LAYER[,LAYER...] [OS/ARCH=...]

One OS/ARCH makes an image manifest, several an index of them, tagged TAG in index.json. A layer
is any file (random bytes will do: registries and skopeo copy do not look inside), stored as a
plain OCI layer (application/vnd.oci.image.layer.v1.tar); the config names TAG and the platform,
so every image's config, and so its manifest, is its own. A layer file is hashed once per run and
hard-linked into the layout where it can be.
"""
import hashlib
import json
import os
import shutil
import sys

LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def put_bytes(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest[7:])
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
    return digest, len(data)


def put_file(layout, name):
    h = hashlib.sha256()
    with open(name, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = "sha256:" + h.hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest[7:])
    if not os.path.exists(path):
        try:
            os.link(name, path)
        except OSError:
            shutil.copyfile(name, path)
    return digest, os.path.getsize(name)


def descriptor(media_type, digest_size, **extra):
    digest, size = digest_size
    return dict(mediaType=media_type, digest=digest, size=size, **extra)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    layout, tag = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    manifests = []
    for spec in sys.argv[3:]:
        platform, files = spec.split("=", 1)
        os_name, arch = platform.split("/", 1)
        layers = [descriptor(LAYER, put_file(layout, name)) for name in files.split(",")]
        config = {
            "architecture": arch,
            "os": os_name,
            "config": {"Labels": {"dev.ocitag.bench": tag}},
            "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]},
        }
        config_blob = json.dumps(config, separators=(",", ":")).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": descriptor(CONFIG, put_bytes(layout, config_blob)),
            "layers": layers,
        }
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        manifests.append(
            descriptor(MANIFEST, put_bytes(layout, raw), platform={"architecture": arch, "os": os_name}))
    if len(manifests) == 1:
        top = dict(manifests[0])
        del top["platform"]
    else:
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}
        top = descriptor(INDEX, put_bytes(layout, json.dumps(index, separators=(",", ":")).encode()))
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    index_path = os.path.join(layout, "index.json")
    entries = []
    if os.path.exists(index_path):
        with open(index_path) as f:
            entries = json.load(f).get("manifests", [])
    entries = [e for e in entries
               if e.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    entries.append(top)
    with open(index_path + ".tmp", "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}, f)
    os.replace(index_path + ".tmp", index_path)
    print(top["digest"])


if __name__ == "__main__":
    main()
