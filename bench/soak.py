#!/usr/bin/env python3
"""The plan and the books of bench/soak.sh: which tag operations each round runs, what ocitag
reported for each, and the independent check of where every tag ends.

    soak.py plan STATE COUNT ROUNDS IMAGES DIGESTS REG1=DIRECT1 REG2=DIRECT2 REG3=DIRECT3
    soak.py round STATE R DIR       writes DIR/batch-S.txt (one per source registry S), prints them
    soak.py record STATE R DIR      reads DIR/batch-S.report (--report files), .rc, .err
    soak.py pending STATE           the number of operations still to retry
    soak.py urls STATE DIR          curl config lines: every tag and every source, read directly
                                    from its registry (not through the proxy) into DIR/N
    soak.py sample STATE N          N of those refs, as "I REF" lines, for skopeo to read too
    soak.py verify STATE CODES SUMS SKOPEO SECONDS CPU [FAULT_COUNTS...]
                                    prints the result; exit 1 on FAIL

COUNT operations over ROUNDS rounds (ROUNDS even, at least 2). Operation n puts tag s<t>, t = n mod
COUNT/2, so each tag is written twice, half the rounds apart: created first, then moved (or
unchanged, when the second source is the same image). A tag t's kind is fixed: half are retags
within src/app of their registry, a quarter copies into another repository of the same registry
(blobs mounted, 10 repositories), a quarter promotions from another registry (blobs copied, into
20 repositories, each fed from one of the two others). The source image is one of
IMAGES (src/app:1..IMAGES in every registry; DIGESTS maps each REGn/src/app:k to its digest, taken
by skopeo). An operation whose tag is written again later in the plan is superseded; any other
that failed, or whose run ended before it reported it, is retried in the next round.
"""
import collections
import json
import math
import os
import random
import re
import sys

OK = ("created", "moved", "unchanged")


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, state):
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(path + ".tmp", path)


def plan(path, count, rounds, images, digests_file, regs):
    count, rounds, images = int(count), int(rounds), int(images)
    if rounds < 2 or rounds % 2:
        sys.exit("soak: ROUNDS must be even and at least 2")
    facing = [r.split("=")[0] for r in regs]
    direct = dict(r.split("=") for r in regs)
    digests = {}
    with open(digests_file) as f:
        for line in f:
            ref, digest = line.split()
            digests[ref] = digest
    per_round, tags = math.ceil(count / rounds), math.ceil(count / 2)
    rng = random.Random(20000)
    ops = []
    for n in range(count):
        t = n % tags
        reg, kind = t % 3, (0, 0, 1, 2)[(t // 3) % 4]
        k = rng.randrange(images) + 1
        # a promotion's source registry follows from its repository, so that one ocitag run (one
        # per source registry) writes each repository: two clients putting the same manifest into
        # one repository at once can have one refused by docker-registry 2.8, which rewrites its
        # link files in place (distribution 3 writes them through a temporary file)
        src_reg = reg if kind < 2 else (reg + 1 + (t % 20) % 2) % 3
        repo = ("src/app", f"copy/c{t % 10}", f"prom/p{t % 20}")[kind]
        ops.append(dict(
            n=n, round=n // per_round, tag=t,
            source=f"{facing[src_reg]}/src/app:{k}",
            target=f"{facing[reg]}/{repo}:s{t}",
            later=n + tags < count,  # superseded: the tag is written again later in the plan
            attempts=[], state="planned"))
    save(path, dict(count=count, rounds=rounds, digests=digests, direct=direct, ops=ops,
                    tags={}, runs=[], anomalies=[], wrong=[], changed=[]))


def round_files(path, r, out):
    state, r = load(path), int(r)
    sent = [op for op in state["ops"]
            if (op["round"] == r and op["state"] == "planned")
            or (op["round"] < r and op["state"] in ("failed", "unreported") and not op["later"])]
    by_reg = collections.defaultdict(lambda: collections.defaultdict(list))
    for op in sent:
        by_reg[op["source"].split("/")[0]][op["source"]].append(op["target"])
        op["state"] = "sent"
        op["attempts"].append(dict(round=r))
    files = []
    for i, (reg, sources) in enumerate(sorted(by_reg.items())):
        name = os.path.join(out, f"batch-{i + 1}.txt")
        with open(name, "w") as f:
            for source, targets in sources.items():
                f.write(source + " " + " ".join(targets) + "\n")
        files.append(name)
    save(path, state)
    print("\n".join(files))


def record(path, r, out):
    state, r = load(path), int(r)
    digests, tags = state["digests"], state["tags"]
    by_target = {op["target"]: op for op in state["ops"] if op["state"] == "sent"}
    seen = set()
    for name in sorted(os.listdir(out)):
        if not name.endswith(".txt"):
            continue
        base = os.path.join(out, name[:-4])
        rc = int(open(base + ".rc").read().strip() or -1)
        err = open(base + ".err", errors="replace").read()
        run = dict(round=r, file=name, rc=rc, results=0,
                   internal="internal error" in err or "Exception" in err,
                   said=err.strip().splitlines()[-3:])
        if os.path.exists(base + ".report"):
            for line in open(base + ".report", errors="replace"):
                if not line.strip():
                    continue
                try:
                    res = json.loads(line)
                except ValueError:
                    state["anomalies"].append(f"round {r} {name}: unreadable report line {line!r}")
                    continue
                if "target" not in res:
                    continue  # a run's first line
                run["results"] += 1
                op = by_target.get(res["target"])
                if op is None or res["target"] in seen:
                    state["anomalies"].append(f"round {r}: unexpected result {line.strip()}")
                    continue
                seen.add(res["target"])
                check(state, op, res, digests, tags)
        state["runs"].append(run)
    for op in by_target.values():
        if op["state"] == "sent":  # its run ended (or was killed) before reporting it
            op["state"] = "unreported"
            op["attempts"][-1]["outcome"] = "unreported"
            tags[str(op["tag"])] = None
    save(path, state)


def check(state, op, res, digests, tags):
    """One reported result: its digests against skopeo's, its outcome against the tag's history."""
    outcome, want = res.get("outcome"), digests[op["source"]]
    attempt = op["attempts"][-1]
    attempt.update(outcome=outcome, reason=res.get("reason"))
    if res.get("source") != op["source"]:
        state["anomalies"].append(f"{op['target']}: reported source {res.get('source')}")
    if res.get("sourceDigest") not in (None, want):
        state["changed"].append(f"{op['target']}: source digest {res['sourceDigest']} != {want}")
    key = str(op["tag"])
    if outcome in OK:
        if res.get("digest") != want:
            state["changed"].append(f"{op['target']}: reported {outcome} at {res.get('digest')}, "
                                    f"the source is {want}")
        if key not in tags or tags[key] is not None:  # where the tag was is known
            before = tags.get(key, {}).get("digest") if key in tags else None
            expect = "created" if before is None else "unchanged" if before == want else "moved"
            if outcome != expect or res.get("previousDigest") != before:
                state["wrong"].append(
                    f"{op['target']}: reported {outcome} (was {res.get('previousDigest')}), "
                    f"expected {expect} (was {before})")
        op["state"] = "confirmed"
        tags[key] = dict(digest=want)
    else:
        if outcome != "failed":
            state["wrong"].append(f"{op['target']}: reported {outcome}: {res.get('reason')}")
        op["state"] = "failed"
        tags[key] = None  # it may have been written all the same


def pending(path):
    state = load(path)
    print(sum(1 for op in state["ops"]
              if op["state"] in ("failed", "unreported") and not op["later"]))


def expected(state):
    """Every tag's last operation, and every source: (ref, digest or None when not confirmed)."""
    last = {}
    for op in state["ops"]:
        last[op["tag"]] = op
    for op in last.values():
        yield op["target"], state["digests"][op["source"]] if op["state"] == "confirmed" else None
    for ref, digest in sorted(state["digests"].items()):
        yield ref, digest


def direct_url(state, ref):
    reg, rest = ref.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    return f"https://{state['direct'][reg]}/v2/{repo}/manifests/{tag}"


def urls(path, out):
    state = load(path)
    for i, (ref, _) in enumerate(expected(state)):
        print(f'url = "{direct_url(state, ref)}"\noutput = "{out}/{i}"')


def sample(path, n):
    """N of the refs urls reads, spread over them, for skopeo to read too: "I REF" lines."""
    state = load(path)
    refs = list(expected(state))
    step = max(1, len(refs) // int(n))
    for i in range(0, len(refs), step):
        reg, rest = refs[i][0].split("/", 1)
        print(i, f"{state['direct'][reg]}/{rest}")


def verify(path, codes_file, sums_file, skopeo_file, seconds, cpu, *fault_counts):
    state = load(path)
    codes, sums, skopeo = {}, {}, {}
    for line in open(skopeo_file):
        i, digest = line.split()
        skopeo[i] = digest
    for line in open(codes_file):
        code, name = line.split()
        codes[os.path.basename(name)] = code
    for line in open(sums_file):
        digest, name = line.split()
        sums[os.path.basename(name)] = "sha256:" + digest
    lost, changed, incomplete, unread = [], list(state["changed"]), [], []
    for i, (ref, want) in enumerate(expected(state)):
        code = codes.get(str(i))
        if want is None:
            incomplete.append(ref)
        elif code == "404":
            lost.append(ref)
        elif code != "200":
            unread.append(f"{ref}: HTTP {code}")
        elif sums.get(str(i)) != want:
            changed.append(f"{ref}: {sums.get(str(i))}, expected {want}")
        if want is not None and str(i) in skopeo and skopeo[str(i)] != want:
            changed.append(f"{ref}: skopeo reads {skopeo[str(i)]}, expected {want}")
    ops = state["ops"]
    attempts = collections.Counter(a.get("outcome") for op in ops for a in op["attempts"])
    recovered = sum(1 for op in ops if op["state"] == "confirmed" and len(op["attempts"]) > 1)
    superseded = sum(1 for op in ops if op["later"] and op["state"] in ("failed", "unreported"))
    runs = state["runs"]
    hangs = [r for r in runs if r["rc"] in (124, 137)]
    odd = [r for r in runs if r["rc"] not in (0, 1, 124, 137) or r["internal"]]
    reasons = collections.Counter(
        re.sub(r"\d+", "N", a.get("reason") or "")[:110]
        for op in ops for a in op["attempts"] if a.get("outcome") == "failed")
    seconds = float(seconds)
    done = sum(attempts[o] for o in OK)
    ok = not (lost or changed or incomplete or unread or hangs or odd or state["wrong"]
              or state["anomalies"])
    rounds = 1 + max((a["round"] for op in ops for a in op["attempts"]), default=-1)
    print(f"operations: {len(ops)} planned, {sum(attempts.values())} attempted in {len(runs)} "
          f"ocitag batch runs over {rounds} rounds; reported: {attempts['created']} created, "
          f"{attempts['moved']} moved, {attempts['unchanged']} unchanged, {attempts['failed']} "
          f"failed, {attempts['unreported']} unreported (run ended first)")
    print(f"wall time: {seconds:.1f} s; throughput: {done / seconds:.1f} tags/s "
          f"({done} tags created, moved or unchanged)")
    print(f"CPU time: {cpu}")
    print(f"faults injected: {' '.join(fault_counts) or 'none'}")
    print(f"failed or unreported, then retried and recovered: {recovered}; superseded by the "
          f"tag's next write: {superseded}; why they failed:")
    for reason, n in reasons.most_common(12):
        print(f"  {n:6} × {reason}")
    changed_tags = {c.split(": ")[0] for c in changed}
    print(f"digest changes: {len(changed_tags)} (every tag read back with curl and hashed, "
          f"{len(skopeo)} of them with skopeo inspect --raw too)")
    print(f"lost tags: {len(lost)}")
    print(f"hangs: {len(hangs)} (runs killed by their timeout)")
    print(f"incomplete (last write never confirmed): {len(incomplete)}; unreadable: {len(unread)}; "
          f"wrong outcomes: {len(state['wrong'])}; other exits or internal errors: {len(odd)}; "
          f"anomalies: {len(state['anomalies'])}")
    for what, items in (("changed", changed), ("lost", lost), ("incomplete", incomplete),
                        ("unread", unread), ("wrong", state["wrong"]),
                        ("anomaly", state["anomalies"]), ("run", odd + hangs)):
        for item in items[:5]:
            print(f"  {what}: {item}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "plan":
        plan(args[0], args[1], args[2], args[3], args[4], args[5:])
    elif cmd == "round":
        round_files(*args)
    elif cmd == "record":
        record(*args)
    elif cmd == "pending":
        pending(*args)
    elif cmd == "urls":
        urls(*args)
    elif cmd == "sample":
        sample(*args)
    elif cmd == "verify":
        sys.exit(verify(*args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
