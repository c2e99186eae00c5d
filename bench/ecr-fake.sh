#!/usr/bin/env bash
# Starts the test-scope ECR endpoint (backend-ecr's FakeEcr) in the foreground:
#   bench/ecr-fake.sh [--port N] [--latency MS] [--moto]   (--moto: BatchGetImage answers as moto/LocalStack do)
# It prints "endpoint http://127.0.0.1:PORT" when ready. Point clients at it with
#   AWS_ACCESS_KEY_ID=AKIAOCITAGTESTKEY000 AWS_SECRET_ACCESS_KEY=ocitag/test/secret/key/not/a/real/one0000
#   ocitag --endpoint-url URL --region us-east-1 ...   or   aws --endpoint-url URL --region us-east-1 ecr ...
# Builds backend-ecr's test classes (and its class path file) when they are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/backend-ecr/target"
cpfile="$target/fake-ecr.classpath"
if [ ! -f "$target/test-classes/dev/ocitag/ecr/testing/FakeEcrMain.class" ] || [ ! -f "$cpfile" ]; then
  # -am: core (and its test classes) come from the reactor, not from a local repository
  (cd "$root" && mvn -B -q -ntp -Dstyle.color=never -pl backend-ecr -am -Dspotless.check.skip=true test-compile \
      dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile") >&2
fi
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  -cp "$target/test-classes:$target/classes:$(cat "$cpfile")" dev.ocitag.ecr.testing.FakeEcrMain "$@"
