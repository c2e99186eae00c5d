#!/usr/bin/env python3
"""The raw floor for promotion between registries: the fewest requests that put images into
another registry, over kept-alive HTTPS connections with Basic credentials sent from the start, J
images and J blobs at once. No checks beyond the status: no HEAD for what the target has, no digest
computed (the registry checks it at the commit), no retry but for a manifest PUT answered with a
5xx (registry:2's filesystem storage gives one now and then under concurrent writes).

Per image: GET the manifest by tag (an index's children by digest); per blob, GET from the source
streamed into a monolithic upload (POST for a location, one PUT with the bytes and the digest); a
blob already pushed in this run into another repository of the target is mounted from there
instead (as the tools do); then the children by digest, the manifest under its tag last.

    promote-floor.py CA_FILE SRC_HOST:PORT SRC_USER:PASS DST_HOST:PORT DST_USER:PASS JOBS < lines
    (each line: SRC_REPO:TAG DST_REPO:TAG)

Prints the number of images, blobs streamed, their bytes, blobs mounted and the wall time (s).
"""
import base64
import concurrent.futures
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"])
CHUNK = 1 << 20


class Registry:
    def __init__(self, host, creds, context):
        self.host = host
        self.auth = "Basic " + base64.b64encode(creds.encode()).decode()
        self.context = context
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            name, port = self.host.rsplit(":", 1)
            c = http.client.HTTPSConnection(name, int(port), context=self.context, blocksize=CHUNK)
            self.local.conn = c
        return c

    def request(self, method, path, body=None, headers=None):
        """Sends and returns the answer, unread (the caller reads it before the next request)."""
        h = {"Authorization": self.auth}
        h.update(headers or {})
        c = self.conn()
        c.request(method, path, body=body, headers=h)
        return c.getresponse()

    def call(self, method, path, body=None, headers=None, ok=(200, 201, 202)):
        for attempt in range(4):
            r = self.request(method, path, body, headers)
            data = r.read()
            if r.status in ok:
                return r, data
            if r.status < 500 or attempt == 3 or not isinstance(body, (bytes, type(None))):
                raise RuntimeError(f"{method} {self.host}{path}: {r.status} {data[:200]!r}")
            time.sleep(0.01 * (attempt + 1))


def path_of(location):
    u = urllib.parse.urlsplit(location)
    return u.path + ("?" + u.query if u.query else "")


class Floor:
    def __init__(self, src, dst, jobs):
        self.src, self.dst = src, dst
        self.blobs = concurrent.futures.ThreadPoolExecutor(jobs)
        self.pushed = {}  # digest -> future of the repository it was streamed into
        self.lock = threading.Lock()
        self.streamed = self.bytes = self.mounted = 0

    def copy_blob(self, src_repo, dst_repo, desc):
        digest = desc["digest"]
        with self.lock:
            first = self.pushed.get(digest)
            if first is None:
                mine = concurrent.futures.Future()
                self.pushed[digest] = mine
        if first is not None:
            holder = first.result()
            if holder != dst_repo:
                self.dst.call("POST", f"/v2/{dst_repo}/blobs/uploads/?mount={digest}&from={holder}",
                              ok=(201,))
                with self.lock:
                    self.mounted += 1
            return
        try:
            r, _ = self.dst.call("POST", f"/v2/{dst_repo}/blobs/uploads/")
            location = path_of(r.getheader("Location"))
            got = self.src.request("GET", f"/v2/{src_repo}/blobs/{digest}")
            if got.status != 200:
                raise RuntimeError(f"GET blob {digest}: {got.status}")
            sep = "&" if "?" in location else "?"
            self.dst.call("PUT", f"{location}{sep}digest={digest}", body=got,
                          headers={"Content-Length": str(desc["size"]),
                                   "Content-Type": "application/octet-stream"}, ok=(201,))
            got.read()  # the rest, if any: the connection is reused
        except BaseException as e:
            mine.set_exception(e)  # the images waiting to mount it fail too
            raise
        with self.lock:
            self.streamed += 1
            self.bytes += desc["size"]
        mine.set_result(dst_repo)

    def image(self, line):
        src_ref, dst_ref = line.split()
        src_repo, tag = src_ref.rsplit(":", 1)
        dst_repo, dst_tag = dst_ref.rsplit(":", 1)
        r, top = self.src.call("GET", f"/v2/{src_repo}/manifests/{tag}", headers={"Accept": ACCEPT},
                               ok=(200,))
        top_type = r.getheader("Content-Type")
        parsed = json.loads(top)
        children, blobs = [], {}
        for child in parsed.get("manifests", []):
            cr, raw = self.src.call("GET", f"/v2/{src_repo}/manifests/{child['digest']}",
                                    headers={"Accept": ACCEPT}, ok=(200,))
            children.append((child["digest"], cr.getheader("Content-Type"), raw))
        for _, _, raw in children or [(None, None, top)]:
            m = json.loads(raw)
            for d in [m["config"]] + m["layers"]:
                blobs[d["digest"]] = d
        for f in [self.blobs.submit(self.copy_blob, src_repo, dst_repo, d) for d in blobs.values()]:
            f.result()
        for digest, ctype, raw in children:
            self.dst.call("PUT", f"/v2/{dst_repo}/manifests/{digest}", body=raw,
                          headers={"Content-Type": ctype}, ok=(201,))
        self.dst.call("PUT", f"/v2/{dst_repo}/manifests/{dst_tag}", body=top,
                      headers={"Content-Type": top_type}, ok=(201,))


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    ca, src_host, src_creds, dst_host, dst_creds, jobs = sys.argv[1:]
    context = ssl.create_default_context(cafile=ca)
    lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
    started = time.perf_counter()
    floor = Floor(Registry(src_host, src_creds, context), Registry(dst_host, dst_creds, context),
                  int(jobs))
    with concurrent.futures.ThreadPoolExecutor(int(jobs)) as images:
        for f in [images.submit(floor.image, l) for l in lines]:
            f.result()
    elapsed = time.perf_counter() - started
    floor.blobs.shutdown()
    print(f"{len(lines)} {floor.streamed} {floor.bytes} {floor.mounted} {elapsed:.3f}")


if __name__ == "__main__":
    main()
