#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a source file with translatable strings is missing from
# po/POTFILES.in, or when POTFILES.in names a file that does not exist.
#   tests/check-potfiles.sh SOURCE_DIR
set -euo pipefail
top="${1:?usage: check-potfiles.sh SOURCE_DIR}"
cd "$top"

listed="$(grep -v -e '^#' -e '^[[:space:]]*$' po/POTFILES.in | sort)"
status=0

while IFS= read -r file; do
  if [ ! -f "$file" ]; then
    echo "po/POTFILES.in names $file, which does not exist" >&2
    status=1
  fi
done <<< "$listed"

# C sources and headers with _(), N_(), C_() or NC_(); .ui files with
# translatable properties; desktop, AppStream and schema files always have
# strings to translate.
found="$(
  {
    find agent app ui -type f \( -name '*.c' -o -name '*.h' \) -print0 |
      xargs -0 -r grep -lE '(^|[^[:alnum:]_])(_|N_|C_|NC_) ?\(' || true
    find agent app ui data -type f -name '*.ui' -print0 |
      xargs -0 -r grep -l 'translatable="yes"' || true
    find data -type f \( -name '*.desktop.in' -o -name '*.metainfo.xml.in' -o -name '*.gschema.xml' \) || true
  } | sed 's|^\./||' | sort -u
)"

while IFS= read -r file; do
  [ -z "$file" ] && continue
  if ! grep -qxF "$file" <<< "$listed"; then
    echo "$file has translatable strings but is not listed in po/POTFILES.in" >&2
    status=1
  fi
done <<< "$found"

if [ "$status" -eq 0 ]; then
  echo "po/POTFILES.in lists all $(wc -l <<< "$found") files with translatable strings"
fi
exit "$status"
