#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Reads a session file the way the Python nanobot's SessionManager._load()
# does (strict json.loads per non-blank line, any error fails the whole
# file, the last metadata line wins) and prints what it got as JSON.
import json
import sys

messages = []
metadata = {}
last_consolidated = 0
updated_at = None
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        data = json.loads(line)
        if data.get("_type") == "metadata":
            metadata = data.get("metadata", {})
            updated_at = data.get("updated_at")
            last_consolidated = data.get("last_consolidated", 0)
        else:
            messages.append(data)

json.dump({"n_messages": len(messages), "metadata": metadata,
           "last_consolidated": last_consolidated, "updated_at": updated_at,
           "roles": [m["role"] for m in messages]}, sys.stdout)
