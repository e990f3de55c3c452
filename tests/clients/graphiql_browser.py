#!/usr/bin/env python3
"""GraphiQL in a real browser, offline: headless Chromium loads `GET /graphql` from the
server in $KENSA_URL (see serve.py) and must render the editor with no Content Security
Policy violation and no request that left the server (the machine has no CDN either).

    python3 tests/clients/serve.py -- python3 tests/clients/graphiql_browser.py

Chromium is Debian's `chromium` (`apt-get install chromium`); under CI=true a missing
browser fails the check instead of skipping it.
"""

import os
import shutil
import subprocess
import sys
import tempfile

url = os.environ["KENSA_URL"] + "/graphql"
browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if browser is None:
    if os.environ.get("CI") == "true":
        sys.exit("graphiql_browser: no chromium on PATH (apt-get install chromium)")
    print("graphiql_browser: SKIPPED, no chromium on PATH")
    sys.exit(0)

with tempfile.TemporaryDirectory() as profile:
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
dom, log = run.stdout, run.stderr
problems = []
if "graphiql-editor" not in dom:
    problems.append("the GraphiQL editor did not render (no .graphiql-editor in the DOM)")
violations = [l for l in log.splitlines() if "Content Security Policy" in l]
problems += [f"CSP violation: {v}" for v in violations]
failed = [l for l in log.splitlines() if "net::ERR_" in l]
problems += [f"request failed: {f}" for f in failed]
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"graphiql_browser: the editor rendered in {os.path.basename(browser)} with no CSP violation and no failed request")
