// SPDX-License-Identifier: GPL-3.0-or-later
// Preloaded into every node the tests start (NODE_OPTIONS in
// tests/meson.build). The pinned MCP servers use the Web Crypto global,
// which Node 18 (Debian 12's nodejs) only has behind a flag; newer Node
// has it already and this does nothing.
if (globalThis.crypto === undefined)
  globalThis.crypto = require('node:crypto').webcrypto;
