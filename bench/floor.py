#!/usr/bin/env python3
"""The raw-HTTP floor for retagging: GET a manifest and PUT the same bytes under the new tag, over
kept-alive connections, N at once. No auth, no checks beyond the status: what a registry can take.
A 5xx is retried (up to 3 times): registry:2's filesystem storage answers 500 now and then when
manifests are written into one repository at once, and any real client must live with that.

    floor.py HOST:PORT CONCURRENCY < retags     (each line: REPO SRC_TAG DST_TAG)

Prints the number of retags, the wall time in seconds and how many requests were retried.
"""
import http.client
import queue
import sys
import threading
import time

ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"])


retries = [0]


def call(conn, method, path, body, headers):
    for attempt in range(4):
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        if r.status < 500 or attempt == 3:
            return r.status, data, r.getheader("Content-Type")
        retries[0] += 1
        time.sleep(0.01 * (attempt + 1))


def worker(host, jobs, errors):
    conn = http.client.HTTPConnection(host, timeout=30)
    while True:
        try:
            repo, src, dst = jobs.get_nowait()
        except queue.Empty:
            break
        status, body, ctype = call(conn, "GET", f"/v2/{repo}/manifests/{src}", None, {"Accept": ACCEPT})
        if status != 200:
            errors.append(f"GET {repo}:{src} {status}")
            continue
        status, _, _ = call(conn, "PUT", f"/v2/{repo}/manifests/{dst}", body, {"Content-Type": ctype})
        if status != 201:
            errors.append(f"PUT {repo}:{dst} {status}")
    conn.close()


def main():
    host, concurrency = sys.argv[1], int(sys.argv[2])
    jobs = queue.Queue()
    count = 0
    for line in sys.stdin:
        if line.strip():
            jobs.put(line.split())
            count += 1
    errors = []
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(host, jobs, errors)) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        print("floor: " + "; ".join(errors[:5]), file=sys.stderr)
        sys.exit(1)
    print(f"{count} {elapsed:.3f} {retries[0]}")


if __name__ == "__main__":
    main()
