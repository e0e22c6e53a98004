#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// A small, deliberately scriptable MCP server over stdio for tests/test-mcp.c.
//   node fake-server.js MODE
// Tools: "echo" (text), "hang" (never answers), "crash" (exits mid-call),
// "garbage" (answers with a line that is not JSON), "huge" (a line over the
// client's limit), "big" (a large but allowed result), "fail" (isError),
// "received" (the methods and ids it received so far, as JSON),
// "ping_me" (pings the client and sends it an unknown request first, and
// answers with the client's replies), "change" (announces a new tool list).
// MODE "paged" lists tools over several pages, "old" negotiates 2024-11-05,
// "future" answers initialize with a version nobody speaks, "noinit" never
// answers initialize, "notools" declares no tools capability, "banner"
// prints non-JSON lines on stdout first.
'use strict';

const mode = process.argv[2] || 'normal';
const received = [];
let pending = new Map();
let nextServerId = 1000;
let extraTool = false;

process.stderr.write(`fake MCP server started in mode ${mode}\n`);

// "banner": prints lines that are not JSON on stdout before it speaks
// JSON-RPC, as many real servers do.
if (mode === 'banner')
  process.stdout.write('Fake MCP Server running on stdio\n{ not json either\n');

// "family": ignore SIGTERM and leave a child behind that ignores it too;
// only killing the process group with SIGKILL ends them.
if (mode === 'family' || mode === 'family-child') {
  process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
  if (mode === 'family-child') {
    setInterval(() => {}, 1000);
    return;
  }
  require('child_process').spawn(process.execPath, [__filename, 'family-child'], {stdio: 'ignore'});
}

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function tool(name, readOnly) {
  return {
    name,
    description: `The ${name} tool`,
    inputSchema: {type: 'object', properties: {text: {type: 'string'}}},
    annotations: {readOnlyHint: readOnly},
  };
}

function allTools() {
  const tools = ['echo', 'hang', 'crash', 'garbage', 'huge', 'big', 'fail', 'received', 'ping_me', 'change', 'deafen']
    .map((name) => tool(name, name === 'echo'));
  tools.push({name: 'weird name/with:chars' + 'x'.repeat(80), inputSchema: {type: 'object'}});
  // Wrongly typed fields: read as missing. A tool without a name is dropped.
  tools.push({name: 'typed', description: {oops: 1}, inputSchema: 'nope', annotations: [true]});
  tools.push({name: {oops: 1}});
  if (extraTool)
    tools.push(tool('extra', true));
  return tools;
}

function text(id, value, isError) {
  send({jsonrpc: '2.0', id, result: {content: [{type: 'text', text: value}], isError: !!isError}});
}

function callTool(id, name, args) {
  switch (name) {
  case 'echo':
    // issue item 4: JSON.stringify writes lone surrogates as \ud800 escapes.
    if (args.text === 'lone surrogates')
      text(id, 'a\ud800b \udc00 end\ud83d');
    else
      text(id, `echo: ${args.text}`);
    break;
  case 'hang':
    break;
  case 'crash':
    process.stderr.write('fake server crashing on purpose\n');
    process.exit(3);
    break;
  case 'garbage':
    process.stdout.write('this is {not json\n');
    break;
  case 'huge':
    process.stdout.write('{"jsonrpc":"2.0","id":' + id + ',"result":{"content":[{"type":"text","text":"');
    process.stdout.write('x'.repeat(17 * 1024 * 1024));
    process.stdout.write('"}]}}\n');
    break;
  case 'big':
    text(id, 'y'.repeat(1024 * 1024));
    break;
  case 'fail':
    text(id, 'it went wrong', true);
    break;
  case 'received':
    text(id, JSON.stringify(received));
    break;
  case 'ping_me': {
    const pingId = nextServerId++;
    const otherId = nextServerId++;
    const replies = {};
    pending.set(pingId, (m) => { replies.ping = m; maybeDone(); });
    pending.set(otherId, (m) => { replies.other = m; maybeDone(); });
    function maybeDone() {
      if (replies.ping && replies.other)
        text(id, JSON.stringify(replies));
    }
    send({jsonrpc: '2.0', id: pingId, method: 'ping'});
    send({jsonrpc: '2.0', id: otherId, method: 'sampling/createMessage', params: {}});
    break;
  }
  case 'deafen':
    // Stops reading: the client's next write meets a closed pipe.
    process.stdin.pause();
    process.stdin.removeAllListeners('end');
    try {
      require('fs').closeSync(0);
    } catch (e) {
      process.stderr.write(`closing stdin: ${e}\n`);
    }
    text(id, 'not listening any more');
    setInterval(() => {}, 1000);
    break;
  case 'change':
    extraTool = true;
    text(id, 'changed');
    send({jsonrpc: '2.0', method: 'notifications/tools/list_changed'});
    break;
  default:
    send({jsonrpc: '2.0', id, error: {code: -32602, message: `Unknown tool ${name}`}});
  }
}

function handle(message) {
  if (message.method === undefined) {
    const callback = pending.get(message.id);
    if (callback) {
      pending.delete(message.id);
      callback(message);
    }
    return;
  }
  const entry = {method: message.method};
  if (message.id !== undefined)
    entry.id = message.id;
  if (message.params && message.params.requestId !== undefined)
    entry.requestId = message.params.requestId;
  if (message.method === 'initialize')
    entry.protocolVersion = message.params.protocolVersion;
  received.push(entry);

  switch (message.method) {
  case 'initialize': {
    if (mode === 'noinit')
      return;
    let version = message.params.protocolVersion;
    if (mode === 'old')
      version = '2024-11-05';
    else if (mode === 'future')
      version = '2099-01-01';
    send({jsonrpc: '2.0', id: message.id, result: {
      protocolVersion: version,
      capabilities: mode === 'notools' ? {prompts: {}} : {tools: {listChanged: true}},
      serverInfo: {name: 'fake', version: '1.0'},
    }});
    break;
  }
  case 'tools/list': {
    if (mode === 'notools') {
      send({jsonrpc: '2.0', id: message.id, error: {code: -32601, message: 'Method not found'}});
      break;
    }
    const tools = allTools();
    if (mode !== 'paged') {
      send({jsonrpc: '2.0', id: message.id, result: {tools}});
      break;
    }
    const page = message.params && message.params.cursor ? parseInt(message.params.cursor, 10) : 0;
    const slice = tools.slice(page * 3, page * 3 + 3);
    const result = {tools: slice};
    if (page * 3 + 3 < tools.length)
      result.nextCursor = String(page + 1);
    send({jsonrpc: '2.0', id: message.id, result});
    break;
  }
  case 'tools/call':
    callTool(message.id, message.params.name, message.params.arguments || {});
    break;
  case 'ping':
    send({jsonrpc: '2.0', id: message.id, result: {}});
    break;
  default:
    if (message.id !== undefined)
      send({jsonrpc: '2.0', id: message.id, error: {code: -32601, message: 'Method not found'}});
  }
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (line.trim() !== '')
      handle(JSON.parse(line));
  }
});
// "deaf" outlives the end of its input: only a signal ends it.
process.stdin.on('end', () => {
  if (mode === 'deaf')
    setInterval(() => {}, 1000);
  else
    process.exit(0);
});
