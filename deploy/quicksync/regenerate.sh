#!/usr/bin/env bash
# Rewrites namespace.yaml and job.yaml from `kubench render` with the default settings (the test
# tests/app/deploy_itest.cpp fails when they drift apart).
#   deploy/quicksync/regenerate.sh [KUBENCH]   (default build/dev/kubench)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kubench="${1:-$here/../../build/dev/kubench}"
rendered="$("$kubench" render)"
# Documents 1-2 (Namespace, ServiceAccount) and 3 (Job), each starting with its "---" line.
awk -v ns="$here/namespace.yaml" -v job="$here/job.yaml" '
  /^---$/ { n++ }
  { print > (n <= 2 ? ns : job) }' <<<"$rendered"
echo "wrote $here/namespace.yaml and $here/job.yaml" >&2
